namespace IommuKit.Kernel.Drivers.ArmSmmu;

/// <summary>The driver's feature bits (ARM_SMMU_FEAT_* in arm-smmu.h), found by <c>arm_smmu_device_cfg_probe</c>.</summary>
[Flags]
public enum ArmSmmuFeatures
{
    None = 0,

    /// <summary>ARM_SMMU_FEAT_COHERENT_WALK: from firmware (<c>dma-coherent</c>), not from IDR0.CTTW.</summary>
    CoherentWalk = 1 << 0,

    /// <summary>ARM_SMMU_FEAT_STREAM_MATCH: IDR0.SMS.</summary>
    StreamMatch = 1 << 1,

    /// <summary>ARM_SMMU_FEAT_TRANS_S1.</summary>
    TransS1 = 1 << 2,

    /// <summary>ARM_SMMU_FEAT_TRANS_S2.</summary>
    TransS2 = 1 << 3,

    /// <summary>ARM_SMMU_FEAT_TRANS_NESTED.</summary>
    TransNested = 1 << 4,

    /// <summary>ARM_SMMU_FEAT_TRANS_OPS: address translation operations (ATS1PR) usable for iova_to_phys.</summary>
    TransOps = 1 << 5,

    /// <summary>ARM_SMMU_FEAT_VMID16.</summary>
    Vmid16 = 1 << 6,

    /// <summary>ARM_SMMU_FEAT_FMT_AARCH64_4K.</summary>
    FmtAarch64_4K = 1 << 7,

    /// <summary>ARM_SMMU_FEAT_FMT_AARCH64_16K.</summary>
    FmtAarch64_16K = 1 << 8,

    /// <summary>ARM_SMMU_FEAT_FMT_AARCH64_64K.</summary>
    FmtAarch64_64K = 1 << 9,

    /// <summary>ARM_SMMU_FEAT_FMT_AARCH32_L.</summary>
    FmtAarch32L = 1 << 10,

    /// <summary>ARM_SMMU_FEAT_FMT_AARCH32_S (short descriptor; no io-pgtable for it in the model).</summary>
    FmtAarch32S = 1 << 11,

    /// <summary>ARM_SMMU_FEAT_EXIDS: 16-bit extended stream IDs.</summary>
    Exids = 1 << 12,
}
