using IommuKit.Hardware.Memory;
using IommuKit.Hardware.Smmu.V3;
using static IommuKit.Hardware.Tests.Smmu.V3.SmmuV3Spec;

namespace IommuKit.Hardware.Tests.Smmu.V3;

/// <summary>An event record decoded with the reference bit positions (§7.3).</summary>
internal readonly record struct SpecEvent(ulong W0, ulong W1, ulong W2, ulong W3)
{
    public byte Id => (byte)W0;

    public bool Ssv => ((W0 >> 11) & 1) != 0;

    public uint Ssid => (uint)(W0 >> 12) & 0xFFFFF;

    public uint Sid => (uint)(W0 >> 32);

    public bool PnU => ((W1 >> 33) & 1) != 0;

    public bool InD => ((W1 >> 34) & 1) != 0;

    public bool RnW => ((W1 >> 35) & 1) != 0;

    public bool S2 => ((W1 >> 39) & 1) != 0;

    public int Class => (int)(W1 >> 40) & 3;

    public ulong InputAddr => W2;

    public ulong Ipa => W3 & 0x00FF_FFFF_FFFF_F000;

    public ulong FetchAddr => W3 & 0x00FF_FFFF_FFFF_FFF8;
}

/// <summary>
/// A machine with RAM and an SMMUv3, plus a minimal driver that programs it through registers
/// and memory only: stream table, queues, page tables.
/// </summary>
internal sealed class SmmuV3Rig
{
    public const ulong RamBase = 0x4000_0000;
    public const ulong RamSize = 0x4000_0000;

    private ulong _next = RamBase + 0x10_0000;
    private uint _cmdqProd;
    private uint _evtqCons;

    public SmmuV3Rig(SmmuV3Features? features = null, bool coherentWalk = true, int streamLog2 = 8, int cmdqLog2 = 6, int evtqLog2 = 6, bool twoLevel = false, bool enable = true)
    {
        Memory = new PhysicalMemory();
        Memory.AddRam(RamBase, RamSize);
        Smmu = new SmmuV3(Memory, features ?? new SmmuV3Features(), coherentWalk);
        Smmu.InterruptRaised = Irqs.Add;
        CmdqLog2 = cmdqLog2;
        EvtqLog2 = evtqLog2;
        CmdqBase = Alloc(16UL << cmdqLog2);
        EvtqBase = Alloc(32UL << evtqLog2);
        TwoLevel = twoLevel;
        StreamLog2 = streamLog2;
        if (twoLevel)
        {
            StrtabBase = Alloc(8UL << Math.Max(streamLog2 - 6, 0)); // SPLIT = 6
        }
        else
        {
            StrtabBase = Alloc(64UL << streamLog2, Math.Max(4096, 64UL << streamLog2));
        }

        W32(CR1, CR1_WB_ISH);
        W32(CR2, 2); // RECINVSID
        W64(STRTAB_BASE, StrtabBase);
        W32(STRTAB_BASE_CFG, (uint)streamLog2 | (twoLevel ? (6u << 6) | (1u << 16) : 0));
        W64(CMDQ_BASE, CmdqBase | (uint)cmdqLog2);
        W64(EVTQ_BASE, EvtqBase | (uint)evtqLog2);
        W32(IRQ_CTRL, 5);
        if (enable)
        {
            W32(CR0, CR0_CMDQEN | CR0_EVTQEN);
            Submit(CfgiAll(), TlbiNsnhAll(), Sync());
            W32(CR0, CR0_CMDQEN | CR0_EVTQEN | CR0_SMMUEN);
        }
    }

    public PhysicalMemory Memory { get; }

    public SmmuV3 Smmu { get; }

    public List<SmmuV3Irq> Irqs { get; } = [];

    public ulong CmdqBase { get; }

    public ulong EvtqBase { get; }

    public ulong StrtabBase { get; }

    public int CmdqLog2 { get; }

    public int EvtqLog2 { get; }

    public bool TwoLevel { get; }

    public int StreamLog2 { get; }

    /// <summary>Zeroed RAM (never used before), aligned.</summary>
    public ulong Alloc(ulong size, ulong align = 4096)
    {
        ulong p = (_next + align - 1) & ~(align - 1);
        _next = p + size;
        return p;
    }

    public uint R32(ulong offset)
    {
        Assert.Equal(BusStatus.Ok, Smmu.MmioRead(offset, 4, out ulong v));
        return (uint)v;
    }

    public void W32(ulong offset, uint value) => Assert.Equal(BusStatus.Ok, Smmu.MmioWrite(offset, 4, value));

    public void W64(ulong offset, ulong value) => Assert.Equal(BusStatus.Ok, Smmu.MmioWrite(offset, 8, value));

    public void WriteStruct(ulong pa, ulong[] dwords)
    {
        for (int i = 0; i < dwords.Length; i++)
        {
            Assert.Equal(BusStatus.Ok, Memory.Write64(pa + ((ulong)i * 8), dwords[i], BusAccess.Cpu));
        }
    }

    public ulong Read64(ulong pa)
    {
        Assert.Equal(BusStatus.Ok, Memory.Read64(pa, BusAccess.Cpu, out ulong v));
        return v;
    }

    /// <summary>Writes the STE of <paramref name="sid"/> (allocating a level-2 table of 64 STEs in a 2-level table).</summary>
    public void SetSte(uint sid, ulong[] ste)
    {
        ulong addr;
        if (TwoLevel)
        {
            ulong l1 = StrtabBase + ((ulong)(sid >> 6) * 8);
            ulong desc = Read64(l1);
            if ((desc & 0x1F) == 0)
            {
                ulong l2 = Alloc(64 * 64);
                desc = l2 | 7; // Span 7: 2^6 STEs
                Assert.Equal(BusStatus.Ok, Memory.Write64(l1, desc, BusAccess.Cpu));
            }

            addr = (desc & 0x00FF_FFFF_FFFF_FFC0) + ((ulong)(sid & 63) * 64);
        }
        else
        {
            addr = StrtabBase + ((ulong)sid * 64);
        }

        WriteStruct(addr, ste);
    }

    public void Submit(params (ulong W0, ulong W1)[] commands)
    {
        uint entries = 1u << CmdqLog2;
        foreach ((ulong w0, ulong w1) in commands)
        {
            ulong slot = CmdqBase + ((ulong)(_cmdqProd & (entries - 1)) * 16);
            WriteStruct(slot, [w0, w1]);
            _cmdqProd = (_cmdqProd + 1) & ((entries << 1) - 1);
        }

        W32(CMDQ_PROD, _cmdqProd);
    }

    /// <summary>Consumes every new event record and acknowledges any overflow.</summary>
    public List<SpecEvent> Events()
    {
        var list = new List<SpecEvent>();
        uint entries = 1u << EvtqLog2;
        uint mask = (entries << 1) - 1;
        uint prod = R32(EVTQ_PROD);
        while ((_evtqCons & mask) != (prod & mask))
        {
            ulong slot = EvtqBase + ((ulong)(_evtqCons & (entries - 1)) * 32);
            list.Add(new SpecEvent(Read64(slot), Read64(slot + 8), Read64(slot + 16), Read64(slot + 24)));
            _evtqCons = (_evtqCons + 1) & mask;
        }

        W32(EVTQ_CONS, _evtqCons | (prod & 0x8000_0000));
        return list;
    }

    public ulong NewTable() => Alloc(4096);

    /// <summary>Installs a leaf descriptor for <paramref name="ia"/> at <paramref name="leafLevel"/> of a 4K-granule table starting at level 0.</summary>
    public void Map(ulong root, ulong ia, ulong leaf, int leafLevel = 3)
    {
        ulong table = root;
        for (int level = 0; level < leafLevel; level++)
        {
            ulong slot = table + (((ia >> (39 - (9 * level))) & 511) * 8);
            ulong desc = Read64(slot);
            if ((desc & 3) != 3)
            {
                desc = NewTable() | Table;
                Assert.Equal(BusStatus.Ok, Memory.Write64(slot, desc, BusAccess.Cpu));
            }

            table = desc & 0x0000_FFFF_FFFF_F000;
        }

        Assert.Equal(BusStatus.Ok, Memory.Write64(table + (((ia >> (39 - (9 * leafLevel))) & 511) * 8), leaf, BusAccess.Cpu));
    }

    /// <summary>A stage-1 stream: CD (ASID), table root; returns (cd address, root).</summary>
    public (ulong Cd, ulong Root) AddS1Stream(uint sid, ushort asid, bool record = true, bool abort = true)
    {
        ulong root = NewTable();
        ulong cd = Alloc(64, 64);
        WriteStruct(cd, SmmuV3Spec.Cd(root, asid, record, abort));
        SetSte(sid, SteS1(cd));
        return (cd, root);
    }
}
