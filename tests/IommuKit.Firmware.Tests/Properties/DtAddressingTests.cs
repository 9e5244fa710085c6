using IommuKit.Firmware.DeviceTree;
using IommuKit.Firmware.DeviceTree.Properties;

namespace IommuKit.Firmware.Tests.Properties;

using DeviceTree = IommuKit.Firmware.DeviceTree.DeviceTree;

public sealed class DtAddressingTests
{
    [Fact]
    public void ReadReg_ParentWithoutCells_UsesDefaultsTwoAndOne()
    {
        var tree = new DeviceTree();
        DtNode bus = tree.Root.Node("bus");
        DtNode dev = bus.Node("dev@0").Cells("reg", 0x0, 0x5000000, 0x800000);
        Assert.Equal(DtReadResult.Ok, DtAddressing.ReadReg(dev, out DtRegEntry[] reg));
        Assert.Equal([new DtRegEntry(0x5000000, 0x800000)], reg);
        Assert.Equal(2, DtAddressing.GetAddressCells(bus));
        Assert.Equal(1, DtAddressing.GetSizeCells(bus));
    }

    [Fact]
    public void ReadReg_CellsComeFromParent()
    {
        var tree = new DeviceTree();
        DtNode bus = tree.Root.Node("bus").Cells("#address-cells", 1).Cells("#size-cells", 1).Cells("#iommu-cells", 0);
        DtNode dev = bus.Node("dev@100").Cells("#address-cells", 2).Cells("reg", 0x100, 0x10, 0x200, 0x20);
        Assert.Equal(DtReadResult.Ok, DtAddressing.ReadReg(dev, out DtRegEntry[] reg));
        Assert.Equal([new DtRegEntry(0x100, 0x10), new DtRegEntry(0x200, 0x20)], reg);
    }

    [Fact]
    public void ReadReg_PciEndpoint_DecodesThreeCellAddress()
    {
        var tree = new DeviceTree();
        DtNode host = tree.Root.Node("pcie@1f0000000").Cells("#address-cells", 3).Cells("#size-cells", 2);
        DtNode ep = host.Node("ethernet@0,2").Cells("reg", 0x200, 0, 0, 0, 0);
        Assert.Equal(DtReadResult.Ok, DtAddressing.ReadReg(ep, out DtRegEntry[] reg));
        Assert.Single(reg);
        Assert.Equal(0x200u, (uint)(reg[0].Address >> 64));
    }

    [Theory]
    [InlineData(new uint[] { 1, 2 })]
    [InlineData(new uint[] { 1, 2, 3, 4 })]
    public void ReadReg_NotWholeEntries_IsMalformed(uint[] cells)
    {
        var tree = new DeviceTree();
        DtNode dev = tree.Root.Node("bus").Node("dev").Cells("reg", cells);
        Assert.Equal(DtReadResult.Malformed, DtAddressing.ReadReg(dev, out DtRegEntry[] reg));
        Assert.Empty(reg);
    }

    [Fact]
    public void ReadReg_ParentAddressCellsTooLarge_IsMalformed()
    {
        var tree = new DeviceTree();
        DtNode bus = tree.Root.Node("bus").Cells("#address-cells", 5);
        DtNode dev = bus.Node("dev").Cells("reg", 1, 2, 3, 4, 5, 6);
        Assert.Equal(DtReadResult.Malformed, DtAddressing.ReadReg(dev, out _));
        Assert.Equal(DtReadResult.Malformed, DtAddressing.ReadAddressCells(bus, out int cells));
        Assert.Equal(2, cells);
    }

    [Fact]
    public void ReadReg_ZeroCellsNonEmpty_IsMalformed()
    {
        var tree = new DeviceTree();
        DtNode bus = tree.Root.Node("bus").Cells("#address-cells", 0).Cells("#size-cells", 0);
        Assert.Equal(DtReadResult.Malformed, DtAddressing.ReadReg(bus.Node("a").Cells("reg", 1), out _));
        Assert.Equal(DtReadResult.Ok, DtAddressing.ReadReg(bus.Node("b").Flag("reg"), out DtRegEntry[] none));
        Assert.Empty(none);
    }

    [Fact]
    public void ReadRanges_PciHost_UsesChildParentAndSizeCells()
    {
        var tree = new DeviceTree();
        DtNode soc = tree.Root.Node("soc").Cells("#address-cells", 2).Cells("#size-cells", 2);
        DtNode host = soc.Node("pcie@1f0000000").Cells("#address-cells", 3).Cells("#size-cells", 2)
            .Cells("ranges", 0x82000000, 0x1, 0xf8000000, 0x1, 0xf8000000, 0x0, 0x160000);
        Assert.Equal(DtReadResult.Ok, DtAddressing.ReadRanges(host, out DtRangeEntry[] ranges));
        DtRangeEntry entry = Assert.Single(ranges);
        Assert.Equal(((UInt128)0x82000000 << 64) | 0x1_f800_0000, entry.ChildAddress);
        Assert.Equal((UInt128)0x1_f800_0000, entry.ParentAddress);
        Assert.Equal(0x160000UL, entry.Size);
    }

    [Fact]
    public void ReadDmaRanges_Empty_IsIdentityAndAbsentIsAbsent()
    {
        var tree = new DeviceTree();
        DtNode bus = tree.Root.Node("bus").Flag("dma-ranges");
        Assert.Equal(DtReadResult.Ok, DtAddressing.ReadDmaRanges(bus, out DtRangeEntry[] entries));
        Assert.Empty(entries);
        Assert.Equal(DtReadResult.Absent, DtAddressing.ReadDmaRanges(tree.Root, out _));
    }

    [Fact]
    public void ReadDmaRanges_OffsetWindow_Decodes()
    {
        var tree = new DeviceTree();
        tree.Root.Cells("#address-cells", 2).Cells("#size-cells", 2);
        DtNode bus = tree.Root.Node("bus").Cells("#address-cells", 1).Cells("#size-cells", 1)
            .Cells("dma-ranges", 0x0, 0x8, 0x0, 0x80000000);
        Assert.Equal(DtReadResult.Ok, DtAddressing.ReadDmaRanges(bus, out DtRangeEntry[] entries));
        Assert.Equal([new DtRangeEntry(0, 0x8_0000_0000, 0x80000000)], entries);
    }

    [Fact]
    public void ReadRanges_WrongLength_IsMalformed()
    {
        var tree = new DeviceTree();
        DtNode bus = tree.Root.Node("bus").Cells("#address-cells", 1).Cells("#size-cells", 1).Cells("ranges", 1, 2, 3);
        Assert.Equal(DtReadResult.Malformed, DtAddressing.ReadRanges(bus, out _));
    }
}
