using IommuKit.Kernel.Base;
using IommuKit.Kernel.Iommu;

namespace IommuKit.Kernel.Drivers.ArmSmmu;

/// <summary>Build and module-parameter choices of the modelled arm-smmu driver.</summary>
public sealed record ArmSmmuOptions
{
    /// <summary>Which historical IOMMU_CAP_CACHE_COHERENCY answer to give (default: the current one).</summary>
    public ArmSmmuCacheCoherencyProfile CacheCoherencyProfile { get; init; } = ArmSmmuCacheCoherencyProfile.CoherentWalkOrDeviceCoherent;

    /// <summary>
    /// arm-smmu.disable_bypass (default CONFIG_ARM_SMMU_DISABLE_BYPASS_BY_DEFAULT=y): unmatched
    /// streams fault (sCR0.USFCFG) and unused stream map entries are S2CR type fault.
    /// </summary>
    public bool DisableBypass { get; init; } = true;

    /// <summary>arm-smmu.force_stage: 0 (no restriction), 1 or 2.</summary>
    public int ForceStage { get; init; }

    /// <summary>The CPU's PAGE_SIZE, which the page-table code prefers as the granule.</summary>
    public ulong CpuPageSize { get; init; } = 4096;

    /// <summary>
    /// Firmware reserved regions for a device (iommu_dma_get_resv_regions: devicetree
    /// <c>memory-region</c> with <c>iommu-addresses</c>); null: none.
    /// </summary>
    public Func<Device, IEnumerable<IommuResvRegion>>? FirmwareResvRegions { get; init; }
}
