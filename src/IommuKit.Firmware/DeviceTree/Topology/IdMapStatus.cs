namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>Outcome of mapping one ID through an <c>iommu-map</c>/<c>msi-map</c> (Linux <c>of_map_id</c>).</summary>
public enum IdMapStatus
{
    /// <summary>An entry matched and its target exists: the ID maps to an output ID on that target.</summary>
    Mapped,

    /// <summary>
    /// No entry matched ("no iommu-map translation for id"): Linux passes the ID through with no
    /// target, so the requester is not behind an IOMMU (or falls back to <c>msi-parent</c> for MSIs).
    /// </summary>
    NoMatch,

    /// <summary>The property length is not a non-zero multiple of 4 cells ("Bad iommu-map length", -EINVAL).</summary>
    Malformed,

    /// <summary>
    /// An entry visited before the match has an input base outside the mask ("map-mask ignores id-base",
    /// -EFAULT).
    /// </summary>
    MaskIgnoresBase,

    /// <summary>The matching entry's phandle names no node (-ENODEV).</summary>
    DanglingPhandle,
}
