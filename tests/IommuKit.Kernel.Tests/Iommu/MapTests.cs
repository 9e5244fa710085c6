using IommuKit.Hardware.PageTables;
using IommuKit.Kernel.Drivers.Mock;
using IommuKit.Kernel.Iommu;

namespace IommuKit.Kernel.Tests.Iommu;

/// <summary>iommu_map / iommu_unmap / iommu_iova_to_phys / iommu_pgsize / iommu_map_sg.</summary>
public sealed class MapTests
{
    private const ulong K4 = 0x1000;
    private const ulong M2 = 0x20_0000;
    private const ulong G1 = 0x4000_0000;
    private static readonly IommuProt Rw = IommuProt.Read | IommuProt.Write;

    private static (PlatformTestSystem T, IommuDomain D, MockIommuDomain M) Setup(ulong bitmap = K4 | M2 | G1, MockIommuOptions? mock = null)
    {
        PlatformTestSystem t = PlatformTestSystem.Boot(mock: (mock ?? new MockIommuOptions()) with { PgsizeBitmap = bitmap });
        IommuDomain d = t.NewPagingDomain();
        t.Driver.RecordCalls = true;
        return (t, d, (MockIommuDomain)d.Ops);
    }

    private static (ulong Iova, ulong PgSize, ulong Count)[] MapCalls(PlatformTestSystem t) =>
        [.. t.Driver.Calls.Where(c => c.Op == MockOp.MapPages).Select(c => (c.Iova, c.PgSize, c.PgCount))];

    public static TheoryData<ulong, ulong, ulong, string> SplitVectors => new()
    {
        // iova, paddr, size -> "iova:pgsize*count ..."
        { 0x20_0000, 0x20_0000, 0x40_0000, "200000:200000*2" },
        { 0x1000, 0x1000, 0x40_0000, "1000:1000*511 200000:200000*1 400000:1000*1" },
        { 0x20_0000, 0x20_1000, 0x40_0000, "200000:1000*1024" },
        { 0x4000_0000, 0x8000_0000, 0x8000_0000, "40000000:40000000*2" },
        { 0x3FE0_0000, 0x3FE0_0000, 0x4040_0000, "3fe00000:200000*1 40000000:40000000*1 80000000:200000*1" },
        { 0x3FE0_0000, 0x5FE0_0000, 0x4040_0000, "3fe00000:200000*514" },
        { 0x1F_F000, 0x1F_F000, 0x40_2000, "1ff000:1000*1 200000:200000*2 600000:1000*1" },
        { 0x0, 0x0, 0x1000, "0:1000*1" },
    };

    [Theory]
    [MemberData(nameof(SplitVectors))]
    public void IommuMap_PgsizeSplitting_MatchesIommuPgsize(ulong iova, ulong paddr, ulong size, string expected)
    {
        (PlatformTestSystem t, IommuDomain d, _) = Setup();

        Assert.Equal(Errno.Ok, t.Iommu.Map(d, iova, paddr, size, Rw));

        Assert.Equal(expected, string.Join(' ', MapCalls(t).Select(c => $"{c.Iova:x}:{c.PgSize:x}*{c.Count}")));
        Assert.Equal(paddr + size - 1, t.Iommu.IovaToPhys(d, iova + size - 1));
    }

    [Theory]
    [InlineData(K4 | M2 | G1, 0x20_0000UL, 0x20_0000UL, 0x40_0000UL, M2, 2UL)]
    [InlineData(K4 | M2 | G1, 0x1000UL, 0x1000UL, 0x40_0000UL, K4, 511UL)]
    [InlineData(K4 | M2 | G1, 0x1000UL, 0x2000UL, 0x40_0000UL, K4, 1024UL)]
    [InlineData(K4 | 0x10000UL | M2, 0xF000UL, 0xF000UL, 0x30000UL, K4, 1UL)]
    [InlineData(K4 | 0x10000UL | M2, 0x10000UL, 0x10000UL, 0x30000UL, 0x10000UL, 3UL)]
    [InlineData(M2, 0UL, 0UL, 0x60_0000UL, M2, 3UL)]
    public void IommuPgsize_Vectors(ulong bitmap, ulong iova, ulong paddr, ulong size, ulong pgsize, ulong count)
    {
        Assert.Equal(pgsize, IommuSubsystem.PageSize(bitmap, iova, paddr, size, out ulong c));
        Assert.Equal(count, c);
    }

    [Fact]
    public void IommuMap_Success_CallsIotlbSyncMapOnceForTheWholeRange()
    {
        (PlatformTestSystem t, IommuDomain d, MockIommuDomain m) = Setup();

        Assert.Equal(Errno.Ok, t.Iommu.Map(d, 0x1000, 0x1000, 0x40_0000, Rw));

        MockCall sync = Assert.Single(t.Driver.Calls, c => c.Op == MockOp.IotlbSyncMap);
        Assert.Equal((0x1000UL, 0x40_0000UL), (sync.Iova, sync.PgSize));
        Assert.Equal(MockOp.IotlbSyncMap, t.Driver.Calls[^1].Op);
        Assert.Equal(1, m.IotlbSyncMapCalls);
    }

    [Fact]
    public void IommuMap_IdentityOrBlockedDomain_EINVAL()
    {
        (PlatformTestSystem t, _, _) = Setup();

        Assert.Equal(Errno.EINVAL, t.Iommu.Map(t.Driver.IdentityDomain!, 0x1000, 0x1000, K4, Rw));
        Assert.Equal(Errno.EINVAL, t.Iommu.Map(t.Driver.BlockedDomain!, 0x1000, 0x1000, K4, Rw));
        Assert.Empty(MapCalls(t));
    }

    [Fact]
    public void IommuMap_NoPageSizes_ENODEV()
    {
        (PlatformTestSystem t, IommuDomain d, _) = Setup();
        d.PgsizeBitmap = 0;

        Assert.Equal(Errno.ENODEV, t.Iommu.Map(d, 0x1000, 0x1000, K4, Rw));
        Assert.Equal(0UL, t.Iommu.Unmap(d, 0x1000, K4));
    }

    [Theory]
    [InlineData(0x1800UL, 0x1000UL, 0x1000UL)]
    [InlineData(0x1000UL, 0x1800UL, 0x1000UL)]
    [InlineData(0x1000UL, 0x1000UL, 0x1800UL)]
    public void IommuMap_NotMultipleOfSmallestPage_EINVALAndLogged(ulong iova, ulong paddr, ulong size)
    {
        (PlatformTestSystem t, IommuDomain d, _) = Setup();

        Assert.Equal(Errno.EINVAL, t.Iommu.Map(d, iova, paddr, size, Rw));

        Assert.Empty(MapCalls(t));
        Assert.Contains($"iommu: unaligned: iova 0x{iova:x} pa 0x{paddr:x16} size 0x{size:x} min_pagesz 0x1000", t.Log.Entries.Select(e => e.Text));
    }

    [Fact]
    public void IommuMap_DriverFailsOnSecondCall_RollsBackEverything()
    {
        (PlatformTestSystem t, IommuDomain d, MockIommuDomain m) = Setup();
        t.Driver.Faults.FailMapPages(2, Errno.ENOMEM, pagesBeforeFailure: 0);

        Assert.Equal(Errno.ENOMEM, t.Iommu.Map(d, 0x1000, 0x1000, 0x40_0000, Rw));

        Assert.Equal(0, m.Table.LeafCount);
        MockCall unmap = Assert.Single(t.Driver.Calls, c => c.Op == MockOp.UnmapPages);
        Assert.Equal(0x1000UL, unmap.Iova);
        Assert.DoesNotContain(t.Driver.Calls, c => c.Op == MockOp.IotlbSyncMap);
    }

    [Fact]
    public void IommuMap_DriverFailsAfterMappingSomePages_PartialPagesAreUnmapped()
    {
        (PlatformTestSystem t, IommuDomain d, MockIommuDomain m) = Setup(K4);
        t.Driver.Faults.FailMapPages(1, Errno.ENOMEM, pagesBeforeFailure: 3);

        Assert.Equal(Errno.ENOMEM, t.Iommu.Map(d, 0x10000, 0x80000, 0x8000, Rw));

        Assert.Equal(0, m.Table.LeafCount);
        Assert.Contains(t.Driver.Calls, c => c.Op == MockOp.UnmapPages && c.Iova == 0x10000 && c.PgCount == 3);
    }

    [Fact]
    public void IommuMap_OverlapsExistingMapping_EEXISTAndExistingMappingKept()
    {
        (PlatformTestSystem t, IommuDomain d, MockIommuDomain m) = Setup(K4);
        Assert.Equal(Errno.Ok, t.Iommu.Map(d, 0x3000, 0x9000, K4, IommuProt.Read));

        Assert.Equal(Errno.EEXIST, t.Iommu.Map(d, 0x1000, 0x1000, 0x4000, Rw));

        Assert.Equal(1, m.Table.LeafCount);
        Assert.Equal(0x9000UL, t.Iommu.IovaToPhys(d, 0x3000));
        Assert.Equal(0UL, t.Iommu.IovaToPhys(d, 0x1000));
    }

    [Fact]
    public void IommuMap_BlockOverSmallerPages_EEXIST()
    {
        (PlatformTestSystem t, IommuDomain d, _) = Setup(K4 | M2);
        Assert.Equal(Errno.Ok, t.Iommu.Map(d, 0x30_0000, 0x30_0000, K4, Rw));

        Assert.Equal(Errno.EEXIST, t.Iommu.Map(d, 0x20_0000, 0x20_0000, M2, Rw));
    }

    [Fact]
    public void IommuMap_IotlbSyncMapFails_UnmapsAndReturnsTheError()
    {
        (PlatformTestSystem t, IommuDomain d, MockIommuDomain m) = Setup();
        t.Driver.Faults.FailIotlbSyncMap(Errno.EIO);

        Assert.Equal(Errno.EIO, t.Iommu.Map(d, 0x20_0000, 0x20_0000, 0x40_0000, Rw));

        Assert.Equal(0, m.Table.LeafCount);
    }

    [Fact]
    public void IommuMap_BeyondInputAddressSize_ERANGE()
    {
        (PlatformTestSystem t, IommuDomain d, _) = Setup(K4, new MockIommuOptions { InputAddressBits = 32 });

        Assert.Equal(Errno.ERANGE, t.Iommu.Map(d, 0xFFFF_F000, 0x1000, 0x2000, Rw));
        Assert.Equal(0UL, t.Iommu.IovaToPhys(d, 0xFFFF_F000));
    }

    [Fact]
    public void IommuMap_ZeroSize_OkWithoutDriverMapCalls()
    {
        (PlatformTestSystem t, IommuDomain d, _) = Setup();

        Assert.Equal(Errno.Ok, t.Iommu.Map(d, 0x1000, 0x1000, 0, Rw));
        Assert.Empty(MapCalls(t));
    }

    [Fact]
    public void IommuMap_ProtIsPassedToTheDriver()
    {
        (PlatformTestSystem t, IommuDomain d, MockIommuDomain m) = Setup();
        IommuProt prot = IommuProt.Read | IommuProt.Cache | IommuProt.NoExec;

        t.Iommu.Map(d, 0x1000, 0x5000, K4, prot);

        Assert.True(m.Table.Find(0x1000, out _, out _, out MockLeaf leaf));
        Assert.Equal(prot, leaf.Prot);
    }

    [Fact]
    public void IommuUnmap_RangeWithHole_StopsAtTheHole()
    {
        (PlatformTestSystem t, IommuDomain d, _) = Setup(K4);
        t.Iommu.Map(d, 0x1000, 0x1000, 0x2000, Rw);
        t.Iommu.Map(d, 0x4000, 0x4000, 0x1000, Rw);

        Assert.Equal(0x2000UL, t.Iommu.Unmap(d, 0x1000, 0x4000));

        Assert.Equal(0x4000UL, t.Iommu.IovaToPhys(d, 0x4000));
    }

    [Fact]
    public void IommuUnmap_NothingMapped_ReturnsZero()
    {
        (PlatformTestSystem t, IommuDomain d, _) = Setup();

        Assert.Equal(0UL, t.Iommu.Unmap(d, 0x1000, K4));
    }

    [Fact]
    public void IommuUnmap_Misaligned_ReturnsZeroAndLogs()
    {
        (PlatformTestSystem t, IommuDomain d, _) = Setup();
        t.Iommu.Map(d, 0x1000, 0x1000, 0x2000, Rw);

        Assert.Equal(0UL, t.Iommu.Unmap(d, 0x1800, K4));
        Assert.Equal(0UL, t.Iommu.Unmap(d, 0x1000, 0x1800));

        Assert.Contains("iommu: unaligned: iova 0x1800 size 0x1000 min_pagesz 0x1000", t.Log.Entries.Select(e => e.Text));
        Assert.Equal(0x2000UL, t.Iommu.IovaToPhys(d, 0x2000));
    }

    [Fact]
    public void IommuUnmap_NonPagingDomain_ReturnsZero()
    {
        (PlatformTestSystem t, _, _) = Setup();

        Assert.Equal(0UL, t.Iommu.Unmap(t.Driver.IdentityDomain!, 0x1000, K4));
    }

    [Fact]
    public void IommuUnmap_PartOfALargePage_ReturnsZero()
    {
        (PlatformTestSystem t, IommuDomain d, _) = Setup(K4 | M2);
        t.Iommu.Map(d, 0x20_0000, 0x20_0000, M2, Rw);

        Assert.Equal(0UL, t.Iommu.Unmap(d, 0x20_0000, K4));
        Assert.Equal(0x20_1000UL, t.Iommu.IovaToPhys(d, 0x20_1000));
    }

    [Fact]
    public void IommuUnmap_BlockRangeOverSmallPages_RemovesTheWholeTable()
    {
        (PlatformTestSystem t, IommuDomain d, MockIommuDomain m) = Setup(K4 | M2);
        t.Iommu.Map(d, 0x20_0000, 0x20_1000, M2, Rw);
        Assert.Equal(512, m.Table.LeafCount);
        t.Driver.ClearCalls();

        Assert.Equal(M2, t.Iommu.Unmap(d, 0x20_0000, M2));

        Assert.Equal(0, m.Table.LeafCount);
        MockCall unmap = Assert.Single(t.Driver.Calls, c => c.Op == MockOp.UnmapPages);
        Assert.Equal((M2, 1UL), (unmap.PgSize, unmap.PgCount));
    }

    [Fact]
    public void IommuUnmap_SyncsTheGatheredRangeOnce()
    {
        (PlatformTestSystem t, IommuDomain d, MockIommuDomain m) = Setup();
        t.Iommu.Map(d, 0x1000, 0x1000, 0x40_0000, Rw);

        Assert.Equal(0x40_0000UL, t.Iommu.Unmap(d, 0x1000, 0x40_0000));

        Assert.Equal(1, m.IotlbSyncCalls);
        Assert.Equal((0x1000UL, 0x40_0FFFUL), m.LastSyncRange);
    }

    [Fact]
    public void IommuUnmapFast_DefersSyncToIotlbSync()
    {
        (PlatformTestSystem t, IommuDomain d, MockIommuDomain m) = Setup();
        t.Iommu.Map(d, 0x1000, 0x1000, 0x2000, Rw);
        IommuIotlbGather gather = IommuIotlbGather.Create();

        Assert.Equal(0x2000UL, t.Iommu.UnmapFast(d, 0x1000, 0x2000, ref gather));
        Assert.Equal(0, m.IotlbSyncCalls);
        Assert.Equal((0x1000UL, 0x2FFFUL), (gather.Start, gather.End));

        t.Iommu.IotlbSync(d, ref gather);
        Assert.Equal(1, m.IotlbSyncCalls);
        Assert.True(gather.IsEmpty);
    }

    [Fact]
    public void IommuIotlbGatherAddPage_DisjointRange_SyncsFirst()
    {
        (PlatformTestSystem t, IommuDomain d, MockIommuDomain m) = Setup();
        IommuIotlbGather g = IommuIotlbGather.Create();

        g.AddPage(d, 0x1000, K4);
        g.AddPage(d, 0x2000, K4);
        Assert.Equal(0, m.IotlbSyncCalls);
        g.AddPage(d, 0x9000, K4);
        Assert.Equal(1, m.IotlbSyncCalls);
        g.AddPage(d, 0xA000, M2);
        Assert.Equal(2, m.IotlbSyncCalls);
        Assert.Equal((0xA000UL, 0x209FFFUL, M2), (g.Start, g.End, g.PgSize));
        _ = t;
    }

    [Fact]
    public void IommuIovaToPhys_IdentityReturnsIova_BlockedReturnsZero_PagingAddsOffset()
    {
        (PlatformTestSystem t, IommuDomain d, _) = Setup();
        t.Iommu.Map(d, 0x20_0000, 0x8020_0000, M2, Rw);

        Assert.Equal(0x1234_5678UL, t.Iommu.IovaToPhys(t.Driver.IdentityDomain!, 0x1234_5678));
        Assert.Equal(0UL, t.Iommu.IovaToPhys(t.Driver.BlockedDomain!, 0x1234_5678));
        Assert.Equal(0x8021_2345UL, t.Iommu.IovaToPhys(d, 0x21_2345));
        Assert.Equal(0UL, t.Iommu.IovaToPhys(d, 0x40_0000));
    }

    [Fact]
    public void IommuMapSg_ContiguousSegmentsCoalesced_DiscontiguousMappedBackToBack()
    {
        (PlatformTestSystem t, IommuDomain d, MockIommuDomain m) = Setup(K4);
        IommuSgEntry[] sg = [new(0x10000, 0x1000), new(0x11000, 0x2000), new(0x40000, 0x1000)];

        Assert.Equal(Errno.Ok, t.Iommu.MapSg(d, 0x100000, sg, Rw, out ulong mapped));

        Assert.Equal(0x4000UL, mapped);
        Assert.Equal([(0x100000UL, 0x1000UL, 3UL), (0x103000UL, 0x1000UL, 1UL)], MapCalls(t));
        Assert.Equal(0x40000UL, t.Iommu.IovaToPhys(d, 0x103000));
        Assert.Equal(1, m.IotlbSyncMapCalls);
    }

    [Fact]
    public void IommuMapSg_SecondRunFails_EverythingUnmapped()
    {
        (PlatformTestSystem t, IommuDomain d, MockIommuDomain m) = Setup(K4);
        t.Iommu.Map(d, 0x103000, 0x0, K4, Rw);
        IommuSgEntry[] sg = [new(0x10000, 0x3000), new(0x40000, 0x1000)];

        Assert.Equal(Errno.EEXIST, t.Iommu.MapSg(d, 0x100000, sg, Rw, out ulong mapped));

        Assert.Equal(0UL, mapped);
        Assert.Equal(1, m.Table.LeafCount);
    }
}
