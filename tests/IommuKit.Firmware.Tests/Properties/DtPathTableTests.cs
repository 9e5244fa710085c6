using IommuKit.Firmware.DeviceTree;
using IommuKit.Firmware.DeviceTree.Properties;

namespace IommuKit.Firmware.Tests.Properties;

using DeviceTree = IommuKit.Firmware.DeviceTree.DeviceTree;

public sealed class DtPathTableTests
{
    [Fact]
    public void ReadAliases_ResolvesPaths()
    {
        var tree = new DeviceTree();
        DtNode serial = tree.Root.Node("soc").Node("serial@21c0500");
        tree.Root.Node("aliases").Str("serial0", "/soc/serial@21c0500").Str("gone", "/nowhere").Cells("bad", 1);
        DtPathTable aliases = DtPathTable.ReadAliases(tree);
        Assert.Same(serial, aliases.Resolve(tree, "serial0"));
        Assert.Null(aliases.Resolve(tree, "gone"));
        Assert.Null(aliases.Resolve(tree, "unknown"));
        Assert.Equal(["bad"], aliases.Malformed);
        Assert.Equal("/nowhere", aliases.GetPath("gone"));
    }

    [Fact]
    public void ReadSymbols_NoNode_IsEmpty()
    {
        var tree = new DeviceTree();
        Assert.Empty(DtPathTable.ReadSymbols(tree).Paths);
    }

    [Fact]
    public void ReadSymbols_LabelsMapToPaths()
    {
        var tree = new DeviceTree();
        DtNode smmu = tree.Root.Node("iommu@5000000");
        tree.Root.Node("__symbols__").Str("smmu", "/iommu@5000000");
        Assert.Same(smmu, DtPathTable.ReadSymbols(tree).Resolve(tree, "smmu"));
    }
}
