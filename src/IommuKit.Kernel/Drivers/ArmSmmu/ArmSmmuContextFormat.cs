namespace IommuKit.Kernel.Drivers.ArmSmmu;

/// <summary>enum arm_smmu_context_fmt: the translation table format a context bank uses.</summary>
public enum ArmSmmuContextFormat
{
    /// <summary>ARM_SMMU_CTX_FMT_NONE.</summary>
    None = 0,

    /// <summary>ARM_SMMU_CTX_FMT_AARCH64.</summary>
    Aarch64 = 1,

    /// <summary>ARM_SMMU_CTX_FMT_AARCH32_L (LPAE).</summary>
    Aarch32L = 2,

    /// <summary>ARM_SMMU_CTX_FMT_AARCH32_S (short descriptor).</summary>
    Aarch32S = 3,
}
