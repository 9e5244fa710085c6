using IommuKit.Firmware.DeviceTree;
using IommuKit.Firmware.DeviceTree.Properties;

namespace IommuKit.Firmware.Tests.Properties;

/// <summary>Small helpers to build hand-made trees in tests.</summary>
internal static class TreeBuilder
{
    public static DtNode Node(this DtNode parent, string name) => parent.AddChild(name);

    public static DtNode Cells(this DtNode node, string name, params uint[] cells)
    {
        node.AddProperty(name, DtCells.Encode(cells));
        return node;
    }

    public static DtNode Str(this DtNode node, string name, params string[] strings)
    {
        node.AddProperty(name, DtStrings.Encode(strings));
        return node;
    }

    public static DtNode Flag(this DtNode node, string name)
    {
        node.AddProperty(name, ReadOnlyMemory<byte>.Empty);
        return node;
    }

    public static DtNode Bytes(this DtNode node, string name, params byte[] bytes)
    {
        node.AddProperty(name, bytes);
        return node;
    }
}
