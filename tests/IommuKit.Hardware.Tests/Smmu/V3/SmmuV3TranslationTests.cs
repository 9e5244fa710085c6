using IommuKit.Hardware.Dma;
using IommuKit.Hardware.Memory;
using IommuKit.Hardware.Smmu.V3;
using static IommuKit.Hardware.Tests.Smmu.V3.SmmuV3Spec;

namespace IommuKit.Hardware.Tests.Smmu.V3;

public sealed class SmmuV3TranslationTests
{
    private const ulong Iova = 0x1234_5000;

    [Fact]
    public void TlbPermissionAttributes_AreTheWalkResultsPermissionBits() =>
        Assert.Equal((1u, 2u, 4u), (SmmuV3Tlb.AttrRead, SmmuV3Tlb.AttrWrite, SmmuV3Tlb.AttrExec)); // PermissionAttrs copies PermissionBits

    [Fact]
    public void Translate_Stage1Page_ReturnsPageAndSnoops()
    {
        var rig = new SmmuV3Rig();
        (_, ulong root) = rig.AddS1Stream(3, asid: 7);
        ulong pa = rig.Alloc(4096);
        rig.Map(root, Iova, S1Leaf(pa, page: true));

        Assert.True(rig.Smmu.Translate(3, Iova + 0x10, DmaAttributes.Coherent, write: true, out SmmuV3Translation t));

        Assert.Equal(SmmuV3TranslationStatus.Translated, t.Status);
        Assert.Equal(pa + 0x10, t.OutputAddress);
        Assert.Equal(0x1000UL - 0x10, t.Length);
        Assert.Equal(BusAccess.Snoop, t.Access);
        Assert.Empty(rig.Events());
    }

    [Fact]
    public void Translate_Stage1Block2M_LengthToEndOfBlock()
    {
        var rig = new SmmuV3Rig();
        (_, ulong root) = rig.AddS1Stream(1, asid: 1);
        ulong pa = rig.Alloc(2 << 20, 2 << 20);
        rig.Map(root, 0x4000_0000, S1Leaf(pa, page: false), leafLevel: 2);

        Assert.True(rig.Smmu.Translate(1, 0x4010_0000, DmaAttributes.Coherent, write: false, out SmmuV3Translation t));

        Assert.Equal(pa + 0x10_0000, t.OutputAddress);
        Assert.Equal(0x10_0000UL, t.Length);
    }

    [Theory]
    [InlineData(1, 3, false, BusAccess.Snoop)] // MAIR idx1 0xFF WB, ISH
    [InlineData(1, 2, false, BusAccess.Snoop)] // WB, OSH
    [InlineData(1, 0, false, BusAccess.NoSnoop)] // WB but non-shareable
    [InlineData(0, 3, false, BusAccess.NoSnoop)] // idx0 0x44 Normal NC
    [InlineData(2, 3, false, BusAccess.NoSnoop)] // idx2 0x04 Device-nGnRE
    [InlineData(3, 3, false, BusAccess.NoSnoop)] // idx3 0xF4 inner NC, outer WB
    [InlineData(1, 3, true, BusAccess.NoSnoop)] // WB ISH, but the transaction is No-Snoop
    public void Translate_OutputAttributes_SnoopOnlyForWriteBackShareableAndNotNoSnoop(int attrIndx, int sh, bool noSnoop, BusAccess expected)
    {
        var rig = new SmmuV3Rig();
        (_, ulong root) = rig.AddS1Stream(2, asid: 2);
        rig.Map(root, Iova, S1Leaf(rig.Alloc(4096), page: true, attrIndx: attrIndx, sh: sh));

        Assert.True(rig.Smmu.Translate(2, Iova, new DmaAttributes { NoSnoop = noSnoop }, write: false, out SmmuV3Translation miss));
        Assert.True(rig.Smmu.Translate(2, Iova, new DmaAttributes { NoSnoop = noSnoop }, write: false, out SmmuV3Translation hit));

        Assert.Equal(expected, miss.Access);
        Assert.Equal(expected, hit.Access);
    }

    [Fact]
    public void DmaWriteRead_ThroughTranslation_ReachesThePhysicalPages()
    {
        var rig = new SmmuV3Rig();
        (_, ulong root) = rig.AddS1Stream(5, asid: 5);
        ulong pa0 = rig.Alloc(4096);
        ulong pa1 = rig.Alloc(4096);
        rig.Map(root, Iova, S1Leaf(pa0, page: true));
        rig.Map(root, Iova + 0x1000, S1Leaf(pa1, page: true));
        byte[] data = [.. Enumerable.Range(0, 64).Select(i => (byte)i)];

        Assert.Equal(DmaStatus.Ok, rig.Smmu.DmaWrite(5, Iova + 0xFE0, data, DmaAttributes.Coherent));
        var back = new byte[64];
        Assert.Equal(DmaStatus.Ok, rig.Smmu.DmaRead(5, Iova + 0xFE0, back, DmaAttributes.Coherent));

        Assert.Equal(data, back);
        Assert.Equal(0x1F1E1D1C1B1A1918UL, rig.Read64(pa0 + 0xFF8));
        Assert.Equal(0x2726252423222120UL, rig.Read64(pa1));
    }

    [Fact]
    public void Translate_UnmappedIova_RecordsFTranslationWithFields()
    {
        var rig = new SmmuV3Rig();
        rig.AddS1Stream(9, asid: 4);

        Assert.Equal(DmaStatus.Fault, rig.Smmu.DmaRead(9, Iova + 8, new byte[4], new DmaAttributes { Privileged = true, Instruction = true }));

        SpecEvent e = Assert.Single(rig.Events());
        Assert.Equal(F_TRANSLATION, e.Id);
        Assert.Equal(9u, e.Sid);
        Assert.False(e.Ssv);
        Assert.True(e.RnW);
        Assert.True(e.PnU);
        Assert.True(e.InD);
        Assert.False(e.S2);
        Assert.Equal(2, e.Class); // IN
        Assert.Equal(Iova + 8, e.InputAddr);
        Assert.Contains(SmmuV3Irq.EventQueue, rig.Irqs);
    }

    [Fact]
    public void Translate_WriteToReadOnlyPage_FPermissionWithRnW0AndInD0()
    {
        var rig = new SmmuV3Rig();
        (_, ulong root) = rig.AddS1Stream(9, asid: 4);
        rig.Map(root, Iova, S1Leaf(rig.Alloc(4096), page: true, readOnly: true));

        Assert.True(rig.Smmu.Translate(9, Iova, DmaAttributes.Coherent, write: false, out _));
        Assert.False(rig.Smmu.Translate(9, Iova, new DmaAttributes { Instruction = true }, write: true, out SmmuV3Translation t));

        Assert.Equal(SmmuV3TranslationStatus.Aborted, t.Status);
        Assert.Equal(SmmuV3EventId.F_PERMISSION, t.Fault);
        SpecEvent e = Assert.Single(rig.Events());
        Assert.Equal(F_PERMISSION, e.Id);
        Assert.False(e.RnW);
        Assert.False(e.InD);
    }

    [Fact]
    public void Translate_AccessFlagClear_FAccessUnlessHardwareUpdates()
    {
        var rig = new SmmuV3Rig();
        (ulong cd, ulong root) = rig.AddS1Stream(1, asid: 1);
        ulong pa = rig.Alloc(4096);
        rig.Map(root, Iova, S1Leaf(pa, page: true, af: false));

        Assert.False(rig.Smmu.Translate(1, Iova, DmaAttributes.Coherent, write: false, out _));
        Assert.Equal(F_ACCESS, Assert.Single(rig.Events()).Id);

        rig.WriteStruct(cd, Cd(root, 1, ha: true));
        rig.Submit(CfgiCd(1, 0), Sync());
        Assert.True(rig.Smmu.Translate(1, Iova, DmaAttributes.Coherent, write: false, out SmmuV3Translation t));
        Assert.Equal(pa, t.OutputAddress);
    }

    [Fact]
    public void Translate_CdRecordClear_SuppressesTranslationFaultButStillAborts()
    {
        var rig = new SmmuV3Rig();
        rig.AddS1Stream(4, asid: 1, record: false);

        Assert.False(rig.Smmu.Translate(4, Iova, DmaAttributes.Coherent, write: false, out SmmuV3Translation t));

        Assert.Equal(SmmuV3TranslationStatus.Aborted, t.Status);
        Assert.Equal(SmmuV3EventId.F_TRANSLATION, t.Fault);
        Assert.False(t.Recorded);
        Assert.Empty(rig.Events());
    }

    [Fact]
    public void DmaRead_CdAbortClear_TerminatesRazWi()
    {
        var rig = new SmmuV3Rig();
        rig.AddS1Stream(4, asid: 1, record: true, abort: false);
        byte[] buffer = [1, 2, 3, 4];

        Assert.Equal(DmaStatus.Ok, rig.Smmu.DmaRead(4, Iova, buffer, DmaAttributes.Coherent));

        Assert.Equal(new byte[4], buffer);
        Assert.Equal(F_TRANSLATION, Assert.Single(rig.Events()).Id);
    }

    [Fact]
    public void Translate_ConfigErrors_AlwaysRecorded()
    {
        var rig = new SmmuV3Rig();
        ulong cd = rig.Alloc(64, 64);
        rig.SetSte(1, SteS1(cd)); // CD all zero: V = 0
        rig.SetSte(2, [1 | (0b011UL << 1) | (0b100UL << 1), 0, 0, 0, 0, 0, 0, 0]); // Config 0b111 with no S2 fields: ILLEGAL

        Assert.False(rig.Smmu.Translate(1, Iova, DmaAttributes.Coherent, false, out SmmuV3Translation badCd));
        Assert.False(rig.Smmu.Translate(2, Iova, DmaAttributes.Coherent, false, out SmmuV3Translation badSte));
        Assert.False(rig.Smmu.Translate(3, Iova, DmaAttributes.Coherent, false, out SmmuV3Translation invalidSte));
        Assert.False(rig.Smmu.Translate(1000, Iova, DmaAttributes.Coherent, false, out SmmuV3Translation badSid));

        Assert.Equal(SmmuV3EventId.C_BAD_CD, badCd.Fault);
        Assert.Equal(SmmuV3EventId.C_BAD_STE, badSte.Fault);
        Assert.Equal(SmmuV3EventId.C_BAD_STE, invalidSte.Fault);
        Assert.Equal(SmmuV3EventId.C_BAD_STREAMID, badSid.Fault);
        Assert.Equal([C_BAD_CD, C_BAD_STE, C_BAD_STE, C_BAD_STREAMID], rig.Events().Select(e => e.Id));
    }

    [Fact]
    public void Translate_BadStreamIdWithoutRecInvSid_NotRecorded()
    {
        var rig = new SmmuV3Rig(enable: false);
        rig.W32(CR2, 0);
        rig.W32(CR0, CR0_CMDQEN | CR0_EVTQEN | CR0_SMMUEN);

        Assert.False(rig.Smmu.Translate(1 << 12, 0, DmaAttributes.Coherent, false, out SmmuV3Translation t));

        Assert.Equal(SmmuV3EventId.C_BAD_STREAMID, t.Fault);
        Assert.Empty(rig.Events());
    }

    [Fact]
    public void Translate_AbortAndBypassStes_NoEvents()
    {
        var rig = new SmmuV3Rig();
        rig.SetSte(1, SteAbort());
        rig.SetSte(2, SteBypass());

        Assert.False(rig.Smmu.Translate(1, Iova, DmaAttributes.Coherent, false, out SmmuV3Translation aborted));
        Assert.True(rig.Smmu.Translate(2, Iova, DmaAttributes.NonCoherent, false, out SmmuV3Translation bypassed));

        Assert.Equal(SmmuV3TranslationStatus.Aborted, aborted.Status);
        Assert.Equal(SmmuV3EventId.None, aborted.Fault);
        Assert.Equal(SmmuV3TranslationStatus.Bypassed, bypassed.Status);
        Assert.Equal(Iova, bypassed.OutputAddress);
        Assert.Equal(BusAccess.NoSnoop, bypassed.Access);
        Assert.Empty(rig.Events());
    }

    [Theory]
    [InlineData(false, SmmuV3TranslationStatus.Bypassed)]
    [InlineData(true, SmmuV3TranslationStatus.Aborted)]
    public void Translate_SmmuDisabled_FollowsGbpa(bool abort, SmmuV3TranslationStatus expected)
    {
        var rig = new SmmuV3Rig(enable: false);
        rig.W32(GBPA, (1u << 31) | (abort ? 1u << 20 : 0));

        rig.Smmu.Translate(77, Iova, DmaAttributes.Coherent, false, out SmmuV3Translation t);

        Assert.Equal(expected, t.Status);
        Assert.Equal(abort ? 0 : Iova, t.OutputAddress);
        Assert.Equal(abort ? 1u << 20 : 0, rig.R32(GBPA)); // Update reads back 0 once complete
    }

    [Fact]
    public void Translate_GbpaAbortAtReset_DeniesUntilSoftwareClearsIt()
    {
        var rig = new SmmuV3Rig(new SmmuV3Features { GbpaAbortAtReset = true }, enable: false);
        Assert.False(rig.Smmu.Translate(0, 0x1000, DmaAttributes.Coherent, false, out _));

        rig.W32(GBPA, 0); // without Update: IGNORED
        Assert.False(rig.Smmu.Translate(0, 0x1000, DmaAttributes.Coherent, false, out _));

        rig.W32(GBPA, 1u << 31);
        Assert.True(rig.Smmu.Translate(0, 0x1000, DmaAttributes.Coherent, false, out _));
    }

    [Fact]
    public void Translate_TwoLevelStreamTable_LocatesSteAndRejectsUnpopulatedSpan()
    {
        var rig = new SmmuV3Rig(streamLog2: 16, twoLevel: true);
        ulong pa = rig.Alloc(4096);
        (ulong cd, ulong root) = (rig.Alloc(64, 64), rig.NewTable());
        rig.WriteStruct(cd, Cd(root, 3));
        rig.Map(root, Iova, S1Leaf(pa, page: true));
        rig.SetSte(0x1234, SteS1(cd));

        Assert.True(rig.Smmu.Translate(0x1234, Iova, DmaAttributes.Coherent, false, out SmmuV3Translation t));
        Assert.Equal(pa, t.OutputAddress);

        Assert.False(rig.Smmu.Translate(0x5678, Iova, DmaAttributes.Coherent, false, out SmmuV3Translation missing));
        Assert.Equal(SmmuV3EventId.C_BAD_STREAMID, missing.Fault); // L1STD.Span == 0
        Assert.False(rig.Smmu.Translate(1u << 16, Iova, DmaAttributes.Coherent, false, out SmmuV3Translation beyond));
        Assert.Equal(SmmuV3EventId.C_BAD_STREAMID, beyond.Fault);
        Assert.Equal([C_BAD_STREAMID, C_BAD_STREAMID], rig.Events().Select(e => e.Id));
    }

    [Fact]
    public void Translate_SteFetchAbort_FSteFetchWithAddress()
    {
        var rig = new SmmuV3Rig(enable: false);
        rig.W64(STRTAB_BASE, 0x1_0000_0000); // no RAM there
        rig.W32(CR0, CR0_CMDQEN | CR0_EVTQEN | CR0_SMMUEN);

        Assert.False(rig.Smmu.Translate(2, 0, DmaAttributes.Coherent, false, out _));

        SpecEvent e = Assert.Single(rig.Events());
        Assert.Equal(F_STE_FETCH, e.Id);
        Assert.Equal(0x1_0000_0000UL + 128, e.FetchAddr);
    }

    [Fact]
    public void Translate_WalkOnUnbackedAddress_FWalkEabtClassTt()
    {
        var rig = new SmmuV3Rig();
        ulong cd = rig.Alloc(64, 64);
        rig.WriteStruct(cd, Cd(0x8000_0000, 1)); // TTB0 outside RAM (inside the 48-bit IPS)
        rig.SetSte(1, SteS1(cd));

        Assert.False(rig.Smmu.Translate(1, Iova, DmaAttributes.Coherent, false, out _));

        SpecEvent e = Assert.Single(rig.Events());
        Assert.Equal(F_WALK_EABT, e.Id);
        Assert.False(e.S2);
        Assert.Equal(1, e.Class); // TT
        Assert.Equal(0x8000_0000UL, e.FetchAddr);
    }

    [Fact]
    public void Translate_Substreams_SelectCdBySsidAndCheckRange()
    {
        var rig = new SmmuV3Rig();
        ulong table = rig.Alloc(64 * 4, 256);
        ulong root0 = rig.NewTable();
        ulong root2 = rig.NewTable();
        ulong pa0 = rig.Alloc(4096);
        ulong pa2 = rig.Alloc(4096);
        rig.WriteStruct(table, Cd(root0, 10));
        rig.WriteStruct(table + 128, Cd(root2, 12));
        rig.Map(root0, Iova, S1Leaf(pa0, page: true));
        rig.Map(root2, Iova, S1Leaf(pa2, page: true));
        rig.SetSte(6, SteS1(table, cdMax: 2, s1Dss: 2));

        Assert.True(rig.Smmu.Translate(6, Iova, DmaAttributes.Coherent, false, out SmmuV3Translation noSsid));
        Assert.True(rig.Smmu.Translate(6, Iova, new DmaAttributes { SubstreamValid = true, SubstreamId = 2 }, false, out SmmuV3Translation ssid2));
        Assert.False(rig.Smmu.Translate(6, Iova, new DmaAttributes { SubstreamValid = true, SubstreamId = 0 }, false, out SmmuV3Translation ssid0));
        Assert.False(rig.Smmu.Translate(6, Iova, new DmaAttributes { SubstreamValid = true, SubstreamId = 4 }, false, out SmmuV3Translation ssid4));

        Assert.Equal(pa0, noSsid.OutputAddress);
        Assert.Equal(pa2, ssid2.OutputAddress);
        Assert.Equal(SmmuV3EventId.F_STREAM_DISABLED, ssid0.Fault);
        Assert.Equal(SmmuV3EventId.C_BAD_SUBSTREAMID, ssid4.Fault);
        List<SpecEvent> events = rig.Events();
        Assert.Equal([F_STREAM_DISABLED, C_BAD_SUBSTREAMID], events.Select(e => e.Id));
        Assert.Equal(4u, events[1].Ssid);
    }

    [Fact]
    public void Translate_TwoLevelCdTable_L1CdInvalidIsBadSubstreamId()
    {
        var rig = new SmmuV3Rig();
        ulong l1 = rig.Alloc(64, 64);
        ulong l2 = rig.Alloc(4096);
        ulong root = rig.NewTable();
        ulong pa = rig.Alloc(4096);
        rig.WriteStruct(l2 + (5 * 64), Cd(root, 20));
        rig.WriteStruct(l1 + 8, [l2 | 1]); // L1CD for SSIDs 64..127
        rig.Map(root, Iova, S1Leaf(pa, page: true));
        rig.SetSte(7, SteS1(l1, cdMax: 8, s1Fmt: 1, s1Dss: 0));

        Assert.True(rig.Smmu.Translate(7, Iova, new DmaAttributes { SubstreamValid = true, SubstreamId = 69 }, false, out SmmuV3Translation ok));
        Assert.False(rig.Smmu.Translate(7, Iova, new DmaAttributes { SubstreamValid = true, SubstreamId = 200 }, false, out SmmuV3Translation bad));
        Assert.False(rig.Smmu.Translate(7, Iova, DmaAttributes.Coherent, false, out SmmuV3Translation noSsid));

        Assert.Equal(pa, ok.OutputAddress);
        Assert.Equal(SmmuV3EventId.C_BAD_SUBSTREAMID, bad.Fault);
        Assert.Equal(SmmuV3EventId.F_STREAM_DISABLED, noSsid.Fault);
    }

    [Fact]
    public void Translate_Ttb1Range_UsedForUpperVasAndTopBitsChecked()
    {
        var rig = new SmmuV3Rig();
        ulong root1 = rig.NewTable();
        ulong pa = rig.Alloc(4096);
        ulong cd = rig.Alloc(64, 64);
        ulong[] desc = Cd(rig.NewTable(), 1);
        desc[0] = (desc[0] & ~(1UL << 30)) | (16UL << 16) | (2UL << 22) | (1UL << 24) | (1UL << 26) | (3UL << 28); // T1SZ 16, TG1 4K, EPD1 = 0
        desc[2] = root1;
        rig.WriteStruct(cd, desc);
        rig.SetSte(1, SteS1(cd));
        const ulong upperVa = 0xFFFF_8000_0000_0000;
        rig.Map(root1, upperVa & 0x0000_FFFF_FFFF_FFFF, S1Leaf(pa, page: true));

        Assert.True(rig.Smmu.Translate(1, upperVa + 4, DmaAttributes.Coherent, false, out SmmuV3Translation t));
        Assert.False(rig.Smmu.Translate(1, 0x00FF_8000_0000_0000, DmaAttributes.Coherent, false, out SmmuV3Translation bad));

        Assert.Equal(pa + 4, t.OutputAddress);
        Assert.Equal(SmmuV3EventId.F_TRANSLATION, bad.Fault);
    }
}
