using IommuKit.Firmware.DeviceTree;
using IommuKit.Firmware.DeviceTree.Properties;

namespace IommuKit.Firmware.Tests.Properties;

using DeviceTree = IommuKit.Firmware.DeviceTree.DeviceTree;

public sealed class DtPhandleIndexTests
{
    [Fact]
    public void Build_PhandleAndLegacy_BothIndexed()
    {
        var tree = new DeviceTree();
        DtNode a = tree.Root.Node("a").Cells("phandle", 1);
        DtNode b = tree.Root.Node("b").Cells("linux,phandle", 2);
        DtPhandleIndex index = DtPhandleIndex.Build(tree);
        Assert.Equal(2, index.Count);
        Assert.Same(a, index.Find(1));
        Assert.Same(b, index.Find(2));
        Assert.Null(index.Find(3));
        Assert.False(index.TryFind(3, out _));
    }

    [Fact]
    public void Build_DuplicatePhandle_FirstInTreeOrderWins()
    {
        var tree = new DeviceTree();
        DtNode first = tree.Root.Node("bus").Node("first").Cells("phandle", 5);
        DtNode second = tree.Root.Node("second").Cells("phandle", 5);
        DtPhandleIndex index = DtPhandleIndex.Build(tree);
        Assert.Same(first, index.Find(5));
        Assert.Equal([second], index.Duplicates);
    }
}
