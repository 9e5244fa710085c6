namespace IommuKit.Firmware.DeviceTree.Dts;

/// <summary>What a <see cref="DtsMarker"/> marks in a value (dtc's <c>enum markertype</c>, the kinds that matter for a blob).</summary>
internal enum DtsMarkerKind : byte
{
    /// <summary>A 32-bit cell that becomes the phandle of the referenced node.</summary>
    PhandleReference,

    /// <summary>A place where the full path of the referenced node, NUL-terminated, is inserted.</summary>
    PathReference,

    /// <summary>A label inside a value (<c>prop = &lt;1 lbl: 2&gt;</c>).</summary>
    Label,
}

/// <summary>A marker at a byte offset of a value: a reference to resolve or a label.</summary>
internal sealed class DtsMarker(DtsMarkerKind kind, int offset, string text, DtsSourcePosition position)
{
    public DtsMarkerKind Kind { get; } = kind;

    public int Offset { get; set; } = offset;

    /// <summary>The label name, or the reference (a label, or a path starting with '/').</summary>
    public string Text { get; } = text;

    public DtsSourcePosition Position { get; } = position;
}
