namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>
/// The IOMMU family a node's <c>compatible</c> selects, i.e. which Linux driver would bind it. Later
/// layers use it to pick a hardware model and a kernel driver.
/// </summary>
public enum IommuFamily
{
    /// <summary>A node with <c>#iommu-cells</c> whose compatible no known IOMMU driver matches.</summary>
    Unknown,

    /// <summary>Arm SMMU v1/v2 and MMU-400/401/500 with vendor flavours (Linux <c>arm-smmu</c>).</summary>
    ArmSmmu,

    /// <summary>Arm SMMUv3 (Linux <c>arm-smmu-v3</c>).</summary>
    ArmSmmuV3,

    /// <summary>virtio-iommu over PCI or virtio-mmio (Linux <c>virtio-iommu</c>).</summary>
    VirtioIommu,

    /// <summary>Apple DART (Linux <c>apple-dart</c>).</summary>
    AppleDart,

    /// <summary>Rockchip IOMMU (Linux <c>rockchip-iommu</c>).</summary>
    RockchipIommu,

    /// <summary>Samsung Exynos SysMMU (Linux <c>exynos-iommu</c>).</summary>
    ExynosSysMmu,

    /// <summary>MediaTek M4U (Linux <c>mtk_iommu</c>, <c>mtk_iommu_v1</c>).</summary>
    MediaTekM4u,

    /// <summary>Renesas IPMMU-VMSA (Linux <c>ipmmu-vmsa</c>).</summary>
    RenesasIpmmu,

    /// <summary>Qualcomm MSM IOMMU of APQ8064-era SoCs (Linux <c>msm_iommu</c>).</summary>
    QualcommMsmIommu,

    /// <summary>Qualcomm firmware-managed IOMMU, <c>qcom,msm-iommu-v1/v2</c> (Linux <c>qcom_iommu</c>).</summary>
    QualcommIommu,

    /// <summary>TI OMAP IOMMU (Linux <c>omap-iommu</c>).</summary>
    TiOmapIommu,

    /// <summary>NVIDIA Tegra30–Tegra210 SMMU inside the memory controller (Linux <c>tegra-smmu</c>).</summary>
    TegraSmmu,

    /// <summary>NVIDIA Tegra20 GART inside the memory controller (Linux <c>tegra-gart</c>).</summary>
    TegraGart,

    /// <summary>Allwinner sun50i IOMMU (Linux <c>sun50i-iommu</c>).</summary>
    AllwinnerIommu,
}
