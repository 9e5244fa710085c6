namespace IommuKit.Firmware.DeviceTree.Properties;

/// <summary>
/// Typed property reads on a <see cref="DtNode"/>. Each <c>Read*</c> method tells absent, well
/// formed and malformed apart; each <c>TryGet*</c> twin returns true only for a well-formed value.
/// None throws on malformed input.
/// </summary>
public static class DtNodeProperties
{
    /// <summary>The raw value of a property, or an empty span when absent (see <see cref="DtNode.FindProperty(string)"/>).</summary>
    public static ReadOnlySpan<byte> GetValueOrEmpty(this DtNode node, string name)
    {
        ArgumentNullException.ThrowIfNull(node);
        DtProperty? property = node.FindProperty(name);
        return property is null ? default : property.Value.Span;
    }

    /// <summary>True when the node has the property (whatever its value; booleans are empty).</summary>
    public static bool HasProperty(this DtNode node, string name)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.FindProperty(name) is not null;
    }

    /// <summary>Reads a one-cell property.</summary>
    public static DtReadResult ReadU32(this DtNode node, string name, out uint value)
    {
        ArgumentNullException.ThrowIfNull(node);
        DtProperty? property = node.FindProperty(name);
        if (property is null)
        {
            value = 0;
            return DtReadResult.Absent;
        }

        return DtCells.TryReadU32(property.Value.Span, out value) ? DtReadResult.Ok : DtReadResult.Malformed;
    }

    /// <summary>Reads a one-cell property; false when absent or malformed.</summary>
    public static bool TryGetU32(this DtNode node, string name, out uint value) => node.ReadU32(name, out value) == DtReadResult.Ok;

    /// <summary>Reads a two-cell (64-bit) property.</summary>
    public static DtReadResult ReadU64(this DtNode node, string name, out ulong value)
    {
        ArgumentNullException.ThrowIfNull(node);
        DtProperty? property = node.FindProperty(name);
        if (property is null)
        {
            value = 0;
            return DtReadResult.Absent;
        }

        return DtCells.TryReadU64(property.Value.Span, out value) ? DtReadResult.Ok : DtReadResult.Malformed;
    }

    /// <summary>Reads a two-cell (64-bit) property; false when absent or malformed.</summary>
    public static bool TryGetU64(this DtNode node, string name, out ulong value) => node.ReadU64(name, out value) == DtReadResult.Ok;

    /// <summary>Reads a property as a list of cells; malformed when its length is not a multiple of 4.</summary>
    public static DtReadResult ReadCells(this DtNode node, string name, out uint[] cells)
    {
        ArgumentNullException.ThrowIfNull(node);
        cells = [];
        DtProperty? property = node.FindProperty(name);
        if (property is null)
        {
            return DtReadResult.Absent;
        }

        ReadOnlySpan<byte> value = property.Value.Span;
        if (!DtCells.TryGetCellCount(value, out int count))
        {
            return DtReadResult.Malformed;
        }

        cells = new uint[count];
        for (int i = 0; i < count; i++)
        {
            cells[i] = DtCells.ReadCell(value, i);
        }

        return DtReadResult.Ok;
    }

    /// <summary>Reads the first string of a property (Linux <c>of_property_read_string</c>).</summary>
    public static DtReadResult ReadString(this DtNode node, string name, out string value)
    {
        ArgumentNullException.ThrowIfNull(node);
        DtProperty? property = node.FindProperty(name);
        if (property is null)
        {
            value = string.Empty;
            return DtReadResult.Absent;
        }

        return DtStrings.TryReadString(property.Value.Span, out value) ? DtReadResult.Ok : DtReadResult.Malformed;
    }

    /// <summary>Reads the first string of a property; false when absent or malformed.</summary>
    public static bool TryGetString(this DtNode node, string name, out string value) => node.ReadString(name, out value) == DtReadResult.Ok;

    /// <summary>Reads a string-list property.</summary>
    public static DtReadResult ReadStringList(this DtNode node, string name, out string[] value)
    {
        ArgumentNullException.ThrowIfNull(node);
        DtProperty? property = node.FindProperty(name);
        if (property is null)
        {
            value = [];
            return DtReadResult.Absent;
        }

        return DtStrings.TryReadStringList(property.Value.Span, out value) ? DtReadResult.Ok : DtReadResult.Malformed;
    }

    /// <summary>Reads a string-list property; false when absent or malformed.</summary>
    public static bool TryGetStringList(this DtNode node, string name, out string[] value) => node.ReadStringList(name, out value) == DtReadResult.Ok;

    /// <summary>The <c>compatible</c> strings, most specific first; empty when absent or malformed.</summary>
    public static string[] GetCompatible(this DtNode node) => node.TryGetStringList("compatible", out string[] list) ? list : [];

    /// <summary>
    /// True when one of the node's <c>compatible</c> strings equals <paramref name="compatible"/>,
    /// compared ASCII case-insensitively as Linux's <c>of_device_is_compatible</c> does.
    /// </summary>
    public static bool IsCompatible(this DtNode node, string compatible)
    {
        ArgumentNullException.ThrowIfNull(compatible);
        return DtStrings.IndexOf(node.GetValueOrEmpty("compatible"), compatible, ignoreCase: true) >= 0;
    }

    /// <summary>
    /// The node's phandle: the first of <c>phandle</c> or <c>linux,phandle</c> in property order
    /// that is one cell, as Linux's unflattening keeps the first one it meets. Values 0 and
    /// 0xffffffff are not phandles. False when the node has none.
    /// </summary>
    public static bool TryGetPhandle(this DtNode node, out uint phandle)
    {
        ArgumentNullException.ThrowIfNull(node);
        // Indexed loop: enumerating the IReadOnlyList would box an enumerator per call.
        IReadOnlyList<DtProperty> properties = node.Properties;
        for (int i = 0; i < properties.Count; i++)
        {
            DtProperty property = properties[i];
            if (property.Name is "phandle" or "linux,phandle"
                && DtCells.TryReadU32(property.Value.Span, out phandle)
                && DtPhandleIndex.IsValidPhandle(phandle))
            {
                return true;
            }
        }

        phandle = 0;
        return false;
    }
}
