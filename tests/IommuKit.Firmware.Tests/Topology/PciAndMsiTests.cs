using IommuKit.Firmware.DeviceTree;
using IommuKit.Firmware.DeviceTree.Topology;
using IommuKit.Firmware.Tests.Properties;

namespace IommuKit.Firmware.Tests.Topology;

using DeviceTree = IommuKit.Firmware.DeviceTree.DeviceTree;

public sealed class PciAndMsiTests
{
    [Theory]
    [InlineData(0x00000000u, 0, 0, 0)]
    [InlineData(0x00001000u, 0, 2, 0)]
    [InlineData(0x00010300u, 1, 0, 3)]
    [InlineData(0x8200f800u, 0, 31, 0)]
    public void FromPhysHi_DecodesBusDeviceFunction(uint physHi, int bus, int device, int function)
    {
        PciRequesterId rid = PciRequesterId.FromPhysHi(physHi);
        Assert.Equal(((byte)bus, (byte)device, (byte)function), (rid.Bus, rid.Device, rid.Function));
    }

    [Fact]
    public void PciRequesterId_From_RoundTripsAndFormats()
    {
        PciRequesterId rid = PciRequesterId.From(0x3a, 0x1f, 7);
        Assert.Equal((ushort)0x3aff, rid.Value);
        Assert.Equal("3a:1f.7", rid.ToString());
        Assert.Throws<ArgumentOutOfRangeException>(() => PciRequesterId.From(0, 32, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => PciRequesterId.From(0, 0, 8));
    }

    [Fact]
    public void Resolve_EndpointsBelowBridge_RidFromRegAndHostBridgeDecides()
    {
        var tree = new DeviceTree();
        tree.Root.Node("smmu").Str("compatible", "arm,smmu-v3").Cells("#iommu-cells", 1).Cells("phandle", 1);
        DtNode host = Host(tree).Cells("iommu-map", 0x0, 1, 0x1000, 0x10000).Flag("dma-coherent");
        DtNode port = host.Node("pci@1,0").Str("device_type", "pci").Cells("#address-cells", 3).Cells("#size-cells", 2).Cells("reg", 0x0800, 0, 0, 0, 0);
        port.Node("nvme@0,0").Cells("reg", 0x010000, 0, 0, 0, 0).Flag("dma-noncoherent").Cells("iommus", 1, 0x5);
        host.Node("interrupt-controller").Cells("#interrupt-cells", 1);
        IommuTopology topology = IommuTopology.Resolve(tree);
        PciHostBridge bridge = Assert.Single(topology.PciHostBridges);
        Assert.Equal(["/pcie@40000000/pci@1,0", "/pcie@40000000/pci@1,0/nvme@0,0"], bridge.Endpoints.Select(e => e.Path));
        PciEndpoint nvme = bridge.Endpoints[1];
        Assert.Equal(PciRequesterId.From(1, 0, 0), nvme.Rid);
        Assert.Equal(0x1100u, nvme.Resolution.Iommu.StreamId);

        // Linux configures PCI DMA from the host bridge node: the device's own properties do not count.
        Assert.True(nvme.Resolution.Coherence.IsCoherent);
        Assert.Contains(topology.Problems, p => p.Code == TopologyProblemCode.IommusOnPciDevice && p.Path == nvme.Path);
    }

    [Fact]
    public void Resolve_IommuMapOnPciPciBridge_NotAMaster()
    {
        var tree = new DeviceTree();
        tree.Root.Node("smmu").Str("compatible", "arm,smmu-v3").Cells("#iommu-cells", 1).Cells("phandle", 1);
        Host(tree).Node("pci@1,0").Str("device_type", "pci").Cells("reg", 0x0800, 0, 0, 0, 0).Cells("iommu-map", 0, 1, 0, 0x100);
        Assert.Empty(IommuTopology.Resolve(tree).Masters);
    }

    [Fact]
    public void ResolvePciRequester_MsiMapOnBridge_MapsDeviceId()
    {
        var tree = new DeviceTree();
        DtNode its = Its(tree);
        DtNode host = Host(tree).Cells("msi-map", 0x0, 2, 0x10000, 0x100).Cells("msi-map-mask", 0xfff8).Cells("msi-parent", 3);
        IommuTopology topology = IommuTopology.Resolve(tree);
        MsiResolution msi = topology.ResolvePciRequester(topology.FindPciHostBridge(host)!, new PciRequesterId(0x13)).Msi;
        Assert.Equal(new MsiResolution(MsiResolutionStatus.MsiMap, its, 0x10010, host), msi);
    }

    [Fact]
    public void ResolvePciRequester_MsiMapNoMatch_FallsBackToMsiParentWithRid()
    {
        var tree = new DeviceTree();
        Its(tree);
        DtNode v2m = tree.Root.Node("v2m").Flag("msi-controller").Cells("phandle", 3);
        DtNode host = Host(tree).Cells("msi-map", 0x0, 2, 0x10000, 0x100).Cells("msi-parent", 3);
        IommuTopology topology = IommuTopology.Resolve(tree);
        MsiResolution msi = topology.ResolvePciRequester(topology.FindPciHostBridge(host)!, new PciRequesterId(0x200)).Msi;
        Assert.Equal(new MsiResolution(MsiResolutionStatus.MsiParent, v2m, 0x200, null), msi);
    }

    [Fact]
    public void ResolvePciRequester_MsiMapOnAncestor_Used()
    {
        var tree = new DeviceTree();
        DtNode its = Its(tree);
        DtNode bus = tree.Root.Node("bus").Cells("msi-map", 0x0, 2, 0x40000, 0x10000);
        DtNode host = bus.AddChild("pcie@0").Str("device_type", "pci").Cells("#address-cells", 3).Cells("#size-cells", 2);
        IommuTopology topology = IommuTopology.Resolve(tree);
        MsiResolution msi = topology.ResolvePciRequester(topology.FindPciHostBridge(host)!, new PciRequesterId(0x100)).Msi;
        Assert.Equal(new MsiResolution(MsiResolutionStatus.MsiMap, its, 0x40100, bus), msi);
    }

    [Fact]
    public void ResolvePciRequester_BrokenMsiMapOnBridge_SkippedForAncestor()
    {
        var tree = new DeviceTree();
        DtNode its = Its(tree);
        DtNode bus = tree.Root.Node("bus").Cells("msi-map", 0x0, 2, 0x40000, 0x10000);
        DtNode host = bus.AddChild("pcie@0").Str("device_type", "pci").Cells("msi-map", 0x0, 2, 0x0);
        IommuTopology topology = IommuTopology.Resolve(tree);
        MsiResolution msi = topology.ResolvePciRequester(topology.FindPciHostBridge(host)!, new PciRequesterId(0x1)).Msi;
        Assert.Equal((MsiResolutionStatus.MsiMap, its, 0x40001u), (msi.Status, msi.Controller, msi.DeviceId));
    }

    [Fact]
    public void ResolvePciRequester_NoMsiDescription_None()
    {
        var tree = new DeviceTree();
        DtNode host = Host(tree);
        IommuTopology topology = IommuTopology.Resolve(tree);
        MsiResolution msi = topology.ResolvePciRequester(topology.FindPciHostBridge(host)!, new PciRequesterId(0x8)).Msi;
        Assert.Equal(new MsiResolution(MsiResolutionStatus.None, null, 0x8, null), msi);
    }

    [Fact]
    public void Resolve_DisabledHostBridge_Reported()
    {
        var tree = new DeviceTree();
        DtNode host = Host(tree).Str("status", "disabled");
        host.Node("dev@0,0").Cells("reg", 0, 0, 0, 0, 0);
        IommuTopology topology = IommuTopology.Resolve(tree);
        PciHostBridge bridge = Assert.Single(topology.PciHostBridges);
        Assert.False(bridge.Enabled);
        Assert.False(Assert.Single(bridge.Endpoints).Enabled);
    }

    private static DtNode Its(DeviceTree tree) => tree.Root.Node("its").Flag("msi-controller").Cells("#msi-cells", 1).Cells("phandle", 2);

    private static DtNode Host(DeviceTree tree) => tree.Root.Node("pcie@40000000")
        .Str("device_type", "pci").Cells("#address-cells", 3).Cells("#size-cells", 2);
}
