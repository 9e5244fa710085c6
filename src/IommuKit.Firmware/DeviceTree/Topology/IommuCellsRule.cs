namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>
/// What an IOMMU family's binding allows for <c>#iommu-cells</c>, and whether Linux's driver
/// refuses other values (at probe or in <c>of_xlate</c>) or merely follows the binding.
/// </summary>
/// <param name="Min">Smallest allowed value.</param>
/// <param name="Max">Largest allowed value.</param>
/// <param name="EnforcedByLinux">True when the driver rejects other values, so masters end up not behind the IOMMU.</param>
/// <param name="Reference">Where the rule comes from (binding or Linux function).</param>
public readonly record struct IommuCellsRule(uint Min, uint Max, bool EnforcedByLinux, string Reference)
{
    /// <summary>True when <paramref name="cells"/> is allowed.</summary>
    public bool Allows(uint cells) => cells >= Min && cells <= Max;

    /// <summary>The rule for a family, or null for <see cref="IommuFamily.Unknown"/>.</summary>
    public static IommuCellsRule? For(IommuFamily family) => family switch
    {
        IommuFamily.ArmSmmu => new(1, 2, false, "arm,smmu binding: stream ID, optionally with an SMR mask"),
        IommuFamily.ArmSmmuV3 => new(1, 1, true, "arm_smmu_device_dt_probe refuses any value but 1"),
        IommuFamily.VirtioIommu => new(1, 1, false, "virtio-iommu binding: endpoint ID"),
        IommuFamily.AppleDart => new(1, 1, true, "apple_dart_of_xlate refuses specifiers that are not 1 cell"),
        IommuFamily.RockchipIommu => new(0, 0, false, "rockchip,iommu binding: 0"),
        IommuFamily.ExynosSysMmu => new(0, 0, false, "samsung,exynos-sysmmu binding: 0"),
        IommuFamily.MediaTekM4u => new(1, 1, true, "mtk_iommu_of_xlate refuses specifiers that are not 1 cell"),
        IommuFamily.RenesasIpmmu => new(1, 1, false, "renesas,ipmmu-vmsa binding: 1"),
        IommuFamily.QualcommMsmIommu => new(1, 1, false, "qcom,apq8064-iommu binding: 1"),
        IommuFamily.QualcommIommu => new(1, 1, true, "qcom_iommu_of_xlate refuses specifiers that are not 1 cell"),
        IommuFamily.TiOmapIommu => new(0, 0, false, "ti,omap-iommu binding: 0"),
        IommuFamily.TegraSmmu => new(1, 1, false, "nvidia,tegra30-mc binding: 1 (SWGROUP)"),
        IommuFamily.TegraGart => new(0, 0, false, "nvidia,tegra20-mc-gart binding: 0"),
        IommuFamily.AllwinnerIommu => new(1, 1, false, "allwinner,sun50i-h6-iommu binding: 1"),
        _ => null,
    };
}
