namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>Where one requester ID of an <c>iommu-map</c> master lands.</summary>
/// <param name="Status">Whether it is behind an IOMMU, and why not.</param>
/// <param name="InputId">The requester ID as given.</param>
/// <param name="Iommu">The IOMMU when the map names one (also when it is disabled or rejected), or null.</param>
/// <param name="StreamId">The output ID (SMMU StreamID, virtio-iommu endpoint ID) when an entry matched.</param>
/// <param name="EntryIndex">The matching map entry, or -1.</param>
public readonly record struct IommuResolution(IommuAttachmentStatus Status, uint InputId, IommuInstance? Iommu, uint StreamId, int EntryIndex)
{
    /// <summary>True when the requester is behind a usable IOMMU.</summary>
    public bool IsBehindIommu => Status == IommuAttachmentStatus.Translated;
}
