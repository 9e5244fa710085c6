using IommuKit.Hardware.Dma;
using IommuKit.Hardware.Smmu.V3;
using static IommuKit.Hardware.Tests.Smmu.V3.SmmuV3Spec;

namespace IommuKit.Hardware.Tests.Smmu.V3;

/// <summary>Configuration caches and the TLB stay stale until the matching invalidation, as on hardware.</summary>
public sealed class SmmuV3CacheTests
{
    private const ulong Iova = 0x7700_0000;

    private static ulong Out(SmmuV3Rig rig, uint sid, ulong iova = Iova, DmaAttributes attrs = default)
    {
        Assert.True(rig.Smmu.Translate(sid, iova, attrs, write: false, out SmmuV3Translation t), $"fault {t.Fault}");
        return t.OutputAddress;
    }

    [Fact]
    public void Tlb_PteChangedWithoutTlbi_OldTranslationUsedUntilTlbiNhVa()
    {
        var rig = new SmmuV3Rig();
        (_, ulong root) = rig.AddS1Stream(1, asid: 5);
        ulong oldPa = rig.Alloc(4096);
        ulong newPa = rig.Alloc(4096);
        rig.Map(root, Iova, S1Leaf(oldPa, page: true));
        Assert.Equal(oldPa, Out(rig, 1));

        rig.Map(root, Iova, S1Leaf(newPa, page: true));
        Assert.Equal(oldPa, Out(rig, 1)); // stale

        rig.Submit(TlbiNhVa(0, 6, Iova), Sync()); // another ASID: no effect
        Assert.Equal(oldPa, Out(rig, 1));

        rig.Submit(TlbiNhVa(0, 5, Iova), Sync());
        Assert.Equal(newPa, Out(rig, 1));
    }

    [Fact]
    public void Tlb_UnmapWithoutTlbi_DmaStillReachesOldPage()
    {
        var rig = new SmmuV3Rig();
        (_, ulong root) = rig.AddS1Stream(1, asid: 5);
        ulong pa = rig.Alloc(4096);
        rig.Map(root, Iova, S1Leaf(pa, page: true));
        Assert.Equal(DmaStatus.Ok, rig.Smmu.DmaWrite(1, Iova, [1], DmaAttributes.Coherent));

        rig.Map(root, Iova, 0); // unmap, forget the TLBI
        Assert.Equal(DmaStatus.Ok, rig.Smmu.DmaWrite(1, Iova, [2], DmaAttributes.Coherent));
        Assert.Equal(2UL, rig.Read64(pa) & 0xFF);

        rig.Submit(TlbiNhAsid(0, 5), Sync());
        Assert.Equal(DmaStatus.Fault, rig.Smmu.DmaWrite(1, Iova, [3], DmaAttributes.Coherent));
        Assert.Equal(F_TRANSLATION, Assert.Single(rig.Events()).Id);
    }

    [Fact]
    public void Tlb_GlobalEntry_SurvivesTlbiByAsidButNotByVa()
    {
        var rig = new SmmuV3Rig();
        (_, ulong root) = rig.AddS1Stream(1, asid: 5);
        ulong pa = rig.Alloc(4096);
        rig.Map(root, Iova, S1Leaf(pa, page: true, nG: false));
        Assert.Equal(pa, Out(rig, 1));
        rig.Map(root, Iova, 0);

        rig.Submit(TlbiNhAsid(0, 5), Sync());
        Assert.Equal(pa, Out(rig, 1)); // global entries are not ASID-tagged

        rig.Submit(TlbiNhVa(0, 9, Iova), Sync()); // by VA: global entries match any ASID
        Assert.False(rig.Smmu.Translate(1, Iova, default, false, out _));
    }

    [Fact]
    public void Tlb_SharedAsidAcrossStreams_SecondStreamHitsFirstStreamsEntry()
    {
        var rig = new SmmuV3Rig();
        (_, ulong rootA) = rig.AddS1Stream(1, asid: 3);
        rig.AddS1Stream(2, asid: 3); // same ASID, empty tables: a driver bug
        ulong pa = rig.Alloc(4096);
        rig.Map(rootA, Iova, S1Leaf(pa, page: true));

        Assert.Equal(pa, Out(rig, 1));
        Assert.Equal(pa, Out(rig, 2)); // TLB entries are tagged by ASID/VMID, not StreamID
    }

    [Fact]
    public void Tlb_RangeInvalidation_CoversNumTimesTwoToScaleGranules()
    {
        var rig = new SmmuV3Rig();
        (_, ulong root) = rig.AddS1Stream(1, asid: 1);
        ulong[] pas = new ulong[8];
        for (int i = 0; i < 8; i++)
        {
            pas[i] = rig.Alloc(4096);
            rig.Map(root, Iova + ((ulong)i << 12), S1Leaf(pas[i], page: true));
            Assert.Equal(pas[i], Out(rig, 1, Iova + ((ulong)i << 12)));
            rig.Map(root, Iova + ((ulong)i << 12), 0);
        }

        // Range = (NUM + 1) * 2^SCALE * 4K = 3 * 2 pages, from page 1: pages 1..6.
        rig.Submit(TlbiNhVa(0, 1, Iova + 0x1000, num: 2, scale: 1, tg: 1, ttl: 3), Sync());

        for (int i = 0; i < 8; i++)
        {
            bool cached = rig.Smmu.Translate(1, Iova + ((ulong)i << 12), default, false, out _);
            Assert.Equal(i is 0 or 7, cached);
        }
    }

    [Fact]
    public void Tlb_BlockEntry_InvalidatedByVaInsideTheBlock()
    {
        var rig = new SmmuV3Rig();
        (_, ulong root) = rig.AddS1Stream(1, asid: 1);
        ulong pa = rig.Alloc(2 << 20, 2 << 20);
        rig.Map(root, 0x8000_0000, S1Leaf(pa, page: false), leafLevel: 2);
        Assert.Equal(pa + 0x12_3456, Out(rig, 1, 0x8012_3456));
        rig.Map(root, 0x8000_0000, 0, leafLevel: 2);

        rig.Submit(TlbiNhVa(0, 1, 0x801F_F000), Sync());

        Assert.False(rig.Smmu.Translate(1, 0x8000_0000, default, false, out _));
    }

    [Fact]
    public void Ste_ChangedWithoutCfgi_OldConfigUsedUntilCfgiSte()
    {
        var rig = new SmmuV3Rig();
        (_, ulong root) = rig.AddS1Stream(4, asid: 1);
        ulong pa = rig.Alloc(4096);
        rig.Map(root, Iova, S1Leaf(pa, page: true));
        Assert.Equal(pa, Out(rig, 4));

        rig.SetSte(4, SteAbort());
        Assert.Equal(pa, Out(rig, 4)); // cached STE

        rig.Submit(CfgiSte(5), Sync());
        Assert.Equal(pa, Out(rig, 4));

        rig.Submit(CfgiSte(4), Sync());
        Assert.False(rig.Smmu.Translate(4, Iova, default, false, out SmmuV3Translation t));
        Assert.Equal(SmmuV3TranslationStatus.Aborted, t.Status);
    }

    [Fact]
    public void Ste_CfgiSteRangeAndCfgiAll_DropCachedStes()
    {
        var rig = new SmmuV3Rig();
        rig.SetSte(8, SteBypass());
        rig.SetSte(9, SteBypass());
        rig.SetSte(12, SteBypass());
        Assert.True(rig.Smmu.Translate(8, 0, default, false, out _));
        Assert.True(rig.Smmu.Translate(9, 0, default, false, out _));
        Assert.True(rig.Smmu.Translate(12, 0, default, false, out _));
        rig.SetSte(8, SteAbort());
        rig.SetSte(9, SteAbort());
        rig.SetSte(12, SteAbort());

        rig.Submit(CfgiSteRange(9, 1), Sync()); // 2^(1+1) = 4 STEs from 8: 8..11

        Assert.False(rig.Smmu.Translate(8, 0, default, false, out _));
        Assert.False(rig.Smmu.Translate(9, 0, default, false, out _));
        Assert.True(rig.Smmu.Translate(12, 0, default, false, out _));
        rig.Submit(CfgiAll(), Sync());
        Assert.False(rig.Smmu.Translate(12, 0, default, false, out _));
    }

    [Fact]
    public void Cd_ChangedWithoutCfgiCd_OldTtbUsedUntilCfgiCdAndTlbi()
    {
        var rig = new SmmuV3Rig();
        (ulong cd, ulong root) = rig.AddS1Stream(2, asid: 1);
        ulong paOld = rig.Alloc(4096);
        ulong paNew = rig.Alloc(4096);
        ulong root2 = rig.NewTable();
        rig.Map(root, Iova, S1Leaf(paOld, page: true));
        rig.Map(root2, Iova, S1Leaf(paNew, page: true));
        rig.Map(root2, Iova + 0x1000, S1Leaf(paNew, page: true));
        Assert.Equal(paOld, Out(rig, 2));

        rig.WriteStruct(cd, Cd(root2, 2)); // new tables and a new ASID
        Assert.False(rig.Smmu.Translate(2, Iova + 0x1000, default, false, out _)); // still the old CD
        rig.Events();

        rig.Submit(CfgiCd(2, 0), Sync());
        Assert.Equal(paNew, Out(rig, 2, Iova + 0x1000));
        Assert.Equal(paNew, Out(rig, 2)); // new ASID: the old ASID's entry does not match
    }

    [Fact]
    public void Cd_CfgiSteAlsoDropsCdsCachedThroughIt()
    {
        var rig = new SmmuV3Rig();
        (ulong cd, _) = rig.AddS1Stream(2, asid: 1);
        Assert.False(rig.Smmu.Translate(2, Iova, default, false, out _));
        rig.WriteStruct(cd, [0, 0, 0, 0, 0, 0, 0, 0]);

        rig.Submit(CfgiSte(2), Sync());

        Assert.False(rig.Smmu.Translate(2, Iova, default, false, out SmmuV3Translation t));
        Assert.Equal(SmmuV3EventId.C_BAD_CD, t.Fault);
    }

    [Fact]
    public void Ste_InvalidSteNotCached_ValidOneSeenWithoutCfgi()
    {
        var rig = new SmmuV3Rig();
        Assert.False(rig.Smmu.Translate(3, 0, default, false, out SmmuV3Translation bad));
        Assert.Equal(SmmuV3EventId.C_BAD_STE, bad.Fault);

        rig.SetSte(3, SteBypass());

        Assert.True(rig.Smmu.Translate(3, 0, default, false, out _));
    }

    [Fact]
    public void L1Std_CachedUntilNonLeafCfgi()
    {
        var rig = new SmmuV3Rig(streamLog2: 12, twoLevel: true);
        rig.SetSte(70, SteBypass());
        Assert.True(rig.Smmu.Translate(70, 0, default, false, out _));

        // Move SIDs 64..127 to a new level-2 table holding an abort STE.
        ulong l2 = rig.Alloc(64 * 64);
        rig.WriteStruct(l2 + (6 * 64), SteAbort());
        rig.WriteStruct(rig.StrtabBase + 8, [l2 | 7]);

        rig.Submit(CfgiSte(70, leaf: true), Sync());
        Assert.True(rig.Smmu.Translate(70, 0, default, false, out _)); // the old L1STD is still cached

        rig.Submit(CfgiSte(70, leaf: false), Sync());
        Assert.False(rig.Smmu.Translate(70, 0, default, false, out _));
    }

    [Fact]
    public void Tlb_TlbiNhVaa_InvalidatesEveryAsidAtTheVa()
    {
        var rig = new SmmuV3Rig();
        (_, ulong rootA) = rig.AddS1Stream(1, asid: 1);
        (_, ulong rootB) = rig.AddS1Stream(2, asid: 2);
        rig.Map(rootA, Iova, S1Leaf(rig.Alloc(4096), page: true));
        rig.Map(rootB, Iova, S1Leaf(rig.Alloc(4096), page: true));
        rig.Map(rootA, Iova + 0x1000, S1Leaf(rig.Alloc(4096), page: true));
        Out(rig, 1);
        Out(rig, 2);
        Out(rig, 1, Iova + 0x1000);
        rig.Map(rootA, Iova, 0);
        rig.Map(rootB, Iova, 0);
        rig.Map(rootA, Iova + 0x1000, 0);

        rig.Submit(TlbiNhVaa(0, Iova), Sync());

        Assert.False(rig.Smmu.Translate(1, Iova, default, false, out _));
        Assert.False(rig.Smmu.Translate(2, Iova, default, false, out _));
        Assert.True(rig.Smmu.Translate(1, Iova + 0x1000, default, false, out _)); // another VA
    }

    [Fact]
    public void Cd_CfgiCdAll_DropsEveryCdOfTheStream()
    {
        var rig = new SmmuV3Rig();
        ulong table = rig.Alloc(64 * 4, 256);
        rig.WriteStruct(table + 64, Cd(rig.NewTable(), 1));
        rig.WriteStruct(table + 128, Cd(rig.NewTable(), 2));
        rig.SetSte(3, SteS1(table, cdMax: 2, s1Dss: 0));
        var ssid1 = new DmaAttributes { SubstreamValid = true, SubstreamId = 1 };
        var ssid2 = new DmaAttributes { SubstreamValid = true, SubstreamId = 2 };
        Assert.Equal(SmmuV3EventId.F_TRANSLATION, Fault(rig, ssid1));
        Assert.Equal(SmmuV3EventId.F_TRANSLATION, Fault(rig, ssid2));
        rig.WriteStruct(table + 64, new ulong[8]);
        rig.WriteStruct(table + 128, new ulong[8]);
        Assert.Equal(SmmuV3EventId.F_TRANSLATION, Fault(rig, ssid1)); // cached

        rig.Submit(CfgiCdAll(3), Sync());

        Assert.Equal(SmmuV3EventId.C_BAD_CD, Fault(rig, ssid1));
        Assert.Equal(SmmuV3EventId.C_BAD_CD, Fault(rig, ssid2));
    }

    private static SmmuV3EventId Fault(SmmuV3Rig rig, DmaAttributes attrs)
    {
        Assert.False(rig.Smmu.Translate(3, Iova, attrs, false, out SmmuV3Translation t));
        return t.Fault;
    }
}
