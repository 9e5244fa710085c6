using IommuKit.Hardware.Dma;
using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables;
using IommuKit.Hardware.PageTables.ArmLpae;
using IommuKit.Hardware.Smmu.V2;
using static IommuKit.Hardware.Smmu.V2.SmmuV2Registers;

namespace IommuKit.Hardware.Tests.Smmu.V2;

/// <summary>
/// A machine with RAM, an SMMUv2 mapped as MMIO and a table allocator, plus a few driver-style
/// helpers that program the SMMU only through its registers, the way Linux's arm-smmu driver
/// does (<c>arm_smmu_write_context_bank</c>, <c>arm_smmu_write_sme</c>, <c>arm_smmu_device_reset</c>).
/// </summary>
internal sealed class SmmuV2Harness
{
    public const ulong SmmuBase = 0x0900_0000;
    public const ulong RamBase = 0x8000_0000;
    public const ulong RamSize = 512UL << 20;
    public const ulong TablePool = 64UL << 20;

    /// <summary>Data buffers (DMA targets) start here.</summary>
    public const ulong DataBase = RamBase + (256UL << 20);

    public SmmuV2Harness(SmmuV2Features? features = null, bool coherentWalk = true, CpuCacheOptions? cache = null)
    {
        Memory = cache is null ? new PhysicalMemory() : new PhysicalMemory(cache);
        Memory.AddRam(RamBase, RamSize);
        Smmu = new SmmuV2(Memory, features ?? SmmuV2Features.Mmu500, coherentWalk);
        Memory.AddMmio(SmmuBase, Smmu.RegisterSpaceSize, Smmu);
        Allocator = new SimpleTablePageAllocator(Memory, RamBase, TablePool);
    }

    public PhysicalMemory Memory { get; }

    public SmmuV2 Smmu { get; }

    public SimpleTablePageAllocator Allocator { get; }

    // ---- Register access through the bus, as the CPU does ----

    public uint Gr0(int reg) => Read32(SmmuBase + (ulong)reg);

    public void Gr0(int reg, uint value) => Write32(SmmuBase + (ulong)reg, value);

    public uint Gr1(int reg) => Read32(SmmuBase + Smmu.Features.PageSize + (ulong)reg);

    public void Gr1(int reg, uint value) => Write32(SmmuBase + Smmu.Features.PageSize + (ulong)reg, value);

    public uint Cb(int cb, int reg) => Read32(CbAddress(cb, reg));

    public void Cb(int cb, int reg, uint value) => Write32(CbAddress(cb, reg), value);

    public ulong Cb64(int cb, int reg)
    {
        Assert.Equal(BusStatus.Ok, Memory.Read64(CbAddress(cb, reg), BusAccess.Cpu, out ulong v));
        return v;
    }

    public void Cb64(int cb, int reg, ulong value) => Assert.Equal(BusStatus.Ok, Memory.Write64(CbAddress(cb, reg), value, BusAccess.Cpu));

    public ulong CbAddress(int cb, int reg) => SmmuBase + Smmu.ContextBankOffset(cb) + (ulong)reg;

    public uint Read32(ulong pa)
    {
        Assert.Equal(BusStatus.Ok, Memory.Read32(pa, BusAccess.Cpu, out uint v));
        return v;
    }

    public void Write32(ulong pa, uint value) => Assert.Equal(BusStatus.Ok, Memory.Write32(pa, value, BusAccess.Cpu));

    // ---- Driver-style programming ----

    /// <summary>Allocates an io-pgtable for a format with this SMMU's walk coherency.</summary>
    public ArmLpaeIoPageTable CreateTable(ArmLpaeFormat format, int ias = 48, int oas = 48, ulong pgsizes = (1UL << 12) | (1UL << 21) | (1UL << 30), ArmLpaeQuirks quirks = ArmLpaeQuirks.None, bool? coherent = null)
    {
        var cfg = new IoPageTableConfig
        {
            Format = format,
            PgsizeBitmap = pgsizes,
            Ias = ias,
            Oas = oas,
            CoherentWalk = coherent ?? Smmu.CoherentWalk,
            Quirks = quirks,
        };
        Assert.Equal(PageTableStatus.Ok, ArmLpaeIoPageTable.TryCreate(cfg, Memory, Allocator, NullFlushOps.Instance, out ArmLpaeIoPageTable? table));
        return table!;
    }

    public void Map(ArmLpaeIoPageTable table, ulong iova, ulong pa, ulong size, IommuProt prot, ulong pgsize = 4096)
    {
        ulong done = 0;
        while (done < size)
        {
            Assert.Equal(PageTableStatus.Ok, table.MapPages(iova + done, pa + done, pgsize, (size - done) / pgsize, prot, out ulong mapped));
            done += mapped;
        }
    }

    /// <summary>A stage-1 context bank as Linux programs one (ASID = bank index unless given; S2 bypass; WB bypass attributes).</summary>
    public void ProgramStage1(int cb, ArmLpaeIoPageTable table, int asid = -1, bool aarch64 = true, uint extraSctlr = 0, uint vmid = 0)
    {
        ushort a = (ushort)(asid < 0 ? cb : asid);
        Gr1(SMMU_CBA2R0 + (4 * cb), (aarch64 ? CBA2R_VA64 : 0) | (vmid << CBA2R_VMID16_Shift));
        Gr1(SMMU_CBAR0 + (4 * cb), (CBAR_TYPE_S1_TRANS_S2_BYPASS << CBAR_TYPE_Shift) | (3u << CBAR_BPSHCFG_Shift) | (0xFu << CBAR_MEMATTR_Shift) | (vmid & 0xFF));
        ArmLpaeTcr tcr = table.Tcr;
        bool ttbr1 = (table.Config.Quirks & ArmLpaeQuirks.ArmTtbr1) != 0;
        uint tcrLow = (uint)(tcr.Value & 0xFFFF);
        uint tcrReg = ttbr1 ? (tcrLow << 16) | TCR_EPD0 : tcrLow | TCR_EPD1;
        if (aarch64)
        {
            Cb(cb, SMMU_CBn_TCR2, (uint)tcr.Ips | (TCR2_SEP_UPSTREAM << TCR2_SEP_Shift) | TCR2_AS);
        }
        else
        {
            tcrReg |= TCR_EAE;
        }

        Cb64(cb, SMMU_CBn_TTBR0, (ttbr1 ? 0 : table.Ttbr) | ((ulong)a << 48));
        Cb64(cb, SMMU_CBn_TTBR1, (ttbr1 ? table.Ttbr : 0) | ((ulong)a << 48));
        Cb(cb, SMMU_CBn_TCR, tcrReg);
        Cb(cb, SMMU_CBn_MAIR0, (uint)table.Mair);
        Cb(cb, SMMU_CBn_MAIR1, (uint)(table.Mair >> 32));
        Cb(cb, SMMU_CBn_SCTLR, SCTLR_CFIE | SCTLR_CFRE | SCTLR_AFE | SCTLR_TRE | SCTLR_M | SCTLR_ASIDPNE | extraSctlr);
    }

    /// <summary>A stage-2 context bank (VMID = bank index + 1 unless given).</summary>
    public void ProgramStage2(int cb, ArmLpaeIoPageTable table, int vmid = -1, bool aarch64 = true)
    {
        uint v = (uint)(vmid < 0 ? cb + 1 : vmid);
        Gr1(SMMU_CBA2R0 + (4 * cb), (aarch64 ? CBA2R_VA64 : 0) | (v << CBA2R_VMID16_Shift));
        Gr1(SMMU_CBAR0 + (4 * cb), (CBAR_TYPE_S2_TRANS << CBAR_TYPE_Shift) | (v & 0xFF));
        Cb64(cb, SMMU_CBn_TTBR0, table.Ttbr);
        Cb(cb, SMMU_CBn_TCR, (uint)table.Vtcr.Value | (1u << 31));
        Cb(cb, SMMU_CBn_SCTLR, SCTLR_CFIE | SCTLR_CFRE | SCTLR_AFE | SCTLR_TRE | SCTLR_M);
    }

    /// <summary>SMR n = (id, mask, valid) and S2CR n = translate through <paramref name="cb"/>.</summary>
    public void MapStream(int index, uint id, uint mask, int cb)
    {
        Gr0(SMMU_S2CR0 + (4 * index), (S2CR_TYPE_TRANS << S2CR_TYPE_Shift) | (uint)cb);
        Gr0(SMMU_SMR0 + (4 * index), SMR_VALID | (mask << SMR_MASK_Shift) | id);
    }

    /// <summary>sCR0 as Linux's reset leaves it: fault reporting and interrupts on, unmatched streams fault, CLIENTPD clear.</summary>
    public void Enable(bool unmatchedFault = true, uint extra = 0) =>
        Gr0(SMMU_sCR0, sCR0_GFRE | sCR0_GFIE | sCR0_GCFGFRE | sCR0_GCFGFIE | sCR0_VMIDPNE | sCR0_PTM | sCR0_SMCFCFG |
            (unmatchedFault ? sCR0_USFCFG : 0) | (Smmu.Features.Vmid16 ? sCR0_VMID16EN : 0) | extra);

    /// <summary>One S1 context bank translating stream <paramref name="sid"/>, SMMU enabled; returns the table.</summary>
    public ArmLpaeIoPageTable SetUpStage1(uint sid = 0x42, int cb = 0, int smr = 0)
    {
        ArmLpaeIoPageTable t = CreateTable(ArmLpaeFormat.Arm64LpaeS1);
        ProgramStage1(cb, t);
        MapStream(smr, sid, 0, cb);
        Enable();
        return t;
    }

    public SmmuV2Translation Translate(uint sid, ulong iova, bool write = false, DmaAttributes attributes = default)
    {
        Smmu.Translate(sid, iova, attributes, write, out SmmuV2Translation r);
        return r;
    }

    public void Poke(ulong pa, ulong value) => Assert.Equal(BusStatus.Ok, Memory.Write64(pa, value, BusAccess.Cpu));

    public ulong Peek(ulong pa)
    {
        Assert.Equal(BusStatus.Ok, Memory.Read64(pa, BusAccess.Cpu, out ulong v));
        return v;
    }

    /// <summary>Flush callbacks that do nothing: the tests issue (or deliberately omit) TLB maintenance themselves.</summary>
    private sealed class NullFlushOps : IIoPageTableFlushOps
    {
        public static readonly NullFlushOps Instance = new();

        public void TlbFlushAll()
        {
        }

        public void TlbFlushWalk(ulong iova, ulong size, ulong granule)
        {
        }

        public void TlbAddPage(IotlbGather gather, ulong iova, ulong granule)
        {
        }
    }
}
