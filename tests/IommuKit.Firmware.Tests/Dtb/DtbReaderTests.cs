using System.Runtime.InteropServices;
using System.Text;
using IommuKit.Firmware.DeviceTree;

namespace IommuKit.Firmware.Tests.Dtb;

using DeviceTree = IommuKit.Firmware.DeviceTree.DeviceTree;

public sealed class DtbReaderTests
{
    [Theory]
    [MemberData(nameof(Fixtures.Blobs), MemberType = typeof(Fixtures))]
    public void Read_Fixture_NodeAndPropertyCountsMatchDtcText(string name)
    {
        // Oracle: dtc's own text prints one node per "{" line and one property per ";" line.
        string[] lines = Fixtures.ReadGoldenDts(name).Split('\n');
        int dtcNodes = lines.Count(l => l.EndsWith(" {", StringComparison.Ordinal));
        int dtcProperties = lines.Count(l => l.EndsWith(';') && l.Trim() != "};" && !l.StartsWith('/'));
        int dtcReservations = lines.Count(l => l.StartsWith("/memreserve/", StringComparison.Ordinal));

        DeviceTree tree = DtbReader.Read(Fixtures.ReadBlob(name));

        Assert.Equal(dtcNodes, tree.Root.EnumerateSubtree().Count());
        Assert.Equal(dtcProperties, tree.Root.EnumerateSubtree().Sum(n => n.Properties.Count));
        Assert.Equal(dtcReservations, tree.MemoryReservations.Count);
    }

    [Fact]
    public void Read_Ls1028aRdb_SmmuDmaCoherentOnlyIn612()
    {
        DeviceTree old = DtbReader.Read(Fixtures.ReadBlob("dtb/linux-6.1/freescale/fsl-ls1028a-rdb.dtb"));
        DeviceTree @new = DtbReader.Read(Fixtures.ReadBlob("dtb/linux-6.12/freescale/fsl-ls1028a-rdb.dtb"));

        DtNode smmu61 = Assert.IsType<DtNode>(old.FindNode("/soc/iommu@5000000"));
        DtNode smmu612 = Assert.IsType<DtNode>(@new.FindNode("/soc/iommu@5000000"));
        Assert.Equal("arm,mmu-500\0"u8.ToArray(), smmu61.FindProperty("compatible")!.Value.ToArray());
        Assert.Equal([0, 0, 0, 1], smmu61.FindProperty("#iommu-cells")!.Value.ToArray());
        Assert.Null(smmu61.FindProperty("dma-coherent"));
        Assert.Equal(0, smmu612.FindProperty("dma-coherent")!.Length);
        Assert.Equal("/soc/iommu@5000000", smmu61.FullPath);
        Assert.Equal("iommu", smmu61.BaseName);
        Assert.Equal("5000000", smmu61.UnitAddress);
    }

    [Fact]
    public void Read_Fixture_HeaderAndBootCpuRecorded()
    {
        byte[] blob = Fixtures.ReadBlob("qemu/virt-smmuv3.dtb");

        DeviceTree tree = DtbReader.Read(blob);

        DtbHeader header = Assert.IsType<DtbHeader>(tree.SourceHeader);
        Assert.Equal(17u, header.Version);
        Assert.Equal(16u, header.LastCompatibleVersion);
        Assert.Equal((uint)blob.Length, header.TotalSize);
        Assert.Equal(0u, tree.BootCpuIdPhys);
        Assert.Equal(string.Empty, tree.Root.Name);
        Assert.Equal("/", tree.Root.FullPath);
    }

    [Fact]
    public void Read_PropertyValue_IsSliceOfTheBlob()
    {
        byte[] blob = Fixtures.ReadBlob("dtb/linux-6.1/arm/juno-r2.dtb");

        DeviceTree tree = DtbReader.Read(blob);

        DtProperty model = tree.Root.FindProperty("model")!;
        Assert.True(MemoryMarshal.TryGetArray(model.Value, out ArraySegment<byte> segment));
        Assert.Same(blob, segment.Array);
        Assert.Equal("ARM Juno development board (r2)\0", Encoding.Latin1.GetString(model.Value.Span));
    }

    [Fact]
    public void Read_MinimalWithReservationsAndBootCpu_ReadsAll()
    {
        RawDtb raw = RawDtb.Minimal().Reserve(0x8000_0000, 0x1000).Reserve(0, 0x10);
        raw.BootCpuIdPhys = 3;

        DeviceTree tree = DtbReader.Read(raw.Build());

        Assert.Equal([new DtMemoryReservation(0x8000_0000, 0x1000), new DtMemoryReservation(0, 0x10)], tree.MemoryReservations);
        Assert.Equal(3u, tree.BootCpuIdPhys);
        DtNode child = Assert.Single(tree.Root.Children);
        Assert.Equal("child@1", child.Name);
        Assert.Same(tree.Root, child.Parent);
        Assert.Equal("reg", Assert.Single(child.Properties).Name);
    }

    [Fact]
    public void Read_Version16Blob_Accepted()
    {
        RawDtb raw = RawDtb.Minimal();
        raw.Version = 16;

        DeviceTree tree = DtbReader.Read(raw.Build());

        Assert.Equal(16u, tree.SourceHeader!.Value.Version);
        Assert.Single(tree.Root.Children);
    }

    [Fact]
    public void Read_Version18CompatibleWith16_Accepted()
    {
        RawDtb raw = RawDtb.Minimal();
        raw.Version = 18;

        Assert.Single(DtbReader.Read(raw.Build()).Root.Children);
    }

    [Fact]
    public void Read_NopsAnywhereAndTrailingBytesAfterEnd_Ignored()
    {
        var raw = new RawDtb();
        raw.Nop().BeginNode(string.Empty).Nop().Prop("a", [1]).Nop().BeginNode("n").Nop().EndNode().Nop().EndNode().Nop().End().Word(0xdeadbeef);

        DeviceTree tree = DtbReader.Read(raw.Build());

        Assert.Equal([1], tree.Root.FindProperty("a")!.Value.ToArray());
        Assert.Equal("n", Assert.Single(tree.Root.Children).Name);
    }

    [Fact]
    public void Read_SharedNameOffset_DecodesOneString()
    {
        var raw = new RawDtb();
        uint reg = raw.AddString("reg");
        raw.BeginNode(string.Empty).BeginNode("a").PropAt(reg, [0, 0, 0, 1]).EndNode().BeginNode("b").PropAt(reg, [0, 0, 0, 2]).EndNode().EndNode().End();

        DeviceTree tree = DtbReader.Read(raw.Build());

        Assert.Same(tree.Root.Children[0].Properties[0].Name, tree.Root.Children[1].Properties[0].Name);
    }

    [Fact]
    public void Read_NameOffsetIntoMiddleOfString_ReadsTail()
    {
        var raw = new RawDtb();
        uint linuxPhandle = raw.AddString("linux,phandle");
        raw.BeginNode(string.Empty).PropAt(linuxPhandle + 6, [0, 0, 0, 1]).EndNode().End();

        Assert.Equal("phandle", DtbReader.Read(raw.Build()).Root.Properties[0].Name);
    }

    [Fact]
    public void Read_DuplicateNamesInBlob_KeptInOrder()
    {
        var raw = new RawDtb();
        raw.BeginNode(string.Empty).Prop("a", [1]).Prop("a", [2]).BeginNode("n").EndNode().BeginNode("n").EndNode().EndNode().End();

        DeviceTree tree = DtbReader.Read(raw.Build());

        Assert.Equal([[1], [2]], tree.Root.Properties.Select(p => p.Value.ToArray()));
        Assert.Equal(2, tree.Root.Children.Count);
    }

    [Fact]
    public void Read_DepthAtCap_Accepted()
    {
        var raw = new RawDtb();
        raw.BeginNode(string.Empty);
        for (int i = 1; i < DtbWalker.MaxDepth; i++)
        {
            raw.BeginNode("n");
        }

        for (int i = 0; i < DtbWalker.MaxDepth; i++)
        {
            raw.EndNode();
        }

        DeviceTree tree = DtbReader.Read(raw.End().Build());

        Assert.Equal(DtbWalker.MaxDepth, tree.Root.EnumerateSubtree().Count());
    }

    public static TheoryData<string, byte[], long, string> MalformedBlobs()
    {
        var data = new TheoryData<string, byte[], long, string>();
        byte[] good = RawDtb.Minimal().Build();

        data.Add("empty", [], 0, "too short for the FDT magic");
        data.Add("bad magic", Patch(good, 0, 0xd00dfeee), 0, "bad magic 0xd00dfeee");
        data.Add("short header", good[..20], 20, "too short for a header");
        data.Add("version 1", Patch(Patch(good, 20, 1), 24, 1), 20, "unsupported version 1");
        data.Add("last_comp 18", Patch(Patch(good, 20, 18), 24, 18), 20, "unsupported version 18 (last compatible 18)");
        data.Add("version below last_comp", Patch(Patch(good, 20, 16), 24, 17), 20, "below last compatible version 17");
        data.Add("version 15", Patch(Patch(good, 20, 15), 24, 2), 20, "predates the version 16 structure layout");
        data.Add("header cut", good[..32], 32, "too short for a version 17 header");
        data.Add("totalsize below header", Patch(good, 4, 39), 4, "totalsize 39 is outside [40,");
        data.Add("totalsize above INT_MAX", Patch(good, 4, 0x8000_0000), 4, "totalsize 2147483648 is outside");
        data.Add("totalsize beyond buffer", Patch(good, 4, (uint)good.Length + 1), good.Length, "blob truncated");
        data.Add("buffer truncated", good[..^1], good.Length - 1, "blob truncated");
        data.Add("rsvmap in header", Patch(good, 16, 39), 16, "off_mem_rsvmap 39 is outside");
        data.Add("rsvmap past end", Patch(good, 16, (uint)good.Length + 1), 16, "off_mem_rsvmap");
        data.Add("struct past end", Patch(good, 36, (uint)good.Length), 8, "structure block");
        data.Add("struct size wraps", Patch(Patch(good, 8, 0xffff_fff0), 36, 0x20), 8, "structure block");
        data.Add("strings past end", Patch(good, 32, 0x1000), 12, "strings block");
        data.Add("struct start in header", Patch(good, 8, 8), 8, "structure block");
        data.Add("strings start in header", Patch(good, 12, 0), 12, "strings block");
        data.Add("rsvmap without terminator", Patch(good, 16, (uint)good.Length - 8), good.Length - 8, "without a terminating entry");

        var raw = new RawDtb();
        raw.BeginNode(string.Empty).EndNode();
        data.Add("no FDT_END", raw.Build(), raw.StructureOffset + 12, "ends without FDT_END");

        raw = new RawDtb();
        raw.BeginNode(string.Empty).Word(0x5).EndNode().End();
        data.Add("unknown token", raw.Build(), raw.StructureOffset + 8, "unknown structure token 0x00000005");

        raw = new RawDtb();
        raw.EndNode().End();
        data.Add("END_NODE at top", raw.Build(), raw.StructureOffset, "FDT_END_NODE outside any node");

        raw = new RawDtb();
        raw.End();
        data.Add("END before root", raw.Build(), raw.StructureOffset, "FDT_END before the root node");

        raw = new RawDtb();
        raw.BeginNode(string.Empty).End();
        data.Add("END inside node", raw.Build(), raw.StructureOffset + 8, "FDT_END inside a node (depth 1)");

        raw = new RawDtb();
        raw.Prop("a", [1]).BeginNode(string.Empty).EndNode().End();
        data.Add("PROP outside node", raw.Build(), raw.StructureOffset, "FDT_PROP outside any node");

        raw = new RawDtb();
        raw.BeginNode(string.Empty).BeginNode("n").EndNode();
        int badProp = raw.StructurePosition;
        raw.Prop("late", [1]).EndNode().End();
        data.Add("property after subnode", raw.Build(), raw.StructureOffset + badProp, "property after a subnode");

        raw = new RawDtb();
        raw.BeginNode(string.Empty).EndNode();
        int second = raw.StructurePosition;
        raw.BeginNode(string.Empty).EndNode().End();
        data.Add("second root", raw.Build(), raw.StructureOffset + second, "a second root node");

        raw = new RawDtb();
        raw.BeginNode("root").EndNode().End();
        data.Add("named root", raw.Build(), raw.StructureOffset + 4, "root node name is not empty");

        raw = new RawDtb();
        raw.BeginNode(string.Empty).BeginNode(string.Empty).EndNode().EndNode().End();
        data.Add("empty child name", raw.Build(), raw.StructureOffset + 12, "empty node name");

        raw = new RawDtb();
        raw.BeginNode(string.Empty).Word(1).Bytes("abcd"u8);
        data.Add("unterminated name", raw.Build(), raw.StructureOffset + 12, "node name is not NUL-terminated");

        raw = new RawDtb();
        raw.BeginNode(string.Empty).Word(3).Word(100).Word(0);
        data.Add("value past block", raw.Build(), raw.StructureOffset + 12, "property value of 100 bytes runs past");

        raw = new RawDtb();
        raw.BeginNode(string.Empty).Word(3).Word(0);
        data.Add("PROP header cut", raw.Build(), raw.StructureOffset + 8, "FDT_PROP header runs past");

        raw = new RawDtb();
        raw.BeginNode(string.Empty).PropAt(4, [1]).EndNode().End();
        raw.AddString("abc");
        data.Add("nameoff outside strings", raw.Build(), raw.StructureOffset + 16, "nameoff 4 is outside the strings block");

        raw = new RawDtb();
        raw.BeginNode(string.Empty).PropAt(0x8000_0000, [1]).EndNode().End();
        data.Add("nameoff huge", raw.Build(), raw.StructureOffset + 16, "nameoff 2147483648 is outside");

        raw = new RawDtb();
        raw.BeginNode(string.Empty).PropAt(0, [1]).EndNode().End();
        raw.AddRawStrings("abc"u8);
        byte[] unterminatedString = raw.Build();
        data.Add("unterminated property name", unterminatedString, unterminatedString.Length - 3, "not NUL-terminated inside the strings block");

        raw = new RawDtb();
        raw.BeginNode(string.Empty).PropAt(0, [1]).EndNode().End();
        raw.AddRawStrings([0]);
        data.Add("empty property name", raw.Build(), raw.StructureOffset + 16, "empty property name");

        raw = new RawDtb();
        raw.BeginNode(string.Empty).BeginNode("a/b").EndNode().EndNode().End();
        data.Add("slash in node name", raw.Build(), raw.StructureOffset + 12 + 1, "node name contains '/'");

        raw = new RawDtb();
        raw.BeginNode(string.Empty);
        for (int i = 0; i < DtbWalker.MaxDepth; i++)
        {
            raw.BeginNode("n");
        }

        data.Add("too deep", raw.Build(), raw.StructureOffset + 8 + ((DtbWalker.MaxDepth - 1) * 8), "nested deeper than 64");
        return data;
    }

    [Theory]
    [MemberData(nameof(MalformedBlobs))]
    public void Read_Malformed_ThrowsWithOffsetAndReason(string scenario, byte[] blob, long offset, string reason)
    {
        DeviceTreeFormatException e = Assert.Throws<DeviceTreeFormatException>(() => DtbReader.Read(blob));

        Assert.True(e.Reason.Contains(reason, StringComparison.Ordinal), $"{scenario}: '{e.Reason}' lacks '{reason}'");
        Assert.Equal(offset, e.Offset);
        Assert.Contains($"at byte offset {offset}", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(MalformedBlobs))]
    public void TryRead_Malformed_ReturnsFalseWithSameError(string scenario, byte[] blob, long offset, string reason)
    {
        bool ok = DtbReader.TryRead(blob, out DeviceTree? tree, out DeviceTreeFormatException? error);

        Assert.False(ok, scenario);
        Assert.Null(tree);
        Assert.NotNull(error);
        Assert.Equal(offset, error.Offset);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TryRead_Valid_ReturnsTree()
    {
        bool ok = DtbReader.TryRead(RawDtb.Minimal().Build(), out DeviceTree? tree, out DeviceTreeFormatException? error);

        Assert.True(ok);
        Assert.Null(error);
        Assert.Single(tree!.Root.Children);
    }

    private static byte[] Patch(byte[] blob, int offset, uint value)
    {
        byte[] copy = (byte[])blob.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(offset), value);
        return copy;
    }
}
