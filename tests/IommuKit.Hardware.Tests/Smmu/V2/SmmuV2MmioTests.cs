using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables;
using IommuKit.Hardware.Smmu.V2;
using static IommuKit.Hardware.Smmu.V2.SmmuV2Registers;

namespace IommuKit.Hardware.Tests.Smmu.V2;

/// <summary>Register access rules: widths, alignment, 64-bit registers and halves, RAZ/WI areas, write masks.</summary>
public sealed class SmmuV2MmioTests
{
    [Theory]
    [InlineData(0x0UL, 1)]
    [InlineData(0x0UL, 2)]
    [InlineData(0x2UL, 4)]
    [InlineData(0x4UL, 8)]
    [InlineData(0x20000UL, 4)] // beyond the 32-page space of the MMU-500-like build
    public void Access_BadWidthAlignmentOrRange_SlaveErrorAndNoChange(ulong offset, int size)
    {
        var smmu = new SmmuV2(new PhysicalMemory(), SmmuV2Features.Mmu500, coherentWalk: true);
        Assert.Equal(BusStatus.SlaveError, smmu.MmioRead(offset, size, out ulong v));
        Assert.Equal(0UL, v);
        Assert.Equal(BusStatus.SlaveError, smmu.MmioWrite(offset, size, 0));
        Assert.Equal(BusStatus.Ok, smmu.MmioRead(0, 4, out ulong scr0));
        Assert.Equal((ulong)(sCR0_CLIENTPD | sCR0_SMCFCFG), scr0);
    }

    [Fact]
    public void Access_EightBytesOnAPairOf32BitRegisters_ActsOnBoth()
    {
        var h = new SmmuV2Harness();
        h.Cb64(0, SMMU_CBn_MAIR0, 0x1122_3344_5566_7788);
        Assert.Equal(0x5566_7788u, h.Cb(0, SMMU_CBn_MAIR0));
        Assert.Equal(0x1122_3344u, h.Cb(0, SMMU_CBn_MAIR1));
        Assert.Equal(0x1122_3344_5566_7788UL, h.Cb64(0, SMMU_CBn_MAIR0));
        Assert.Equal(BusStatus.Ok, h.Memory.Read64(SmmuV2Harness.SmmuBase + SMMU_IDR0, BusAccess.Cpu, out ulong ids));
        Assert.Equal(((ulong)SmmuV2Features.Mmu500.Idr1 << 32) | SmmuV2Features.Mmu500.Idr0, ids);
    }

    [Fact]
    public void Access_HalvesOf64BitRegisters()
    {
        var h = new SmmuV2Harness();
        h.Cb(1, SMMU_CBn_TTBR0, 0x8000_1000);
        h.Cb(1, SMMU_CBn_TTBR0 + 4, 0x0005_0000);
        Assert.Equal(0x0005_0000_8000_1000UL, h.Cb64(1, SMMU_CBn_TTBR0));
        h.Cb64(1, SMMU_CBn_FAR, 0xDEAD_BEEF_0000_1234);
        Assert.Equal(0xDEAD_BEEFu, h.Cb(1, SMMU_CBn_FAR + 4));
        h.Gr0(SMMU_sGFAR + 4, 0x12);
        Assert.Equal(0x12u, h.Gr0(SMMU_sGFAR + 4));
    }

    [Fact]
    public void Reserved_PagesAndUnimplementedBanks_ReadAsZeroIgnoreWrites()
    {
        var h = new SmmuV2Harness(SmmuV2Features.Mmu500 with { ContextBanks = 3, Stage2ContextBanks = 3 });
        Assert.Equal(0x8000UL, h.Smmu.RegisterSpaceSize); // NUMPAGE 4 with 4K pages
        ulong gid = SmmuV2Harness.SmmuBase + 0x2000;
        h.Write32(gid, 0xFFFF_FFFF);
        Assert.Equal(0u, h.Read32(gid));
        ulong cb3 = SmmuV2Harness.SmmuBase + 0x7000; // page NUMPAGE + 3: no such bank
        h.Write32(cb3 + SMMU_CBn_SCTLR, 1);
        Assert.Equal(0u, h.Read32(cb3 + SMMU_CBn_SCTLR));
        h.Gr1(SMMU_CBAR0 + 12, 0xFFFF_FFFF);
        Assert.Equal(0u, h.Gr1(SMMU_CBAR0 + 12));
        h.Gr0(SMMU_SMR0 + (4 * 48), 0xFFFF_FFFF); // beyond NUMSMRG
        Assert.Equal(0u, h.Gr0(SMMU_SMR0 + (4 * 48)));
    }

    [Fact]
    public void WriteOnlyOperations_ReadAsZero()
    {
        var h = new SmmuV2Harness();
        foreach (int reg in new[] { SMMU_CBn_TLBIVA, SMMU_CBn_TLBIASID, SMMU_CBn_TLBIALL, SMMU_CBn_TLBIIPAS2, SMMU_CBn_TLBSYNC, SMMU_CBn_ATS1PR, SMMU_CBn_RESUME, SMMU_CBn_FSRRESTORE })
        {
            h.Cb(0, reg, 0x1234_5000);
            Assert.Equal(0u, h.Cb(0, reg));
        }

        foreach (int reg in new[] { SMMU_TLBIVMID, SMMU_TLBIALLNSNH, SMMU_TLBIALLH, SMMU_sTLBGSYNC, SMMU_sGFSRRESTORE })
        {
            Assert.Equal(0u, h.Gr0(reg));
        }
    }

    [Fact]
    public void WriteMasks_ReservedAndUnimplementedBitsReadZero()
    {
        var h = new SmmuV2Harness(SmmuV2Features.Mmu500 with { Vmid16 = false });
        h.Cb(0, SMMU_CBn_SCTLR, 0xFFFF_FFFF);
        Assert.Equal(0x3FFF_F7FFu, h.Cb(0, SMMU_CBn_SCTLR));
        h.Cb(0, SMMU_CBn_TCR2, 0xFFFF_FFFF);
        Assert.Equal(0x0003_801Fu, h.Cb(0, SMMU_CBn_TCR2));
        h.Gr1(SMMU_CBAR0, 0xFFFF_FFFF);
        Assert.Equal(0xFF03_FFFFu, h.Gr1(SMMU_CBAR0));
        h.Gr1(SMMU_CBA2R0, 0xFFFF_FFFF);
        Assert.Equal(CBA2R_VA64, h.Gr1(SMMU_CBA2R0)); // no VMID16
        h.Gr0(SMMU_sCR0, 0xFFFF_FFFF);
        Assert.Equal(0x3FFF_FFF7u, h.Gr0(SMMU_sCR0)); // no VMID16EN, no EXIDENABLE, bit 30 reserved
        h.Gr0(SMMU_S2CR0, 0xFFFF_FFFF);
        Assert.Equal(0x3FFF_FBFFu, h.Gr0(SMMU_S2CR0)); // no EXIDVALID
    }

    [Fact]
    public void GlobalFaultRegisters_RestoreAndWriteOneToClear()
    {
        var h = new SmmuV2Harness();
        h.Gr0(SMMU_sCR0, sCR0_GFIE | sCR0_CLIENTPD);
        int raised = 0;
        h.Smmu.GlobalInterruptRaised += () => raised++;
        h.Gr0(SMMU_sGFSRRESTORE, sGFSR_SMCF | 0x4000_0000);
        Assert.Equal(sGFSR_SMCF, h.Gr0(SMMU_sGFSR));
        Assert.True(h.Smmu.GlobalInterruptPending);
        Assert.Equal(1, raised);
        h.Gr0(SMMU_sGFSR, 0);
        Assert.Equal(sGFSR_SMCF, h.Gr0(SMMU_sGFSR));
        h.Gr0(SMMU_sGFSR, sGFSR_SMCF);
        Assert.False(h.Smmu.GlobalInterruptPending);
    }

    [Fact]
    public void Reset_RestoresResetValuesAndEmptiesTheTlb()
    {
        var h = new SmmuV2Harness();
        var t = h.SetUpStage1(0x42);
        h.Map(t, 0x1000_0000, SmmuV2Harness.DataBase, 0x1000, IommuProt.Read);
        h.Translate(0x42, 0x1000_0000);
        Assert.Equal(1, h.Smmu.TlbEntryCount);
        h.Smmu.Reset();
        Assert.Equal(0, h.Smmu.TlbEntryCount);
        Assert.Equal(sCR0_CLIENTPD | sCR0_SMCFCFG, h.Gr0(SMMU_sCR0));
        Assert.Equal(0u, h.Gr0(SMMU_SMR0));
        Assert.Equal(0UL, h.Cb64(0, SMMU_CBn_TTBR0));
    }
}
