namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>
/// The vendor implementation hooks Linux's <c>arm_smmu_impl_init</c> attaches to an Arm SMMU v1/v2
/// (errata, extra registers, firmware-owned context banks), chosen from the compatible list.
/// </summary>
public enum SmmuVendor
{
    /// <summary>No vendor hooks (or not an Arm SMMU).</summary>
    None,

    /// <summary>Qualcomm SMMU-500 / SMMUv2 flavours (<c>qcom,*-smmu-500</c>, <c>qcom,*-smmu-v2</c>).</summary>
    Qualcomm,

    /// <summary>Qualcomm Adreno GPU SMMU (<c>qcom,adreno-smmu</c>).</summary>
    QualcommAdreno,

    /// <summary>NVIDIA Tegra186/194/234 dual or triple MMU-500 (<c>nvidia,tegra*-smmu</c>).</summary>
    Nvidia,

    /// <summary>Marvell AP806 MMU-500 (<c>marvell,ap806-smmu-500</c>).</summary>
    Marvell,

    /// <summary>Cavium ThunderX SMMUv2 (<c>cavium,smmu-v2</c>).</summary>
    Cavium,
}
