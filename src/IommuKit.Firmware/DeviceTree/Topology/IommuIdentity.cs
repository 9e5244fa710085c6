namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>
/// What an IOMMU node is, decided from its <c>compatible</c> list the way Linux's drivers match it:
/// the family (driver), for Arm SMMU v1/v2 the match-table model and vendor hooks, and the transport.
/// </summary>
/// <param name="Family">The driver family.</param>
/// <param name="SmmuModel">For <see cref="IommuFamily.ArmSmmu"/>, the matched model; otherwise <see cref="ArmSmmuModel.None"/>.</param>
/// <param name="Vendor">For <see cref="IommuFamily.ArmSmmu"/>, the vendor implementation hooks.</param>
/// <param name="Transport">How the IOMMU is reached.</param>
/// <param name="MatchedCompatible">The compatible string that decided the family, or null.</param>
public readonly record struct IommuIdentity(IommuFamily Family, ArmSmmuModel SmmuModel, SmmuVendor Vendor, IommuTransport Transport, string? MatchedCompatible)
{
    /// <summary>The Arm SMMU architecture version (1 or 2) for <see cref="IommuFamily.ArmSmmu"/>, 3 for SMMUv3, else 0.</summary>
    public int ArmSmmuArchitecture => Family switch
    {
        IommuFamily.ArmSmmuV3 => 3,
        IommuFamily.ArmSmmu => SmmuModel is ArmSmmuModel.SmmuV1 or ArmSmmuModel.Mmu400 or ArmSmmuModel.Mmu401 ? 1 : 2,
        _ => 0,
    };

    /// <summary>
    /// Classifies a compatible list (most specific first). The first string that a known driver
    /// family claims decides the family; for Arm SMMU v1/v2 the generic match-table entry decides
    /// the model and any vendor string decides the hooks. A <c>virtio,mmio</c> node is a
    /// virtio-iommu when it carries <c>#iommu-cells</c> (the caller only classifies such nodes).
    /// </summary>
    public static IommuIdentity Classify(IReadOnlyList<string> compatible)
    {
        ArgumentNullException.ThrowIfNull(compatible);
        IommuFamily family = IommuFamily.Unknown;
        IommuTransport transport = IommuTransport.Platform;
        string? matched = null;
        foreach (string raw in compatible)
        {
            string c = raw.ToLowerInvariant();
            (IommuFamily f, IommuTransport t) = ClassifyOne(c);
            if (f != IommuFamily.Unknown)
            {
                family = f;
                transport = t;
                matched = raw;
                break;
            }
        }

        if (family != IommuFamily.ArmSmmu)
        {
            return new IommuIdentity(family, ArmSmmuModel.None, SmmuVendor.None, transport, matched);
        }

        ArmSmmuModel model = ArmSmmuModel.None;
        SmmuVendor vendor = SmmuVendor.None;
        foreach (string raw in compatible)
        {
            string c = raw.ToLowerInvariant();
            if (model == ArmSmmuModel.None)
            {
                model = GenericSmmuModel(c);
            }

            SmmuVendor v = SmmuVendorOf(c);
            if (v == SmmuVendor.QualcommAdreno || (vendor == SmmuVendor.None && v != SmmuVendor.None))
            {
                vendor = v;
            }
        }

        if (model == ArmSmmuModel.None)
        {
            // Only a vendor string: infer the model from its suffix.
            string c = matched!.ToLowerInvariant();
            model = c.EndsWith("-smmu-v2", StringComparison.Ordinal) ? ArmSmmuModel.QcomSmmuV2 : ArmSmmuModel.Mmu500;
        }

        return new IommuIdentity(family, model, vendor, transport, matched);
    }

    private static (IommuFamily Family, IommuTransport Transport) ClassifyOne(string c)
    {
        if (GenericSmmuModel(c) != ArmSmmuModel.None || SmmuVendorOf(c) != SmmuVendor.None)
        {
            return (IommuFamily.ArmSmmu, IommuTransport.Platform);
        }

        IommuFamily family = c switch
        {
            "arm,smmu-v3" => IommuFamily.ArmSmmuV3,
            "virtio,pci-iommu" or "virtio,mmio" => IommuFamily.VirtioIommu,
            "rockchip,iommu" => IommuFamily.RockchipIommu,
            "samsung,exynos-sysmmu" => IommuFamily.ExynosSysMmu,
            "qcom,apq8064-iommu" => IommuFamily.QualcommMsmIommu,
            "qcom,msm-iommu-v1" or "qcom,msm-iommu-v2" => IommuFamily.QualcommIommu,
            "ti,omap2-iommu" or "ti,omap4-iommu" or "ti,dra7-iommu" or "ti,dra7-dsp-iommu" => IommuFamily.TiOmapIommu,
            "nvidia,tegra20-mc-gart" => IommuFamily.TegraGart,
            "nvidia,tegra30-mc" or "nvidia,tegra114-mc" or "nvidia,tegra124-mc" or "nvidia,tegra132-mc" or "nvidia,tegra210-mc" => IommuFamily.TegraSmmu,
            _ => IommuFamily.Unknown,
        };
        if (family == IommuFamily.Unknown)
        {
            family = PrefixFamily(c);
        }

        IommuTransport transport = c switch
        {
            "virtio,pci-iommu" => IommuTransport.Pci,
            "virtio,mmio" => IommuTransport.VirtioMmio,
            _ => IommuTransport.Platform,
        };
        return (family, transport);
    }

    private static IommuFamily PrefixFamily(string c)
    {
        if (c.StartsWith("apple,", StringComparison.Ordinal) && c.EndsWith("-dart", StringComparison.Ordinal))
        {
            return IommuFamily.AppleDart;
        }

        if (c.StartsWith("rockchip,", StringComparison.Ordinal) && c.EndsWith("-iommu", StringComparison.Ordinal))
        {
            return IommuFamily.RockchipIommu;
        }

        if (c.StartsWith("samsung,sysmmu-", StringComparison.Ordinal) || (c.StartsWith("samsung,exynos", StringComparison.Ordinal) && c.EndsWith("-sysmmu", StringComparison.Ordinal)))
        {
            return IommuFamily.ExynosSysMmu;
        }

        if (c.StartsWith("mediatek,", StringComparison.Ordinal) && (c.EndsWith("-m4u", StringComparison.Ordinal) || c.Contains("-iommu", StringComparison.Ordinal)))
        {
            return IommuFamily.MediaTekM4u;
        }

        if (c.StartsWith("renesas,", StringComparison.Ordinal) && c.Contains("ipmmu", StringComparison.Ordinal))
        {
            return IommuFamily.RenesasIpmmu;
        }

        if (c.StartsWith("allwinner,sun", StringComparison.Ordinal) && c.EndsWith("-iommu", StringComparison.Ordinal))
        {
            return IommuFamily.AllwinnerIommu;
        }

        return IommuFamily.Unknown;
    }

    private static ArmSmmuModel GenericSmmuModel(string c) => c switch
    {
        "arm,smmu-v1" => ArmSmmuModel.SmmuV1,
        "arm,smmu-v2" => ArmSmmuModel.SmmuV2,
        "arm,mmu-400" => ArmSmmuModel.Mmu400,
        "arm,mmu-401" => ArmSmmuModel.Mmu401,
        "arm,mmu-500" or "nvidia,smmu-500" => ArmSmmuModel.Mmu500,
        "cavium,smmu-v2" => ArmSmmuModel.CaviumSmmuV2,
        "qcom,smmu-v2" => ArmSmmuModel.QcomSmmuV2,
        _ => ArmSmmuModel.None,
    };

    private static SmmuVendor SmmuVendorOf(string c)
    {
        if (c == "qcom,adreno-smmu")
        {
            return SmmuVendor.QualcommAdreno;
        }

        if (c is "qcom,smmu-500" or "qcom,smmu-v2"
            || (c.StartsWith("qcom,", StringComparison.Ordinal) && (c.EndsWith("-smmu-500", StringComparison.Ordinal) || c.EndsWith("-smmu-v2", StringComparison.Ordinal))))
        {
            return SmmuVendor.Qualcomm;
        }

        if (c.StartsWith("nvidia,tegra", StringComparison.Ordinal) && c.EndsWith("-smmu", StringComparison.Ordinal))
        {
            return SmmuVendor.Nvidia;
        }

        return c switch
        {
            "marvell,ap806-smmu-500" => SmmuVendor.Marvell,
            "cavium,smmu-v2" => SmmuVendor.Cavium,
            _ => SmmuVendor.None,
        };
    }
}
