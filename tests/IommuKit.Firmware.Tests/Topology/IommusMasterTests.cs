using IommuKit.Firmware.DeviceTree;
using IommuKit.Firmware.DeviceTree.Topology;
using IommuKit.Firmware.Tests.Properties;

namespace IommuKit.Firmware.Tests.Topology;

using DeviceTree = IommuKit.Firmware.DeviceTree.DeviceTree;

/// <summary>Platform masters with <c>iommus</c>, as of_iommu_configure walks them.</summary>
public sealed class IommusMasterTests
{
    [Fact]
    public void Resolve_SeveralEntriesOnTwoIommus_AllTranslated()
    {
        DeviceTree tree = Base();
        tree.Root.Node("dev").Cells("iommus", 1, 0x10, 2, 0x20, 0x7f00, 1, 0x11);
        IommuTopology topology = IommuTopology.Resolve(tree);
        DmaMaster dev = Assert.Single(topology.Masters);
        Assert.Equal(DmaMasterKind.Iommus, dev.Kind);
        Assert.Equal(3, dev.References.Count);
        Assert.Equal([0x10u], dev.References[0].Specifier);
        Assert.Equal([0x20u, 0x7f00u], dev.References[1].Specifier);
        Assert.Equal("/smmu2", dev.References[1].Iommu!.Path);
        Assert.True(dev.IsBehindIommu);
        Assert.Empty(topology.Problems);
        Assert.Equal([dev], topology.FindIommu("/smmu1")!.Masters);
    }

    [Fact]
    public void Resolve_SpecifierRunsPastEnd_WrongCellCount()
    {
        DeviceTree tree = Base();
        tree.Root.Node("dev").Cells("iommus", 1, 0x10, 2, 0x20);
        IommuTopology topology = IommuTopology.Resolve(tree);
        DmaMaster dev = Assert.Single(topology.Masters);
        Assert.Equal(IommuAttachmentStatus.MalformedProperty, dev.Status);
        Assert.Equal(IommuAttachmentStatus.MalformedProperty, dev.References[1].Status);
        Assert.Contains(topology.Problems, p => p.Code == TopologyProblemCode.WrongCellCount);
    }

    [Fact]
    public void Resolve_PartialCell_WrongCellCount()
    {
        DeviceTree tree = Base();
        tree.Root.Node("dev").Bytes("iommus", 0, 0, 0, 1, 0, 0);
        IommuTopology topology = IommuTopology.Resolve(tree);
        Assert.Equal(IommuAttachmentStatus.MalformedProperty, Assert.Single(topology.Masters).Status);
        Assert.Contains(topology.Problems, p => p.Code == TopologyProblemCode.WrongCellCount);
    }

    [Fact]
    public void Resolve_DanglingPhandle_NotBehindIommu()
    {
        DeviceTree tree = Base();
        tree.Root.Node("dev").Cells("iommus", 1, 0x10, 0x99, 0x1);
        IommuTopology topology = IommuTopology.Resolve(tree);
        DmaMaster dev = Assert.Single(topology.Masters);
        Assert.Equal(IommuAttachmentStatus.DanglingPhandle, dev.Status);
        Assert.Equal(IommuAttachmentStatus.Translated, dev.References[0].Status);
        Assert.Equal(2, dev.References.Count);
        TopologyProblem problem = Assert.Single(topology.Problems);
        Assert.Equal((TopologyProblemCode.DanglingPhandle, "/dev"), (problem.Code, problem.Path));
    }

    [Fact]
    public void Resolve_PhandleZero_StopsLikeLinux()
    {
        DeviceTree tree = Base();
        tree.Root.Node("dev").Cells("iommus", 0, 1, 0x10);
        DmaMaster dev = Assert.Single(IommuTopology.Resolve(tree).Masters);
        Assert.Equal(IommuAttachmentStatus.DanglingPhandle, dev.Status);
    }

    [Fact]
    public void Resolve_TargetWithoutIommuCells_NotAnIommu()
    {
        DeviceTree tree = Base();
        tree.Root.Node("clock").Cells("phandle", 5);
        tree.Root.Node("dev").Cells("iommus", 5);
        IommuTopology topology = IommuTopology.Resolve(tree);
        DmaMaster dev = Assert.Single(topology.Masters);
        Assert.Equal(IommuAttachmentStatus.NotAnIommu, dev.Status);
        Assert.Equal("/clock", dev.References[0].Target!.FullPath);
        Assert.Contains(topology.Problems, p => p.Code == TopologyProblemCode.NotAnIommu);
    }

    [Fact]
    public void Resolve_DisabledIommu_NotBehindAndReportedOnlyForEnabledMasters()
    {
        DeviceTree tree = Base();
        tree.Root.FindChild("smmu1")!.Str("status", "disabled");
        tree.Root.Node("on").Cells("iommus", 1, 0x1);
        tree.Root.Node("off").Str("status", "disabled").Cells("iommus", 1, 0x2);
        IommuTopology topology = IommuTopology.Resolve(tree);
        Assert.All(topology.Masters, m => Assert.Equal(IommuAttachmentStatus.IommuDisabled, m.Status));
        TopologyProblem problem = Assert.Single(topology.Problems);
        Assert.Equal((TopologyProblemCode.DisabledIommuReference, "/on"), (problem.Code, problem.Path));
    }

    [Fact]
    public void Resolve_IommuUnderDisabledBus_IsDisabled()
    {
        var tree = new DeviceTree();
        DtNode bus = tree.Root.Node("bus").Str("status", "disabled");
        bus.Node("smmu").Str("compatible", "arm,mmu-500").Cells("#iommu-cells", 1).Cells("phandle", 1);
        tree.Root.Node("dev").Cells("iommus", 1, 3);
        IommuTopology topology = IommuTopology.Resolve(tree);
        Assert.False(Assert.Single(topology.Iommus).Enabled);
        Assert.Equal(IommuAttachmentStatus.IommuDisabled, Assert.Single(topology.Masters).Status);
    }

    [Fact]
    public void Resolve_FirstFailingEntryDecides()
    {
        DeviceTree tree = Base();
        tree.Root.FindChild("smmu2")!.Str("status", "disabled");
        tree.Root.Node("dev").Cells("iommus", 1, 0x10, 2, 0x1, 0x2, 0x99);
        DmaMaster dev = Assert.Single(IommuTopology.Resolve(tree).Masters);
        Assert.Equal(IommuAttachmentStatus.IommuDisabled, dev.Status);
        Assert.Equal(IommuAttachmentStatus.DanglingPhandle, dev.References[2].Status);
    }

    [Fact]
    public void Resolve_EmptyIommus_NoIommuWithWarning()
    {
        DeviceTree tree = Base();
        tree.Root.Node("dev").Flag("iommus");
        IommuTopology topology = IommuTopology.Resolve(tree);
        Assert.Equal(IommuAttachmentStatus.NoIommu, Assert.Single(topology.Masters).Status);
        Assert.Equal(ProblemSeverity.Warning, Assert.Single(topology.Problems).Severity);
    }

    [Theory]
    [InlineData("arm,smmu-v3", 2u, ProblemSeverity.Error, false)]
    [InlineData("arm,smmu-v3", 0u, ProblemSeverity.Error, false)]
    [InlineData("apple,t8103-dart", 2u, ProblemSeverity.Error, false)]
    [InlineData("mediatek,mt8183-m4u", 0u, ProblemSeverity.Error, false)]
    [InlineData("arm,mmu-500", 0u, ProblemSeverity.Warning, true)]
    [InlineData("arm,mmu-500", 3u, ProblemSeverity.Warning, true)]
    [InlineData("rockchip,iommu", 1u, ProblemSeverity.Warning, true)]
    public void Resolve_IommuCellsOutsideFamilyRule_Reported(string compatible, uint cells, ProblemSeverity severity, bool accepted)
    {
        var tree = new DeviceTree();
        tree.Root.Node("iommu").Str("compatible", compatible).Cells("#iommu-cells", cells).Cells("phandle", 1);
        uint[] iommus = [1, .. Enumerable.Repeat(0x5u, (int)cells)];
        tree.Root.Node("dev").Cells("iommus", iommus);
        IommuTopology topology = IommuTopology.Resolve(tree);
        IommuInstance iommu = Assert.Single(topology.Iommus);
        Assert.Equal(accepted, iommu.IommuCellsAccepted);
        TopologyProblem problem = Assert.Single(topology.Problems);
        Assert.Equal((TopologyProblemCode.InvalidIommuCells, severity), (problem.Code, problem.Severity));
        Assert.Equal(accepted ? IommuAttachmentStatus.Translated : IommuAttachmentStatus.IommuRejected, Assert.Single(topology.Masters).Status);
    }

    [Fact]
    public void Resolve_IommuCellsLongerThanCell_FirstCellUsedWithWarning()
    {
        var tree = new DeviceTree();
        tree.Root.Node("iommu").Str("compatible", "arm,smmu-v3").Cells("#iommu-cells", 1, 7).Cells("phandle", 1);
        tree.Root.Node("dev").Cells("iommus", 1, 0x42);
        IommuTopology topology = IommuTopology.Resolve(tree);
        Assert.Equal(1u, topology.Iommus[0].IommuCells);
        Assert.True(topology.Masters[0].IsBehindIommu);
        Assert.Equal(TopologyProblemCode.MalformedProperty, Assert.Single(topology.Problems).Code);
    }

    [Fact]
    public void Resolve_UnknownCompatibleWithIommuCells_IsUnknownFamilyInfo()
    {
        var tree = new DeviceTree();
        tree.Root.Node("iommu").Str("compatible", "acme,widget-iommu").Cells("#iommu-cells", 1);
        IommuTopology topology = IommuTopology.Resolve(tree);
        Assert.Equal(IommuFamily.Unknown, topology.Iommus[0].Family);
        Assert.Equal((TopologyProblemCode.UnknownIommuFamily, ProblemSeverity.Info), (topology.Problems[0].Code, topology.Problems[0].Severity));
    }

    [Fact]
    public void Resolve_DuplicatePhandle_ReportedAndFirstWins()
    {
        DeviceTree tree = Base();
        tree.Root.Node("other").Cells("phandle", 1);
        tree.Root.Node("dev").Cells("iommus", 1, 0x3);
        IommuTopology topology = IommuTopology.Resolve(tree);
        Assert.Equal("/smmu1", topology.Masters[0].References[0].Iommu!.Path);
        Assert.Equal((TopologyProblemCode.DuplicatePhandle, "/other"), (topology.Problems[0].Code, topology.Problems[0].Path));
    }

    [Fact]
    public void Resolve_LegacyLinuxPhandle_IsFollowed()
    {
        var tree = new DeviceTree();
        tree.Root.Node("smmu").Str("compatible", "arm,mmu-401").Cells("#iommu-cells", 1).Cells("linux,phandle", 9);
        tree.Root.Node("dev").Cells("iommus", 9, 0x3);
        Assert.True(IommuTopology.Resolve(tree).Masters[0].IsBehindIommu);
    }

    [Fact]
    public void Resolve_StreamMatchMask_ReadForArmSmmu()
    {
        var tree = new DeviceTree();
        tree.Root.Node("smmu").Str("compatible", "arm,mmu-500").Cells("#iommu-cells", 1).Cells("stream-match-mask", 0x7c00);
        Assert.Equal(0x7c00u, IommuTopology.Resolve(tree).Iommus[0].StreamMatchMask);
    }

    [Fact]
    public void Resolve_LegacyMmuMasters_ReadAndReported()
    {
        var tree = new DeviceTree();
        tree.Root.Node("dma").Cells("#stream-id-cells", 2).Cells("phandle", 4);
        tree.Root.Node("gpu").Cells("#stream-id-cells", 1).Cells("phandle", 5);
        tree.Root.Node("smmu").Str("compatible", "arm,smmu-v1").Cells("#iommu-cells", 1).Cells("mmu-masters", 4, 0xd01d, 0xd01e, 5, 0xe0, 6, 1);
        IommuTopology topology = IommuTopology.Resolve(tree);
        Assert.Equal(3, topology.LegacyMasters.Count);
        Assert.Equal([0xd01du, 0xd01eu], topology.LegacyMasters[0].StreamIds);
        Assert.Equal("/gpu", topology.LegacyMasters[1].Master!.FullPath);
        Assert.False(topology.LegacyMasters[2].Valid);
        Assert.Contains(topology.Problems, p => p.Code == TopologyProblemCode.LegacyMmuMasters);
        Assert.Contains(topology.Problems, p => p.Code == TopologyProblemCode.DanglingPhandle);
    }

    [Fact]
    public void Resolve_LegacyMasterWithoutStreamIdCells_Invalid()
    {
        var tree = new DeviceTree();
        tree.Root.Node("dma").Cells("phandle", 4);
        tree.Root.Node("smmu").Str("compatible", "arm,smmu-v1").Cells("#iommu-cells", 1).Cells("mmu-masters", 4, 0x1);
        IommuTopology topology = IommuTopology.Resolve(tree);
        Assert.False(Assert.Single(topology.LegacyMasters).Valid);
        Assert.Contains(topology.Problems, p => p.Code == TopologyProblemCode.WrongCellCount);
    }

    [Fact]
    public void ResolveId_OnIommusMaster_Throws()
    {
        DeviceTree tree = Base();
        tree.Root.Node("dev").Cells("iommus", 1, 0x3);
        IommuTopology topology = IommuTopology.Resolve(tree);
        Assert.Throws<ArgumentException>(() => topology.ResolveId(topology.Masters[0], 0));
    }

    [Fact]
    public void Resolve_FslMcIommuMap_ResolvesIcids()
    {
        DeviceTree tree = Base();
        tree.Root.Node("fsl-mc@80c000000").Str("compatible", "fsl,qoriq-mc").Cells("iommu-map", 0x0, 1, 0x0, 0x80).Cells("msi-parent", 1);
        IommuTopology topology = IommuTopology.Resolve(tree);
        DmaMaster mc = Assert.Single(topology.Masters);
        Assert.Equal(MappedIdSpace.FslMcIcid, mc.IdSpace);
        IommuResolution r = topology.ResolveId(mc, 0x23);
        Assert.Equal((IommuAttachmentStatus.Translated, 0x23u), (r.Status, r.StreamId));
        Assert.Equal(IommuAttachmentStatus.NoMatchingEntry, topology.ResolveId(mc, 0x80).Status);
    }

    private static DeviceTree Base()
    {
        var tree = new DeviceTree();
        tree.Root.Node("smmu1").Str("compatible", "arm,mmu-500").Cells("#iommu-cells", 1).Cells("phandle", 1);
        tree.Root.Node("smmu2").Str("compatible", "qcom,sm8250-smmu-500", "arm,mmu-500").Cells("#iommu-cells", 2).Cells("phandle", 2);
        return tree;
    }
}
