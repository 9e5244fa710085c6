namespace IommuKit.Kernel.Drivers.ArmSmmu;

/// <summary>enum arm_smmu_domain_stage.</summary>
public enum ArmSmmuDomainStage
{
    /// <summary>ARM_SMMU_DOMAIN_S1 (the default).</summary>
    S1 = 0,

    /// <summary>ARM_SMMU_DOMAIN_S2.</summary>
    S2 = 1,

    /// <summary>ARM_SMMU_DOMAIN_NESTED (legacy VFIO nesting; set up as a stage-2 context).</summary>
    Nested = 2,
}
