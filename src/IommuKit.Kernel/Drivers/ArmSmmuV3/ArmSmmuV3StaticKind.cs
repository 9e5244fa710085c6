namespace IommuKit.Kernel.Drivers.ArmSmmuV3;

/// <summary>The driver's static domains: identity (bypass STE) and blocked (abort STE).</summary>
public enum ArmSmmuV3StaticKind
{
    /// <summary>arm_smmu_identity_domain: STE.Config = bypass.</summary>
    Bypass = 0,

    /// <summary>arm_smmu_blocked_domain: STE.Config = abort.</summary>
    Abort = 1,
}
