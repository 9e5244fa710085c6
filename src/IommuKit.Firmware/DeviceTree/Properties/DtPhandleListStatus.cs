namespace IommuKit.Firmware.DeviceTree.Properties;

/// <summary>State of one entry of a phandle-with-arguments list (<c>iommus</c>, <c>interconnects</c>, ...).</summary>
public enum DtPhandleListStatus
{
    /// <summary>The phandle names a node and all its argument cells are present.</summary>
    Ok,

    /// <summary>A phandle of 0: an empty slot Linux skips over with no arguments.</summary>
    EmptyEntry,

    /// <summary>No node has this phandle ("could not find phandle"); the list stops here.</summary>
    DanglingPhandle,

    /// <summary>The target has no (one-cell) cells property and no default applies; the list stops here.</summary>
    MissingCellsProperty,

    /// <summary>The arguments run past the end of the property; the list stops here.</summary>
    Truncated,

    /// <summary>The property length is not a whole number of cells; nothing is read.</summary>
    Malformed,
}
