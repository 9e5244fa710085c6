using IommuKit.Hardware.Dma;
using IommuKit.Hardware.Memory;
using IommuKit.Hardware.Smmu.V3;
using static IommuKit.Hardware.Tests.Smmu.V3.SmmuV3Spec;

namespace IommuKit.Hardware.Tests.Smmu.V3;

public sealed class SmmuV3Stage2Tests
{
    private const ulong Ipa = 0x1_0000_0000;
    private const ulong Va = 0x2000_0000;

    [Fact]
    public void Stage2Only_TranslatesIpaAndTagsByVmid()
    {
        var rig = new SmmuV3Rig();
        ulong s2a = rig.NewTable();
        ulong s2b = rig.NewTable();
        ulong paA = rig.Alloc(4096);
        ulong paB = rig.Alloc(4096);
        rig.Map(s2a, Ipa, S2Leaf(paA, page: true));
        rig.Map(s2b, Ipa, S2Leaf(paB, page: true));
        rig.SetSte(1, SteS2(s2a, vmid: 1));
        rig.SetSte(2, SteS2(s2b, vmid: 2));

        Assert.True(rig.Smmu.Translate(1, Ipa + 8, default, true, out SmmuV3Translation a));
        Assert.True(rig.Smmu.Translate(2, Ipa + 8, default, true, out SmmuV3Translation b));

        Assert.Equal(paA + 8, a.OutputAddress);
        Assert.Equal(paB + 8, b.OutputAddress);
        Assert.Equal(BusAccess.Snoop, a.Access);
    }

    [Fact]
    public void Stage2Only_StaleUntilTlbiS2IpaForTheVmid()
    {
        var rig = new SmmuV3Rig();
        ulong s2 = rig.NewTable();
        ulong pa = rig.Alloc(4096);
        rig.Map(s2, Ipa, S2Leaf(pa, page: true));
        rig.SetSte(1, SteS2(s2, vmid: 3));
        Assert.True(rig.Smmu.Translate(1, Ipa, default, false, out _));
        rig.Map(s2, Ipa, 0);

        rig.Submit(TlbiS2Ipa(4, Ipa), TlbiNhAll(3), Sync()); // another VMID; a stage-1 invalidation
        Assert.True(rig.Smmu.Translate(1, Ipa, default, false, out _));

        rig.Submit(TlbiS2Ipa(3, Ipa), Sync());
        Assert.False(rig.Smmu.Translate(1, Ipa, default, false, out SmmuV3Translation t));

        Assert.Equal(SmmuV3EventId.F_TRANSLATION, t.Fault);
        Assert.Equal(Ipa, SingleStage2Fault(rig, ClassIn, Ipa).InputAddr);
    }

    [Fact]
    public void Stage2Only_S2RClear_SuppressesButAborts()
    {
        var rig = new SmmuV3Rig();
        rig.SetSte(1, SteS2(rig.NewTable(), vmid: 1, record: false));

        Assert.Equal(DmaStatus.Fault, rig.Smmu.DmaRead(1, Ipa, new byte[8], DmaAttributes.Coherent));

        Assert.Empty(rig.Events());
    }

    [Fact]
    public void Stage2Only_WriteToReadOnlyIpa_PermissionFaultAtStage2()
    {
        var rig = new SmmuV3Rig();
        ulong s2 = rig.NewTable();
        rig.Map(s2, Ipa, S2Leaf(rig.Alloc(4096), page: true, write: false));
        rig.SetSte(1, SteS2(s2, vmid: 1));

        Assert.True(rig.Smmu.Translate(1, Ipa, default, false, out _));
        Assert.False(rig.Smmu.Translate(1, Ipa, default, true, out SmmuV3Translation t));

        Assert.Equal(SmmuV3EventId.F_PERMISSION, t.Fault);
        Assert.True(Assert.Single(rig.Events()).S2);
    }

    [Fact]
    public void Stage2Only_SubstreamSupplied_CBadSubstreamId()
    {
        var rig = new SmmuV3Rig();
        rig.SetSte(1, SteS2(rig.NewTable(), vmid: 1));

        Assert.False(rig.Smmu.Translate(1, Ipa, new DmaAttributes { SubstreamValid = true, SubstreamId = 3 }, false, out SmmuV3Translation t));

        Assert.Equal(SmmuV3EventId.C_BAD_SUBSTREAMID, t.Fault);
    }

    [Fact]
    public void Stage2Only_InputBeyondOas_StageOneAddressSizeFault()
    {
        var rig = new SmmuV3Rig();
        rig.SetSte(1, SteS2(rig.NewTable(), vmid: 1));

        Assert.False(rig.Smmu.Translate(1, 1UL << 48, default, false, out SmmuV3Translation t));

        Assert.Equal(SmmuV3EventId.F_ADDR_SIZE, t.Fault);
        SpecEvent e = Assert.Single(rig.Events());
        Assert.False(e.S2);
        Assert.Equal(2, e.Class);
    }

    [Theory]
    [InlineData(0, 0)] // S2TG 4K, S2SL0 = 0 (start level 2) cannot cover a 48-bit IPA
    [InlineData(3, 2)] // S2TG reserved
    public void Stage2_InconsistentVtcrFields_CBadSte(int sl0, int tg)
    {
        var rig = new SmmuV3Rig();
        ulong[] ste = SteS2(rig.NewTable(), vmid: 1);
        SetS2(ste, rig.NewTable(), 1, sl0: sl0, tg: tg);
        rig.SetSte(1, ste);

        Assert.False(rig.Smmu.Translate(1, Ipa, default, false, out SmmuV3Translation t));

        Assert.Equal(SmmuV3EventId.C_BAD_STE, t.Fault);
    }

    /// <summary>Stage 2: RAM identity-mapped with 1G blocks, plus <see cref="Ipa"/> → <paramref name="dataPa"/>.</summary>
    // F_TRANSLATION CLASS: the stage-2 fault hit fetching the CD, a stage-1 table, or the input.
    private const int ClassCd = 0;
    private const int ClassTt = 1;
    private const int ClassIn = 2;

    /// <summary>Asserts that exactly one event was recorded: a stage-2 F_TRANSLATION of <paramref name="eventClass"/> at <paramref name="ipa"/>.</summary>
    private static SpecEvent SingleStage2Fault(SmmuV3Rig rig, int eventClass, ulong ipa)
    {
        SpecEvent e = Assert.Single(rig.Events());
        Assert.Equal(F_TRANSLATION, e.Id);
        Assert.True(e.S2);
        Assert.Equal(eventClass, e.Class);
        Assert.Equal(ipa, e.Ipa);
        return e;
    }

    private static ulong BuildStage2(SmmuV3Rig rig, ulong dataPa, int memAttr = 0xF)
    {
        ulong s2 = rig.NewTable();
        rig.Map(s2, SmmuV3Rig.RamBase, S2Leaf(SmmuV3Rig.RamBase, page: false), leafLevel: 1);
        rig.Map(s2, Ipa, S2Leaf(dataPa, page: true, memAttr: memAttr));
        return s2;
    }

    [Fact]
    public void Nested_VaToIpaToPa()
    {
        var rig = new SmmuV3Rig();
        ulong dataPa = rig.Alloc(4096);
        ulong s2 = BuildStage2(rig, dataPa);
        ulong s1 = rig.NewTable();
        ulong cd = rig.Alloc(64, 64);
        rig.WriteStruct(cd, Cd(s1, 9));
        rig.Map(s1, Va, S1Leaf(Ipa, page: true));
        rig.SetSte(4, SteNested(cd, s2, vmid: 6));

        Assert.True(rig.Smmu.Translate(4, Va + 0x44, default, true, out SmmuV3Translation t));

        Assert.Equal(dataPa + 0x44, t.OutputAddress);
        Assert.Equal(BusAccess.Snoop, t.Access);
        Assert.Equal(DmaStatus.Ok, rig.Smmu.DmaWrite(4, Va, [0xAB], DmaAttributes.Coherent));
        Assert.Equal(0xABUL, rig.Read64(dataPa) & 0xFF);
    }

    [Fact]
    public void Nested_Stage2NonCacheable_OutputDoesNotSnoop()
    {
        var rig = new SmmuV3Rig();
        ulong dataPa = rig.Alloc(4096);
        ulong s2 = BuildStage2(rig, dataPa, memAttr: 0x5); // Normal NC
        ulong s1 = rig.NewTable();
        ulong cd = rig.Alloc(64, 64);
        rig.WriteStruct(cd, Cd(s1, 9));
        rig.Map(s1, Va, S1Leaf(Ipa, page: true));
        rig.SetSte(4, SteNested(cd, s2, vmid: 6));

        Assert.True(rig.Smmu.Translate(4, Va, default, false, out SmmuV3Translation t));

        Assert.Equal(BusAccess.NoSnoop, t.Access);
    }

    [Fact]
    public void Nested_CombinedEntry_SurvivesTlbiS2IpaButNotNhAll()
    {
        var rig = new SmmuV3Rig();
        ulong dataPa = rig.Alloc(4096);
        ulong s2 = BuildStage2(rig, dataPa);
        ulong s1 = rig.NewTable();
        ulong cd = rig.Alloc(64, 64);
        rig.WriteStruct(cd, Cd(s1, 9));
        rig.Map(s1, Va, S1Leaf(Ipa, page: true));
        rig.SetSte(4, SteNested(cd, s2, vmid: 6));
        Assert.True(rig.Smmu.Translate(4, Va, default, false, out _));
        rig.Map(s2, Ipa, 0); // the hypervisor unmaps the IPA

        rig.Submit(TlbiS2Ipa(6, Ipa), Sync());
        Assert.True(rig.Smmu.Translate(4, Va, default, false, out _)); // §4.4.3.1: combined entries need NH_*

        rig.Submit(TlbiNhAll(6), Sync());
        Assert.False(rig.Smmu.Translate(4, Va, default, false, out SmmuV3Translation t));
        Assert.Equal(SmmuV3EventId.F_TRANSLATION, t.Fault);
        Assert.Equal(Va, SingleStage2Fault(rig, ClassIn, Ipa).InputAddr);
    }

    [Fact]
    public void Nested_Stage1TableAtUnmappedIpa_Stage2FaultClassTt()
    {
        var rig = new SmmuV3Rig();
        ulong s2 = BuildStage2(rig, rig.Alloc(4096));
        ulong cd = rig.Alloc(64, 64);
        rig.WriteStruct(cd, Cd(0x2_0000_0000, 9)); // TTB0 is an IPA stage 2 does not map
        rig.SetSte(4, SteNested(cd, s2, vmid: 6));

        Assert.False(rig.Smmu.Translate(4, Va, default, false, out SmmuV3Translation t));

        Assert.Equal(SmmuV3EventId.F_TRANSLATION, t.Fault);
        SingleStage2Fault(rig, ClassTt, 0x2_0000_0000);
    }

    [Fact]
    public void Nested_CdAtUnmappedIpa_Stage2FaultClassCd()
    {
        var rig = new SmmuV3Rig();
        ulong s2 = BuildStage2(rig, rig.Alloc(4096));
        rig.SetSte(4, SteNested(0x3_0000_0000, s2, vmid: 6));

        Assert.False(rig.Smmu.Translate(4, Va, default, false, out _));

        SingleStage2Fault(rig, ClassCd, 0x3_0000_0000);
    }

    [Fact]
    public void Nested_TlbiS12Vmall_DropsCombinedAndStage2Entries()
    {
        var rig = new SmmuV3Rig();
        ulong dataPa = rig.Alloc(4096);
        ulong s2 = BuildStage2(rig, dataPa);
        ulong s1 = rig.NewTable();
        ulong cd = rig.Alloc(64, 64);
        rig.WriteStruct(cd, Cd(s1, 9));
        rig.Map(s1, Va, S1Leaf(Ipa, page: true));
        rig.SetSte(4, SteNested(cd, s2, vmid: 6));
        rig.SetSte(5, SteS2(s2, vmid: 6));
        Assert.True(rig.Smmu.Translate(4, Va, default, false, out _));
        Assert.True(rig.Smmu.Translate(5, Ipa, default, false, out _));
        rig.Map(s2, Ipa, 0);

        rig.Submit(TlbiS12Vmall(6), Sync());

        Assert.False(rig.Smmu.Translate(4, Va, default, false, out _));
        Assert.False(rig.Smmu.Translate(5, Ipa, default, false, out _));
    }
}
