namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>
/// Whether a master (or one requester ID of a bus master) ends up behind an IOMMU as Linux's
/// <c>of_iommu_configure</c> decides, and if not, why.
/// </summary>
public enum IommuAttachmentStatus
{
    /// <summary>Behind an enabled IOMMU whose driver accepts the specifier.</summary>
    Translated,

    /// <summary>No <c>iommus</c> / <c>iommu-map</c>: not behind an IOMMU.</summary>
    NoIommu,

    /// <summary><c>iommu-map</c> present but no entry covers the ID: not behind an IOMMU.</summary>
    NoMatchingEntry,

    /// <summary>The referenced IOMMU (or a bus above it) is disabled: not behind an IOMMU (<c>NO_IOMMU</c>).</summary>
    IommuDisabled,

    /// <summary>The IOMMU's driver refuses its <c>#iommu-cells</c>: it never probes, the master is not behind it.</summary>
    IommuRejected,

    /// <summary>A phandle names no node: the walk fails, not behind an IOMMU.</summary>
    DanglingPhandle,

    /// <summary>The referenced node has no <c>#iommu-cells</c>, so no IOMMU driver claims it.</summary>
    NotAnIommu,

    /// <summary>The property is malformed (length, truncated specifier): not behind an IOMMU.</summary>
    MalformedProperty,

    /// <summary>An <c>iommu-map</c> entry's base has bits outside <c>iommu-map-mask</c> (-EFAULT).</summary>
    MaskIgnoresBase,

    /// <summary>For an <c>iommu-map</c> master: the answer depends on the requester ID; resolve each ID.</summary>
    PerId,
}
