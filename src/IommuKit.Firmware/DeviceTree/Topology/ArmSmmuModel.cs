namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>
/// For <see cref="IommuFamily.ArmSmmu"/>: the entry of Linux's <c>arm_smmu_of_match</c> table the node
/// matches, which fixes the architecture version and the implementation model the driver uses.
/// </summary>
public enum ArmSmmuModel
{
    /// <summary>Not an Arm SMMU v1/v2.</summary>
    None,

    /// <summary><c>arm,smmu-v1</c>: SMMUv1, generic.</summary>
    SmmuV1,

    /// <summary><c>arm,smmu-v2</c>: SMMUv2, generic.</summary>
    SmmuV2,

    /// <summary><c>arm,mmu-400</c>: SMMUv1, generic.</summary>
    Mmu400,

    /// <summary><c>arm,mmu-401</c>: SMMUv1 with 64 KiB register pages.</summary>
    Mmu401,

    /// <summary><c>arm,mmu-500</c> or <c>nvidia,smmu-500</c>: SMMUv2, MMU-500 model.</summary>
    Mmu500,

    /// <summary><c>cavium,smmu-v2</c>: SMMUv2, Cavium ThunderX model.</summary>
    CaviumSmmuV2,

    /// <summary><c>qcom,smmu-v2</c>: SMMUv2, Qualcomm model.</summary>
    QcomSmmuV2,
}
