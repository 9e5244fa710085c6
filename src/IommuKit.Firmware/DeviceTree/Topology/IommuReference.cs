namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>One entry of a master's <c>iommus</c> list: an IOMMU phandle and its specifier cells.</summary>
/// <param name="Index">Position in the list.</param>
/// <param name="Phandle">The phandle cell.</param>
/// <param name="Target">The node it names, or null.</param>
/// <param name="Iommu">The IOMMU when the target has <c>#iommu-cells</c>, or null.</param>
/// <param name="Specifier">The specifier cells (<c>#iommu-cells</c> of them: StreamID, SID+mask, ...).</param>
/// <param name="Status">Whether this entry puts the master behind the IOMMU.</param>
public sealed record IommuReference(int Index, uint Phandle, DtNode? Target, IommuInstance? Iommu, IReadOnlyList<uint> Specifier, IommuAttachmentStatus Status);
