using IommuKit.Firmware.DeviceTree;
using IommuKit.Firmware.DeviceTree.Topology;
using IommuKit.Firmware.Tests.Properties;

namespace IommuKit.Firmware.Tests.Topology;

using DeviceTree = IommuKit.Firmware.DeviceTree.DeviceTree;

/// <summary>The pci-iommu binding's iommu-map examples and the of_map_id corner cases, on small hand-built trees.</summary>
public sealed class IommuMapTests
{
    private const uint SmmuA = 1;
    private const uint SmmuB = 2;

    [Fact]
    public void ResolvePciRequester_IdentityMap_StreamIdIsRid()
    {
        (IommuTopology topology, PciHostBridge host) = Build([0x0, SmmuA, 0x0, 0x10000]);
        PciRequesterResolution r = topology.ResolvePciRequester(host, PciRequesterId.From(0x12, 3, 4));
        Assert.Equal(IommuAttachmentStatus.Translated, r.Iommu.Status);
        Assert.Equal("/smmu-a", r.Iommu.Iommu!.Path);
        Assert.Equal(0x121cu, r.Iommu.StreamId);
        Assert.Equal(0, r.Iommu.EntryIndex);
    }

    [Theory]
    [InlineData(0x0100, 0x0100)]
    [InlineData(0x0101, 0x0100)]
    [InlineData(0x0107, 0x0100)]
    [InlineData(0x0108, 0x0108)]
    [InlineData(0x01ff, 0x01f8)]
    public void ResolvePciRequester_MaskFff8_FunctionsShareOneId(int rid, int expected)
    {
        (IommuTopology topology, PciHostBridge host) = Build([0x0, SmmuA, 0x0, 0x10000], mask: 0xfff8);
        IommuResolution r = topology.ResolvePciRequester(host, new PciRequesterId((ushort)rid)).Iommu;
        Assert.Equal(IommuAttachmentStatus.Translated, r.Status);
        Assert.Equal((uint)expected, r.StreamId);
    }

    [Theory]
    [InlineData(0x0000, 0x8000)]
    [InlineData(0x0100, 0x8100)]
    [InlineData(0x7fff, 0xffff)]
    [InlineData(0x8000, 0x0000)]
    [InlineData(0x8100, 0x0100)]
    [InlineData(0xffff, 0x7fff)]
    public void ResolvePciRequester_TwoEntries_FlipTopBusBit(int rid, int expected)
    {
        (IommuTopology topology, PciHostBridge host) = Build([0x0000, SmmuA, 0x8000, 0x8000, 0x8000, SmmuA, 0x0000, 0x8000]);
        Assert.Equal((uint)expected, topology.ResolvePciRequester(host, new PciRequesterId((ushort)rid)).Iommu.StreamId);
    }

    [Theory]
    [InlineData(0x0000, "/smmu-a", 0x0000)]
    [InlineData(0x7f08, "/smmu-a", 0x7f08)]
    [InlineData(0x8000, "/smmu-b", 0x0000)]
    [InlineData(0x8108, "/smmu-b", 0x0108)]
    public void ResolvePciRequester_TwoIommus_EachTakesHalfTheBuses(int rid, string iommu, int expected)
    {
        (IommuTopology topology, PciHostBridge host) = Build([0x0000, SmmuA, 0x0000, 0x8000, 0x8000, SmmuB, 0x0000, 0x8000]);
        IommuResolution r = topology.ResolvePciRequester(host, new PciRequesterId((ushort)rid)).Iommu;
        Assert.Equal(iommu, r.Iommu!.Path);
        Assert.Equal((uint)expected, r.StreamId);
        Assert.Contains(topology.Masters[0], r.Iommu.Masters);
    }

    [Fact]
    public void ResolvePciRequester_OverlappingEntries_FirstMatchWins()
    {
        (IommuTopology topology, PciHostBridge host) = Build([0x100, SmmuB, 0x40, 0x10, 0x0, SmmuA, 0x0, 0x10000]);
        IommuResolution inFirst = topology.ResolvePciRequester(host, new PciRequesterId(0x105)).Iommu;
        Assert.Equal(("/smmu-b", 0x45u, 0), (inFirst.Iommu!.Path, inFirst.StreamId, inFirst.EntryIndex));
        IommuResolution inSecond = topology.ResolvePciRequester(host, new PciRequesterId(0x200)).Iommu;
        Assert.Equal(("/smmu-a", 0x200u, 1), (inSecond.Iommu!.Path, inSecond.StreamId, inSecond.EntryIndex));
    }

    [Fact]
    public void ResolvePciRequester_NoEntryCovers_NotBehindIommu()
    {
        (IommuTopology topology, PciHostBridge host) = Build([0x0, SmmuA, 0x17, 0xe]);
        IommuResolution r = topology.ResolvePciRequester(host, PciRequesterId.From(0, 1, 6)).Iommu;
        Assert.Equal(IommuAttachmentStatus.NoMatchingEntry, r.Status);
        Assert.False(r.IsBehindIommu);
        Assert.Null(r.Iommu);
    }

    [Fact]
    public void ResolvePciRequester_NoIommuMap_NotBehindIommu()
    {
        (IommuTopology topology, PciHostBridge host) = Build(null);
        Assert.Empty(topology.Masters);
        Assert.Null(host.Master);
        Assert.Equal(IommuAttachmentStatus.NoIommu, topology.ResolvePciRequester(host, new PciRequesterId(0)).Iommu.Status);
    }

    [Fact]
    public void ResolvePciRequester_MaskIgnoresBaseBeforeMatch_FailsLikeEfault()
    {
        (IommuTopology topology, PciHostBridge host) = Build([0x0100, SmmuA, 0x0, 0x100, 0x0000, SmmuA, 0x0, 0x100], mask: 0x00ff);
        IommuResolution r = topology.ResolvePciRequester(host, new PciRequesterId(0x0005)).Iommu;
        Assert.Equal(IommuAttachmentStatus.MaskIgnoresBase, r.Status);
        Assert.Contains(topology.Problems, p => p.Code == TopologyProblemCode.MapMaskIgnoresBase);
    }

    [Fact]
    public void ResolvePciRequester_MaskIgnoresBaseAfterMatch_StillMaps()
    {
        (IommuTopology topology, PciHostBridge host) = Build([0x0000, SmmuA, 0x0, 0x100, 0x0100, SmmuA, 0x0, 0x100], mask: 0x00ff);
        Assert.Equal(IommuAttachmentStatus.Translated, topology.ResolvePciRequester(host, new PciRequesterId(0x0105)).Iommu.Status);
    }

    [Fact]
    public void ResolvePciRequester_MatchingEntryDangles_DanglingPhandle()
    {
        (IommuTopology topology, PciHostBridge host) = Build([0x0, 0x77, 0x0, 0x10, 0x10, SmmuA, 0x0, 0x10]);
        Assert.Equal(IommuAttachmentStatus.DanglingPhandle, topology.ResolvePciRequester(host, new PciRequesterId(0x3)).Iommu.Status);
        Assert.Equal(IommuAttachmentStatus.Translated, topology.ResolvePciRequester(host, new PciRequesterId(0x13)).Iommu.Status);
        TopologyProblem problem = Assert.Single(topology.Problems);
        Assert.Equal((TopologyProblemCode.DanglingPhandle, ProblemSeverity.Error), (problem.Code, problem.Severity));
    }

    [Theory]
    [InlineData(new uint[] { 0x0, 1, 0x0 })]
    [InlineData(new uint[] { 0x0, 1, 0x0, 0x10, 0x20 })]
    [InlineData(new uint[0])]
    public void Resolve_MapNotWholeEntries_MalformedAndNotBehindIommu(uint[] map)
    {
        (IommuTopology topology, PciHostBridge host) = Build(map);
        DmaMaster master = Assert.Single(topology.Masters);
        Assert.Equal(IommuAttachmentStatus.MalformedProperty, master.Status);
        Assert.False(master.IommuMap!.IsWellFormed);
        Assert.Equal(IommuAttachmentStatus.MalformedProperty, topology.ResolvePciRequester(host, new PciRequesterId(0)).Iommu.Status);
        Assert.Contains(topology.Problems, p => p.Code == TopologyProblemCode.WrongCellCount && p.Severity == ProblemSeverity.Error);
    }

    [Fact]
    public void ResolvePciRequester_EntryEndWrapsPast32Bits_NeverMatches()
    {
        (IommuTopology topology, PciHostBridge host) = Build([0x10, SmmuA, 0x0, 0xfffffff8]);
        Assert.Equal(IommuAttachmentStatus.NoMatchingEntry, topology.ResolvePciRequester(host, new PciRequesterId(0x20)).Iommu.Status);
    }

    [Fact]
    public void Resolve_ZeroLengthEntry_ReportedAndNeverMatches()
    {
        (IommuTopology topology, PciHostBridge host) = Build([0x0, SmmuA, 0x0, 0x0]);
        TopologyProblem problem = Assert.Single(topology.Problems);
        Assert.Equal(TopologyProblemCode.ZeroLengthMapEntry, problem.Code);
        Assert.Equal(IommuAttachmentStatus.NoMatchingEntry, topology.ResolvePciRequester(host, new PciRequesterId(0)).Iommu.Status);
    }

    [Fact]
    public void ResolvePciRequester_TargetDisabled_NotBehindIommuAndReported()
    {
        (IommuTopology topology, PciHostBridge host) = Build([0x0, SmmuA, 0x0, 0x10000], disableA: true);
        IommuResolution r = topology.ResolvePciRequester(host, new PciRequesterId(1)).Iommu;
        Assert.Equal(IommuAttachmentStatus.IommuDisabled, r.Status);
        Assert.Equal("/smmu-a", r.Iommu!.Path);
        Assert.Contains(topology.Problems, p => p.Code == TopologyProblemCode.DisabledIommuReference);
    }

    [Fact]
    public void ResolvePciRequester_TargetWithoutIommuCells_NotAnIommu()
    {
        (IommuTopology topology, PciHostBridge host) = Build([0x0, 3, 0x0, 0x10000]);
        Assert.Equal(IommuAttachmentStatus.NotAnIommu, topology.ResolvePciRequester(host, new PciRequesterId(1)).Iommu.Status);
        Assert.Contains(topology.Problems, p => p.Code == TopologyProblemCode.NotAnIommu);
    }

    [Fact]
    public void Resolve_MaskShorterThanCell_DefaultMaskAndWarning()
    {
        var tree = new DeviceTree();
        AddIommus(tree, disableA: false);
        DtNode host = Host(tree).Cells("iommu-map", 0x0, SmmuA, 0x0, 0x10000).Bytes("iommu-map-mask", 0xff, 0xf8);
        IommuTopology topology = IommuTopology.Resolve(tree);
        Assert.Equal(IdMap.DefaultMask, topology.Masters[0].IommuMap!.Mask);
        Assert.Contains(topology.Problems, p => p.Code == TopologyProblemCode.MalformedProperty);
        Assert.Equal(0x107u, topology.ResolvePciRequester(topology.FindPciHostBridge(host)!, new PciRequesterId(0x107)).Iommu.StreamId);
    }

    [Fact]
    public void IdMapMap_AgainstOracle_MatchesOnRandomMaps()
    {
        var random = new Random(0x1d_a7);
        for (int iteration = 0; iteration < 300; iteration++)
        {
            int count = random.Next(1, 5);
            uint mask = random.Next(3) switch { 0 => 0xffff, 1 => 0xfff8, _ => (uint)random.Next(0, 0x10000) };
            var cells = new List<uint>();
            for (int i = 0; i < count; i++)
            {
                cells.AddRange([(uint)random.Next(0, 0x10000) & (random.Next(4) == 0 ? 0xffffu : mask), SmmuA, (uint)random.Next(0, 0x10000), (uint)random.Next(0, 0x4000)]);
            }

            (IommuTopology topology, PciHostBridge host) = Build([.. cells], mask);
            for (int probe = 0; probe < 50; probe++)
            {
                ushort rid = (ushort)random.Next(0, 0x10000);
                IommuResolution actual = topology.ResolvePciRequester(host, new PciRequesterId(rid)).Iommu;
                (IommuAttachmentStatus status, uint sid) = Oracle(cells, mask, rid);
                Assert.Equal(status, actual.Status);
                if (status == IommuAttachmentStatus.Translated)
                {
                    Assert.Equal(sid, actual.StreamId);
                }
            }
        }
    }

    // Plain restatement of of_map_id's loop with 64-bit arithmetic (entries never reach 2^32 here).
    private static (IommuAttachmentStatus Status, uint Sid) Oracle(List<uint> cells, uint mask, uint rid)
    {
        uint masked = rid & mask;
        for (int i = 0; i < cells.Count; i += 4)
        {
            if ((cells[i] & ~mask) != 0)
            {
                return (IommuAttachmentStatus.MaskIgnoresBase, 0);
            }

            if (masked >= cells[i] && (ulong)masked < (ulong)cells[i] + cells[i + 3])
            {
                return (IommuAttachmentStatus.Translated, masked - cells[i] + cells[i + 2]);
            }
        }

        return (IommuAttachmentStatus.NoMatchingEntry, 0);
    }

    private static (IommuTopology Topology, PciHostBridge Host) Build(uint[]? map, uint? mask = null, bool disableA = false)
    {
        var tree = new DeviceTree();
        AddIommus(tree, disableA);
        DtNode host = Host(tree);
        if (map is not null)
        {
            host.Cells("iommu-map", map);
        }

        if (mask is { } m)
        {
            host.Cells("iommu-map-mask", m);
        }

        IommuTopology topology = IommuTopology.Resolve(tree);
        return (topology, topology.FindPciHostBridge(host)!);
    }

    private static void AddIommus(DeviceTree tree, bool disableA)
    {
        DtNode a = tree.Root.Node("smmu-a").Str("compatible", "arm,smmu-v3").Cells("#iommu-cells", 1).Cells("phandle", SmmuA);
        if (disableA)
        {
            a.Str("status", "disabled");
        }

        tree.Root.Node("smmu-b").Str("compatible", "arm,smmu-v3").Cells("#iommu-cells", 1).Cells("phandle", SmmuB);
        tree.Root.Node("not-an-iommu").Cells("phandle", 3);
    }

    private static DtNode Host(DeviceTree tree) => tree.Root.Node("pcie@40000000")
        .Str("compatible", "pci-host-ecam-generic").Str("device_type", "pci")
        .Cells("#address-cells", 3).Cells("#size-cells", 2);
}
