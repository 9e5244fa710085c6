namespace IommuKit.Kernel.Drivers.ArmSmmuV3;

/// <summary>enum arm_smmu_domain_stage: which translation stage a paging domain uses.</summary>
public enum ArmSmmuV3Stage
{
    /// <summary>ARM_SMMU_DOMAIN_S1: stage 1 through a CD (ASID-tagged).</summary>
    S1 = 0,

    /// <summary>ARM_SMMU_DOMAIN_S2: stage 2 in the STE (VMID-tagged).</summary>
    S2 = 1,
}
