using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables;
using IommuKit.Hardware.PageTables.ArmLpae;

namespace IommuKit.Hardware.Tests.PageTables;

public sealed class ArmLpaeWalkerTests
{
    // Hand-built 4K tables for VA 0: L0 at Base, L1, L2, L3 in the following pages.
    private const ulong Base = 0x4000_0000;
    private const ulong L0 = Base;
    private const ulong L1 = Base + 0x1000;
    private const ulong L2 = Base + 0x2000;
    private const ulong L3 = Base + 0x3000;
    private const ulong Out = 0x5000_0000;
    private const ulong Af = ArmLpaePte.Af;

    private readonly PhysicalMemory _memory = new();

    public ArmLpaeWalkerTests()
    {
        _memory.AddRam(Base, 1UL << 30);
        Set(L0, L1 | 3);
        Set(L1, L2 | 3);
        Set(L2, L3 | 3);
        Set(L3, Out | Af | 3); // AP = 00: privileged read/write only
    }

    private static ArmLpaeWalkConfig S1 => ArmLpaeWalkConfig.FromS1(16, 0, 5, L0, BusAccess.Snoop);

    private static ArmLpaeWalkConfig S2 => ArmLpaeWalkConfig.FromS2(16, 2, 0, 5, L0, BusAccess.Snoop);

    [Fact]
    public void WalkConfig_Equality_FollowsTheFieldsNotTheCachedDerivations()
    {
        ArmLpaeWalkConfig a = ArmLpaeWalkConfig.FromS1(16, 0, 5, L0, BusAccess.Snoop);
        ArmLpaeWalkConfig b = ArmLpaeWalkConfig.FromS1(16, 0, 5, L0, BusAccess.Snoop) with { Wxn = true } with { Wxn = false };

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, a with { TableBase = L1 });
        Assert.NotEqual(a, a with { Wxn = true });
    }

    [Fact]
    public void Walk_Page_Translates()
    {
        ArmLpaeWalkResult r = Walk(S1, 0xABC, ArmLpaeAccess.Write | ArmLpaeAccess.Privileged);

        Assert.Equal(ArmLpaeFault.None, r.Fault);
        Assert.Equal(3, r.Level);
        Assert.Equal(1, r.Stage);
        Assert.Equal(Out + 0xABC, r.OutputAddress);
        Assert.Equal(12, r.BlockShift);
        Assert.True(r.Readable && r.Writable);
        Assert.Equal(0, r.AccessPermissions);
    }

    [Theory]
    [InlineData(L0, 0UL, 0)]
    [InlineData(L1, 0UL, 1)]
    [InlineData(L2, 0x5000_0000UL | Af | 2, 2)] // 0b10: invalid
    [InlineData(L3, 0UL, 3)]
    [InlineData(L3, Out | Af | 1, 3)] // 0b01 at level 3 is invalid
    [InlineData(L0, Out | Af | 1, 0)] // no level-0 blocks with the 4K granule
    public void Walk_InvalidDescriptor_TranslationFaultAtLevel(ulong at, ulong value, int level)
    {
        Set(at, value);
        ArmLpaeWalkResult r = Walk(S1, 0x10, ArmLpaeAccess.Read | ArmLpaeAccess.Privileged);
        Assert.Equal(ArmLpaeFault.Translation, r.Fault);
        Assert.Equal(level, r.Level);
        Assert.Equal(value, r.Descriptor);
    }

    [Fact]
    public void Walk_InputBeyondInputSize_TranslationFaultLevel0()
    {
        ArmLpaeWalkResult r = Walk(S1, 1UL << 48, ArmLpaeAccess.Read | ArmLpaeAccess.Privileged);
        Assert.Equal(ArmLpaeFault.Translation, r.Fault);
        Assert.Equal(0, r.Level);

        ArmLpaeWalkResult s2 = Walk(S2, 1UL << 48, ArmLpaeAccess.Read);
        Assert.Equal(ArmLpaeFault.Translation, s2.Fault);
        Assert.Equal(1UL << 48, s2.FaultAddress); // stage-2 faults report the IPA
    }

    [Fact]
    public void Walk_Blocks_AtLevels1And2()
    {
        Set(L1, 0x8000_0000 | Af | 0x40 | 1);
        ArmLpaeWalkResult g = Walk(S1, 0x1234_5678, ArmLpaeAccess.Read);
        Assert.Equal((1, 0x9234_5678UL, 30), (g.Level, g.OutputAddress, g.BlockShift));

        Set(L1, L2 | 3);
        Set(L2, 0x6020_0000 | Af | 0x40 | 1);
        ArmLpaeWalkResult m = Walk(S1, 0x1_2345, ArmLpaeAccess.Read);
        Assert.Equal((2, 0x6021_2345UL, 21), (m.Level, m.OutputAddress, m.BlockShift));
    }

    [Fact]
    public void Walk_16KLevel1Block_TranslationFault()
    {
        // 16K granule, 48-bit VA: start level 0. A block descriptor at level 1 (64 GiB) is not allowed.
        ArmLpaeWalkConfig cfg = ArmLpaeWalkConfig.FromS1(16, 2, 5, L0, BusAccess.Snoop);
        Assert.Equal(0, cfg.StartLevel);
        const ulong L1For16K = Base + 0x10000;
        Set(L0, L1For16K | 3);
        Set(L1For16K, Af | 1);
        ArmLpaeWalkResult r = Walk(cfg, 0, ArmLpaeAccess.Read);
        Assert.Equal((ArmLpaeFault.Translation, 1), (r.Fault, r.Level));
    }

    [Fact]
    public void Walk_AccessFlagClear_FaultOrHardwareUpdate()
    {
        Set(L3, Out | 3);
        ArmLpaeWalkResult r = Walk(S1, 0, ArmLpaeAccess.Read | ArmLpaeAccess.Privileged);
        Assert.Equal((ArmLpaeFault.AccessFlag, 3), (r.Fault, r.Level));
        Assert.Equal(Out | 3, Get(L3));

        ArmLpaeWalkResult ha = Walk(S1 with { HardwareAccessFlag = true }, 0, ArmLpaeAccess.Read | ArmLpaeAccess.Privileged);
        Assert.Equal(ArmLpaeFault.None, ha.Fault);
        Assert.Equal(Out | Af | 3, Get(L3));
        Assert.Equal(Out | Af | 3, ha.Descriptor);
    }

    [Theory]
    // AP[2:1]: 00 priv RW; 01 priv+unpriv RW; 10 priv RO; 11 priv+unpriv RO.
    [InlineData(0x00UL, ArmLpaeAccess.Read, false)]
    [InlineData(0x00UL, ArmLpaeAccess.Read | ArmLpaeAccess.Privileged, true)]
    [InlineData(0x00UL, ArmLpaeAccess.Write | ArmLpaeAccess.Privileged, true)]
    [InlineData(0x40UL, ArmLpaeAccess.Write, true)]
    [InlineData(0x80UL, ArmLpaeAccess.Write | ArmLpaeAccess.Privileged, false)]
    [InlineData(0x80UL, ArmLpaeAccess.Read, false)]
    [InlineData(0xC0UL, ArmLpaeAccess.Read, true)]
    [InlineData(0xC0UL, ArmLpaeAccess.Write, false)]
    // UXN (bit 54) stops unprivileged fetch, PXN (bit 53) privileged fetch.
    [InlineData(0xC0UL | ArmLpaePte.Uxn, ArmLpaeAccess.Execute, false)]
    [InlineData(0xC0UL | ArmLpaePte.Uxn, ArmLpaeAccess.Execute | ArmLpaeAccess.Privileged, true)]
    [InlineData(0xC0UL | ArmLpaePte.Pxn, ArmLpaeAccess.Execute | ArmLpaeAccess.Privileged, false)]
    [InlineData(0xC0UL | ArmLpaePte.Pxn, ArmLpaeAccess.Execute, true)]
    // Memory writable by unprivileged accesses is never privileged-executable.
    [InlineData(0x40UL, ArmLpaeAccess.Execute | ArmLpaeAccess.Privileged, false)]
    [InlineData(0x40UL, ArmLpaeAccess.Execute, true)]
    public void Walk_Stage1Permissions(ulong attrs, ArmLpaeAccess access, bool allowed)
    {
        Set(L3, Out | Af | attrs | 3);
        ArmLpaeWalkResult r = Walk(S1, 0, access);
        Assert.Equal(allowed ? ArmLpaeFault.None : ArmLpaeFault.Permission, r.Fault);
        Assert.Equal(3, r.Level);
    }

    [Fact]
    public void Walk_HierarchicalApTable_LimitsLeafUnlessDisabled()
    {
        Set(L3, Out | Af | 0x40 | 3); // priv + unpriv RW
        Set(L1, L2 | 3 | (2UL << ArmLpaePte.ApTableShift)); // APTable[1]: read-only below

        ArmLpaeWalkResult r = Walk(S1, 0, ArmLpaeAccess.Write);
        Assert.Equal((ArmLpaeFault.Permission, 3), (r.Fault, r.Level));
        Assert.Equal(ArmLpaeFault.None, Walk(S1, 0, ArmLpaeAccess.Read).Fault);
        Assert.Equal(ArmLpaeFault.None, Walk(S1 with { HierarchicalPermissionsDisabled = true }, 0, ArmLpaeAccess.Write).Fault);

        Set(L1, L2 | 3 | ArmLpaePte.UxnTable);
        Assert.Equal(ArmLpaeFault.Permission, Walk(S1, 0, ArmLpaeAccess.Execute).Fault);
    }

    [Fact]
    public void Walk_Wxn_WritableNotExecutable()
    {
        Set(L3, Out | Af | 0x40 | 3);
        Assert.Equal(ArmLpaeFault.None, Walk(S1, 0, ArmLpaeAccess.Execute).Fault);
        Assert.Equal(ArmLpaeFault.Permission, Walk(S1 with { Wxn = true }, 0, ArmLpaeAccess.Execute).Fault);
    }

    [Theory]
    [InlineData(0x40UL, ArmLpaeAccess.Read, true)]
    [InlineData(0x40UL, ArmLpaeAccess.Write, false)]
    [InlineData(0x80UL, ArmLpaeAccess.Write, true)]
    [InlineData(0x80UL, ArmLpaeAccess.Read, false)]
    [InlineData(0x00UL, ArmLpaeAccess.Read | ArmLpaeAccess.Privileged, false)]
    [InlineData(0xC0UL | ArmLpaePte.Uxn, ArmLpaeAccess.Execute, false)]
    [InlineData(0xC0UL, ArmLpaeAccess.Execute, true)]
    public void Walk_Stage2Permissions(ulong attrs, ArmLpaeAccess access, bool allowed)
    {
        Set(L3, Out | Af | attrs | 3);
        ArmLpaeWalkResult r = Walk(S2, 0x20, access);
        Assert.Equal(allowed ? ArmLpaeFault.None : ArmLpaeFault.Permission, r.Fault);
        Assert.Equal(2, r.Stage);
        Assert.Equal(allowed ? 0UL : 0x20UL, r.FaultAddress);
    }

    [Fact]
    public void Walk_HardwareDirty_MakesDbmLeafWritable()
    {
        ulong clean = Out | Af | ArmLpaePte.Dbm | 0xC0 | 3; // writable-clean: DBM=1, AP[2]=1
        Set(L3, clean);
        Assert.Equal(ArmLpaeFault.Permission, Walk(S1, 0, ArmLpaeAccess.Write).Fault);

        ArmLpaeWalkResult r = Walk(S1 with { HardwareDirty = true }, 0, ArmLpaeAccess.Write);
        Assert.Equal(ArmLpaeFault.None, r.Fault);
        Assert.Equal(clean & ~ArmLpaePte.ApRdonly, Get(L3));

        Set(L3, Out | Af | ArmLpaePte.Dbm | 0x40 | 3); // stage 2: DBM and S2AP read-only
        Assert.Equal(ArmLpaeFault.None, Walk(S2 with { HardwareDirty = true }, 0, ArmLpaeAccess.Write).Fault);
        Assert.Equal(0xC0UL, Get(L3) & 0xC0);
    }

    [Fact]
    public void Walk_OutputBeyondOutputSize_AddressSizeFault()
    {
        ArmLpaeWalkConfig small = ArmLpaeWalkConfig.FromS1(16, 0, 0, L0, BusAccess.Snoop); // 32-bit PA
        Set(L3, 0x1_0000_0000 | Af | 3);
        ArmLpaeWalkResult leaf = Walk(small, 0, ArmLpaeAccess.Read | ArmLpaeAccess.Privileged);
        Assert.Equal((ArmLpaeFault.AddressSize, 3), (leaf.Fault, leaf.Level));

        Set(L2, 0x1_0000_0000 | 3);
        ArmLpaeWalkResult table = Walk(small, 0, ArmLpaeAccess.Read | ArmLpaeAccess.Privileged);
        Assert.Equal((ArmLpaeFault.AddressSize, 2), (table.Fault, table.Level));
    }

    [Fact]
    public void Walk_TableOutsideRam_ExternalAbortWithDescriptorAddress()
    {
        Set(L1, 0x10_0000_0000 | 3);
        ArmLpaeWalkResult r = Walk(S1, 0x40_0000, ArmLpaeAccess.Read);
        Assert.Equal((ArmLpaeFault.ExternalAbort, 2), (r.Fault, r.Level));
        Assert.Equal(0x10_0000_0000UL + (2 * 8), r.FaultAddress);
    }

    [Fact]
    public void Walk_InvalidConfiguration_TranslationFaultNeverThrows()
    {
        ArmLpaeWalkConfig badTg = ArmLpaeWalkConfig.FromS1(16, 3, 5, L0, BusAccess.Snoop);
        ArmLpaeWalkConfig badSl0 = ArmLpaeWalkConfig.FromS2(16, 3, 0, 5, L0, BusAccess.Snoop);
        ArmLpaeWalkConfig tooManyConcat = ArmLpaeWalkConfig.FromS2(24, 0, 0, 2, L0, BusAccess.Snoop); // 4K, 40-bit IPA from level 2
        ArmLpaeWalkConfig tinyInput = ArmLpaeWalkConfig.FromS1(60, 0, 5, L0, BusAccess.Snoop);
        foreach (ArmLpaeWalkConfig c in new[] { badTg, badSl0, tooManyConcat, tinyInput, default })
        {
            Assert.False(c.IsValid);
            ArmLpaeWalkResult r = Walk(c, 0, ArmLpaeAccess.Read);
            Assert.Equal((ArmLpaeFault.Translation, 0), (r.Fault, r.Level));
        }
    }

    [Fact]
    public void Walk_NonSnoopingWalker_ReadsRamNotCache()
    {
        var memory = new PhysicalMemory(new CpuCacheOptions());
        memory.AddRam(Base, 1UL << 24);
        ArmLpaeWalkConfig cfg = ArmLpaeWalkConfig.FromS1(64 - 39, 0, 5, Base, BusAccess.NoSnoop); // 3 levels
        Assert.Equal(1, cfg.StartLevel);
        Assert.Equal(BusStatus.Ok, memory.Write64(Base, L1 | 3, BusAccess.Cpu));
        ArmLpaeWalker.Walk(memory, in cfg, 0, ArmLpaeAccess.Read, out ArmLpaeWalkResult stale);
        Assert.Equal((ArmLpaeFault.Translation, 1), (stale.Fault, stale.Level));

        memory.Cache!.Clean(Base, 8);
        ArmLpaeWalker.Walk(memory, in cfg, 0, ArmLpaeAccess.Read, out ArmLpaeWalkResult fresh);
        Assert.Equal((ArmLpaeFault.Translation, 2), (fresh.Fault, fresh.Level)); // got one level further
    }

    [Fact]
    public void WalkNested_TranslatesBothStages()
    {
        using var n = new NestedSetup();
        ArmLpaeWalkResult r = n.Walk(NestedSetup.Va + 0x123, ArmLpaeAccess.Write);

        Assert.Equal(ArmLpaeFault.None, r.Fault);
        Assert.Equal(NestedSetup.Pa + 0x123, r.OutputAddress);
        Assert.Equal(NestedSetup.Ipa + 0x123, r.IntermediateAddress);
        Assert.Equal(1, r.AttrIndx);
        Assert.Equal(0xF, r.S2MemAttr);
        Assert.Equal(12, r.BlockShift);
        Assert.True(r.Writable);
    }

    [Fact]
    public void WalkNested_Stage2FaultOnStage1TableFetch()
    {
        using var n = new NestedSetup();
        // Remove the stage-2 mapping of the 2 MiB that holds the stage-1 PGD.
        Assert.Equal(Sizes.M2, n.S2.T.UnmapPages(n.S1Pgd & ~(Sizes.M2 - 1), Sizes.M2, 1, null));

        ArmLpaeWalkResult r = n.Walk(NestedSetup.Va, ArmLpaeAccess.Read);

        Assert.Equal(ArmLpaeFault.Translation, r.Fault);
        Assert.Equal(2, r.Stage);
        Assert.True(r.FaultOnTableFetch);
        Assert.Equal(2, r.Level);
        ulong descriptorIpa = n.S1Pgd + (((NestedSetup.Va >> 39) & 511) * 8);
        Assert.Equal(descriptorIpa, r.FaultAddress);
    }

    [Fact]
    public void WalkNested_Stage2FaultOnOutput()
    {
        using var n = new NestedSetup();
        Assert.Equal(Sizes.K4, n.S2.T.UnmapPages(NestedSetup.Ipa, Sizes.K4, 1, null));
        Assert.Equal(PageTableStatus.Ok, n.S2.T.MapPages(NestedSetup.Ipa, NestedSetup.Pa, Sizes.K4, 1, IommuProt.Read, out _));

        ArmLpaeWalkResult w = n.Walk(NestedSetup.Va + 8, ArmLpaeAccess.Write);
        Assert.Equal((ArmLpaeFault.Permission, 2, 3, false), (w.Fault, w.Stage, w.Level, w.FaultOnTableFetch));
        Assert.Equal(NestedSetup.Ipa + 8, w.FaultAddress);
        Assert.Equal(ArmLpaeFault.None, n.Walk(NestedSetup.Va + 8, ArmLpaeAccess.Read).Fault);
    }

    [Fact]
    public void WalkNested_Stage1Fault_ReportedAsStage1()
    {
        using var n = new NestedSetup();
        ArmLpaeWalkResult r = n.Walk(NestedSetup.Va + Sizes.K4, ArmLpaeAccess.Read);
        Assert.Equal((ArmLpaeFault.Translation, 1, 3, false), (r.Fault, r.Stage, r.Level, r.FaultOnTableFetch));
    }

    private void Set(ulong pa, ulong value) => Assert.Equal(BusStatus.Ok, _memory.Write64(pa, value, BusAccess.Cpu));

    private ulong Get(ulong pa)
    {
        Assert.Equal(BusStatus.Ok, _memory.Read64(pa, BusAccess.Cpu, out ulong v));
        return v;
    }

    private ArmLpaeWalkResult Walk(ArmLpaeWalkConfig cfg, ulong va, ArmLpaeAccess access)
    {
        ArmLpaeWalker.Walk(_memory, in cfg, va, access, out ArmLpaeWalkResult r);
        return r;
    }

    /// <summary>
    /// A stage-2 table (IPA = PA for the stage-1 table pool, 2 MiB blocks) and a stage-1 table in
    /// that pool mapping <see cref="Va"/> → <see cref="Ipa"/>, which stage 2 maps to <see cref="Pa"/>.
    /// </summary>
    private sealed class NestedSetup : IDisposable
    {
        public const ulong Va = 0x0000_1234_5670_0000;
        public const ulong Ipa = 0x80_0000_0000;
        public const ulong Pa = 0x7000_0000;
        private const ulong S1Pool = 0x5000_0000;

        public NestedSetup()
        {
            S2 = new PageTableHarness(PageTableHarness.S2(ias: 40, oas: 40));
            var s1Alloc = new SimpleTablePageAllocator(S2.Memory, S1Pool, 16UL << 20);
            Assert.Equal(PageTableStatus.Ok, ArmLpaeIoPageTable.TryCreate(PageTableHarness.S1(), S2.Memory, s1Alloc, new RecordingFlushOps(), out ArmLpaeIoPageTable? s1));
            S1 = s1!;
            Assert.Equal(PageTableStatus.Ok, S2.MapRange(S1Pool, S1Pool, 16UL << 20, Sizes.M2, IommuProt.Read | IommuProt.Write | IommuProt.Cache));
            Assert.Equal(PageTableStatus.Ok, S2.T.MapPages(Ipa, Pa, Sizes.K4, 1, IommuProt.Read | IommuProt.Write | IommuProt.Cache, out _));
            Assert.Equal(PageTableStatus.Ok, S1.MapPages(Va, Ipa, Sizes.K4, 1, IommuProt.Read | IommuProt.Write | IommuProt.Cache, out _));
        }

        public PageTableHarness S2 { get; }

        public ArmLpaeIoPageTable S1 { get; }

        public ulong S1Pgd => S1.PgdPa;

        public ArmLpaeWalkResult Walk(ulong va, ArmLpaeAccess access)
        {
            ArmLpaeWalkConfig s1 = S1.CreateWalkConfig(BusAccess.Snoop);
            ArmLpaeWalkConfig s2 = S2.T.CreateWalkConfig(BusAccess.Snoop);
            ArmLpaeWalker.WalkNested(S2.Memory, in s1, in s2, va, access, out ArmLpaeWalkResult r);
            return r;
        }

        public void Dispose()
        {
            S1.Free();
            S2.T.Free();
        }
    }
}
