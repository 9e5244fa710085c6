namespace IommuKit.Kernel.Drivers.ArmSmmuV3;

/// <summary>Kernel generations whose arm_smmu_capable() answers differ.</summary>
public enum ArmSmmuV3KernelProfile
{
    /// <summary>
    /// Current mainline: CACHE_COHERENCY = FEAT_COHERENCY; ENFORCE_CACHE_COHERENCY from the master's
    /// CANWBS flag (v6.13+); DIRTY_TRACKING = FEAT_HD and FEAT_COHERENCY.
    /// </summary>
    Current = 0,

    /// <summary>
    /// Before the 2022 change: CACHE_COHERENCY is unconditionally true; no
    /// enforce_cache_coherency and no dirty tracking.
    /// </summary>
    Before2022 = 1,
}
