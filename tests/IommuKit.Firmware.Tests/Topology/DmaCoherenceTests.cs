using IommuKit.Firmware.DeviceTree;
using IommuKit.Firmware.DeviceTree.Properties;
using IommuKit.Firmware.DeviceTree.Topology;
using IommuKit.Firmware.Tests.Properties;

namespace IommuKit.Firmware.Tests.Topology;

using DeviceTree = IommuKit.Firmware.DeviceTree.DeviceTree;

/// <summary>of_dma_is_coherent: nearest of node and DMA parents decides, else the architecture default.</summary>
public sealed class DmaCoherenceTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Resolve_NoProperty_ArchitectureDefault(bool archDefault)
    {
        var tree = new DeviceTree();
        DtNode dev = tree.Root.Node("bus").Node("dev");
        DmaCoherence coherence = DmaCoherence.Resolve(dev, archDefault);
        Assert.Equal(archDefault, coherence.IsCoherent);
        Assert.True(coherence.IsArchitectureDefault);
    }

    [Fact]
    public void Resolve_CoherentAncestor_Inherited()
    {
        var tree = new DeviceTree();
        DtNode bus = tree.Root.Node("bus").Flag("dma-coherent");
        DtNode dev = bus.Node("sub").Node("dev");
        DmaCoherence coherence = DmaCoherence.Resolve(dev, defaultCoherent: false);
        Assert.True(coherence.IsCoherent);
        Assert.Same(bus, coherence.Source);
    }

    [Fact]
    public void Resolve_NearerNonCoherent_Wins()
    {
        var tree = new DeviceTree();
        DtNode bus = tree.Root.Node("bus").Flag("dma-coherent");
        DtNode sub = bus.Node("sub").Flag("dma-noncoherent");
        DtNode dev = sub.Node("dev");
        Assert.Equal(new DmaCoherence(false, sub), DmaCoherence.Resolve(dev, defaultCoherent: true));
    }

    [Fact]
    public void Resolve_BothOnOneNode_CoherentWins()
    {
        var tree = new DeviceTree();
        DtNode dev = tree.Root.Node("dev").Flag("dma-noncoherent").Flag("dma-coherent");
        Assert.True(DmaCoherence.Resolve(dev, defaultCoherent: false).IsCoherent);
    }

    [Fact]
    public void Resolve_InterconnectDmaMem_FollowsInterconnectInsteadOfParent()
    {
        var tree = new DeviceTree();
        DtNode mc = tree.Root.Node("memory-controller").Cells("#interconnect-cells", 1).Cells("phandle", 7).Flag("dma-coherent");
        DtNode bus = tree.Root.Node("bus").Flag("dma-noncoherent");
        DtNode dev = bus.Node("dev").Cells("interconnects", 7, 0x10, 7, 0x11).Str("interconnect-names", "read", "dma-mem");
        DtPhandleIndex index = DtPhandleIndex.Build(tree);
        Assert.Equal(new DmaCoherence(true, mc), DmaCoherence.Resolve(dev, false, index));
        Assert.Equal(new DmaCoherence(false, bus), DmaCoherence.Resolve(dev, false));
    }

    [Fact]
    public void Resolve_InterconnectDangling_FallsBackToParent()
    {
        var tree = new DeviceTree();
        DtNode bus = tree.Root.Node("bus").Flag("dma-coherent");
        DtNode dev = bus.Node("dev").Cells("interconnects", 99, 0x10).Str("interconnect-names", "dma-mem");
        Assert.Same(bus, DmaCoherence.Resolve(dev, false, DtPhandleIndex.Build(tree)).Source);
    }

    [Fact]
    public void Resolve_InterconnectCycle_Terminates()
    {
        var tree = new DeviceTree();
        tree.Root.Node("a").Cells("#interconnect-cells", 0).Cells("phandle", 1).Cells("interconnects", 2).Str("interconnect-names", "dma-mem");
        tree.Root.Node("b").Cells("#interconnect-cells", 0).Cells("phandle", 2).Cells("interconnects", 1).Str("interconnect-names", "dma-mem");
        DmaCoherence coherence = DmaCoherence.Resolve(tree.Root.FindChild("a")!, true, DtPhandleIndex.Build(tree));
        Assert.True(coherence.IsArchitectureDefault);
    }

    [Fact]
    public void Resolve_TopologyOption_SetsDefaultForMasters()
    {
        var tree = new DeviceTree();
        tree.Root.Node("smmu").Str("compatible", "arm,smmu-v3").Cells("#iommu-cells", 1).Cells("phandle", 1);
        tree.Root.Node("dev").Cells("iommus", 1, 2);
        Assert.False(IommuTopology.Resolve(tree).Masters[0].DmaCoherent);
        IommuTopology coherentArch = IommuTopology.Resolve(tree, new IommuTopologyOptions { DefaultDmaCoherent = true });
        Assert.True(coherentArch.Masters[0].DmaCoherent);
        Assert.True(coherentArch.Iommus[0].DmaCoherent);
        Assert.True(coherentArch.GetDmaCoherence(tree.Root).IsArchitectureDefault);
    }
}
