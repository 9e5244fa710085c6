namespace IommuKit.Firmware.DeviceTree.Properties;

/// <summary>
/// One entry of a phandle-with-arguments list: a phandle, the node it names, and the argument
/// cells whose count the target's cells property (e.g. <c>#iommu-cells</c>) gives.
/// </summary>
/// <param name="Index">Position of the entry in the list (0-based).</param>
/// <param name="Phandle">The phandle cell.</param>
/// <param name="Target">The node with that phandle, or null.</param>
/// <param name="Arguments">The argument cells (empty on an error entry).</param>
/// <param name="Status">Whether the entry is usable; an error entry is the last one returned.</param>
public readonly record struct DtPhandleEntry(int Index, uint Phandle, DtNode? Target, uint[] Arguments, DtPhandleListStatus Status);
