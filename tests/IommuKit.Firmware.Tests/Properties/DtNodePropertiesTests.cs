using IommuKit.Firmware.DeviceTree;
using IommuKit.Firmware.DeviceTree.Properties;

namespace IommuKit.Firmware.Tests.Properties;

using DeviceTree = IommuKit.Firmware.DeviceTree.DeviceTree;

public sealed class DtNodePropertiesTests
{
    [Fact]
    public void ReadU32_AbsentOkMalformed_AreTold()
    {
        var tree = new DeviceTree();
        DtNode node = tree.Root.Node("iommu@0").Cells("#iommu-cells", 1).Bytes("bad", 0, 1);
        Assert.Equal(DtReadResult.Ok, node.ReadU32("#iommu-cells", out uint cells));
        Assert.Equal(1u, cells);
        Assert.Equal(DtReadResult.Absent, node.ReadU32("missing", out _));
        Assert.Equal(DtReadResult.Malformed, node.ReadU32("bad", out _));
        Assert.False(node.TryGetU32("bad", out _));
    }

    [Fact]
    public void ReadCells_PartialCell_IsMalformed()
    {
        var tree = new DeviceTree();
        DtNode node = tree.Root.Node("n").Cells("iommus", 1, 2, 3).Bytes("odd", 1, 2, 3, 4, 5);
        Assert.Equal(DtReadResult.Ok, node.ReadCells("iommus", out uint[] cells));
        Assert.Equal([1u, 2u, 3u], cells);
        Assert.Equal(DtReadResult.Malformed, node.ReadCells("odd", out uint[] none));
        Assert.Empty(none);
    }

    [Fact]
    public void ReadU64_TwoCells_Reads()
    {
        var tree = new DeviceTree();
        DtNode node = tree.Root.Node("n").Cells("x", 0x10, 0x20);
        Assert.True(node.TryGetU64("x", out ulong value));
        Assert.Equal(0x10_0000_0020UL, value);
    }

    [Fact]
    public void IsCompatible_IsCaseInsensitive()
    {
        var tree = new DeviceTree();
        DtNode node = tree.Root.Node("n").Str("compatible", "arm,mmu-401", "arm,smmu-v1");
        Assert.True(node.IsCompatible("ARM,SMMU-V1"));
        Assert.False(node.IsCompatible("arm,smmu-v2"));
        Assert.Equal(["arm,mmu-401", "arm,smmu-v1"], node.GetCompatible());
    }

    [Fact]
    public void TryGetPhandle_LegacyLinuxPhandle_IsAccepted()
    {
        var tree = new DeviceTree();
        DtNode node = tree.Root.Node("n").Cells("linux,phandle", 7);
        Assert.True(node.TryGetPhandle(out uint phandle));
        Assert.Equal(7u, phandle);
    }

    [Fact]
    public void TryGetPhandle_FirstInPropertyOrderWins()
    {
        var tree = new DeviceTree();
        DtNode node = tree.Root.Node("n").Cells("linux,phandle", 9).Cells("phandle", 7);
        Assert.True(node.TryGetPhandle(out uint phandle));
        Assert.Equal(9u, phandle);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(0xffffffffu)]
    public void TryGetPhandle_ReservedValue_IsNotAPhandle(uint value)
    {
        var tree = new DeviceTree();
        DtNode node = tree.Root.Node("n").Cells("phandle", value);
        Assert.False(node.TryGetPhandle(out _));
    }

    [Fact]
    public void TryGetPhandle_WrongLength_IsNotAPhandle()
    {
        var tree = new DeviceTree();
        DtNode node = tree.Root.Node("n").Cells("phandle", 1, 2);
        Assert.False(node.TryGetPhandle(out _));
    }
}
