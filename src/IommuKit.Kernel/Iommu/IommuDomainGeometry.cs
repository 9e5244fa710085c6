namespace IommuKit.Kernel.Iommu;

/// <summary>
/// struct iommu_domain_geometry: the IOVA range a domain can translate, inclusive;
/// <paramref name="ForceAperture"/> means DMA is only possible inside it.
/// </summary>
public readonly record struct IommuDomainGeometry(ulong ApertureStart, ulong ApertureEnd, bool ForceAperture)
{
    /// <summary>True if [iova, iova + size) lies inside the aperture.</summary>
    public bool Contains(ulong iova, ulong size) =>
        size != 0 && iova >= ApertureStart && iova <= ApertureEnd && size - 1 <= ApertureEnd - iova;
}
