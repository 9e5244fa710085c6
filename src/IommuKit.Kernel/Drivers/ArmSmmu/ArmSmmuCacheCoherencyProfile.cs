namespace IommuKit.Kernel.Drivers.ArmSmmu;

/// <summary>
/// Which historical <c>arm_smmu_capable(dev, IOMMU_CAP_CACHE_COHERENCY)</c> the driver models.
/// The answer decides whether VFIO (and iommufd) accept a device: they always map with
/// IOMMU_CACHE and refuse to register a device without the capability (EINVAL).
/// </summary>
/// <remarks>
/// Versions were checked against public sources where possible: df198b37e72c ("Report
/// IOMMU_CAP_CACHE_COHERENCY better") sits in the IOMMU pull beside "Retire iommu_capable()" and
/// "Clean up bus_set_iommu()", i.e. the v6.1 merge window (hedged: v6.1 is our best reading of
/// that pull, not a tag we inspected). The fix ac9c5e92dd15 ("…even betterer", Fixes:
/// df198b37e72c) was committed on 2023-01-13 and so first tagged in v6.2-rc4; its stable
/// backport was posted as "[PATCH 6.1 087/183]" on 2023-01-16, i.e. the 6.1.7 review cycle.
/// </remarks>
public enum ArmSmmuCacheCoherencyProfile
{
    /// <summary>
    /// Kernels up to v6.0: always true ("the SMMU can always send out coherent requests").
    /// </summary>
    AlwaysTrue = 0,

    /// <summary>
    /// df198b37e72c (v6.1 – v6.1.6, v6.2-rc1 – rc3): true only if the SMMU's table walk is
    /// coherent (ARM_SMMU_FEAT_COHERENT_WALK, i.e. firmware <c>dma-coherent</c> on the SMMU node).
    /// </summary>
    CoherentWalk = 1,

    /// <summary>
    /// ac9c5e92dd15 (v6.2-rc4 onwards, 6.1.7 onwards): coherent walk OR the device itself is
    /// DMA-coherent (<c>device_get_dma_attr(dev) == DEV_DMA_COHERENT</c>).
    /// </summary>
    CoherentWalkOrDeviceCoherent = 2,
}

/// <summary>Maps kernel versions to <see cref="ArmSmmuCacheCoherencyProfile"/>.</summary>
public static class ArmSmmuCacheCoherencyProfiles
{
    /// <summary>
    /// The profile of a released kernel <paramref name="major"/>.<paramref name="minor"/>.<paramref name="patch"/>
    /// (release candidates are not representable: v6.2-rc1..rc3 behave as <see cref="ArmSmmuCacheCoherencyProfile.CoherentWalk"/>).
    /// </summary>
    public static ArmSmmuCacheCoherencyProfile ForKernel(int major, int minor, int patch = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(major);
        ArgumentOutOfRangeException.ThrowIfNegative(minor);
        ArgumentOutOfRangeException.ThrowIfNegative(patch);
        if (major < 6 || (major == 6 && minor == 0))
        {
            return ArmSmmuCacheCoherencyProfile.AlwaysTrue;
        }

        if (major == 6 && minor == 1 && patch < 7)
        {
            return ArmSmmuCacheCoherencyProfile.CoherentWalk;
        }

        return ArmSmmuCacheCoherencyProfile.CoherentWalkOrDeviceCoherent;
    }
}
