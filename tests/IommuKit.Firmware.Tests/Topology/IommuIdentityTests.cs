using IommuKit.Firmware.DeviceTree;
using IommuKit.Firmware.DeviceTree.Topology;
using IommuKit.Firmware.Tests.Properties;

namespace IommuKit.Firmware.Tests.Topology;

using DeviceTree = IommuKit.Firmware.DeviceTree.DeviceTree;

public sealed class IommuIdentityTests
{
    [Theory]
    [InlineData("arm,smmu-v1", IommuFamily.ArmSmmu, ArmSmmuModel.SmmuV1, SmmuVendor.None)]
    [InlineData("arm,smmu-v2", IommuFamily.ArmSmmu, ArmSmmuModel.SmmuV2, SmmuVendor.None)]
    [InlineData("arm,mmu-400|arm,smmu-v1", IommuFamily.ArmSmmu, ArmSmmuModel.Mmu400, SmmuVendor.None)]
    [InlineData("arm,mmu-401|arm,smmu-v1", IommuFamily.ArmSmmu, ArmSmmuModel.Mmu401, SmmuVendor.None)]
    [InlineData("arm,mmu-500", IommuFamily.ArmSmmu, ArmSmmuModel.Mmu500, SmmuVendor.None)]
    [InlineData("qcom,sm8250-smmu-500|arm,mmu-500", IommuFamily.ArmSmmu, ArmSmmuModel.Mmu500, SmmuVendor.Qualcomm)]
    [InlineData("qcom,sm8250-smmu-500|qcom,adreno-smmu|arm,mmu-500", IommuFamily.ArmSmmu, ArmSmmuModel.Mmu500, SmmuVendor.QualcommAdreno)]
    [InlineData("qcom,msm8996-smmu-v2|qcom,smmu-v2", IommuFamily.ArmSmmu, ArmSmmuModel.QcomSmmuV2, SmmuVendor.Qualcomm)]
    [InlineData("nvidia,tegra194-smmu|nvidia,smmu-500", IommuFamily.ArmSmmu, ArmSmmuModel.Mmu500, SmmuVendor.Nvidia)]
    [InlineData("marvell,ap806-smmu-500|arm,mmu-500", IommuFamily.ArmSmmu, ArmSmmuModel.Mmu500, SmmuVendor.Marvell)]
    [InlineData("cavium,smmu-v2", IommuFamily.ArmSmmu, ArmSmmuModel.CaviumSmmuV2, SmmuVendor.Cavium)]
    [InlineData("ARM,MMU-500", IommuFamily.ArmSmmu, ArmSmmuModel.Mmu500, SmmuVendor.None)]
    [InlineData("arm,smmu-v3", IommuFamily.ArmSmmuV3, ArmSmmuModel.None, SmmuVendor.None)]
    [InlineData("apple,t8103-dart", IommuFamily.AppleDart, ArmSmmuModel.None, SmmuVendor.None)]
    [InlineData("apple,t6000-dart", IommuFamily.AppleDart, ArmSmmuModel.None, SmmuVendor.None)]
    [InlineData("rockchip,iommu", IommuFamily.RockchipIommu, ArmSmmuModel.None, SmmuVendor.None)]
    [InlineData("rockchip,rk3568-iommu", IommuFamily.RockchipIommu, ArmSmmuModel.None, SmmuVendor.None)]
    [InlineData("samsung,exynos-sysmmu", IommuFamily.ExynosSysMmu, ArmSmmuModel.None, SmmuVendor.None)]
    [InlineData("mediatek,mt8183-m4u", IommuFamily.MediaTekM4u, ArmSmmuModel.None, SmmuVendor.None)]
    [InlineData("mediatek,mt2701-m4u", IommuFamily.MediaTekM4u, ArmSmmuModel.None, SmmuVendor.None)]
    [InlineData("mediatek,mt8195-iommu-infra", IommuFamily.MediaTekM4u, ArmSmmuModel.None, SmmuVendor.None)]
    [InlineData("renesas,ipmmu-r8a7795", IommuFamily.RenesasIpmmu, ArmSmmuModel.None, SmmuVendor.None)]
    [InlineData("renesas,ipmmu-r8a779a0|renesas,rcar-gen4-ipmmu-vmsa", IommuFamily.RenesasIpmmu, ArmSmmuModel.None, SmmuVendor.None)]
    [InlineData("qcom,apq8064-iommu", IommuFamily.QualcommMsmIommu, ArmSmmuModel.None, SmmuVendor.None)]
    [InlineData("qcom,msm8916-iommu|qcom,msm-iommu-v1", IommuFamily.QualcommIommu, ArmSmmuModel.None, SmmuVendor.None)]
    [InlineData("ti,omap4-iommu", IommuFamily.TiOmapIommu, ArmSmmuModel.None, SmmuVendor.None)]
    [InlineData("ti,dra7-dsp-iommu", IommuFamily.TiOmapIommu, ArmSmmuModel.None, SmmuVendor.None)]
    [InlineData("nvidia,tegra124-mc", IommuFamily.TegraSmmu, ArmSmmuModel.None, SmmuVendor.None)]
    [InlineData("nvidia,tegra210-mc", IommuFamily.TegraSmmu, ArmSmmuModel.None, SmmuVendor.None)]
    [InlineData("nvidia,tegra20-mc-gart", IommuFamily.TegraGart, ArmSmmuModel.None, SmmuVendor.None)]
    [InlineData("allwinner,sun50i-h6-iommu", IommuFamily.AllwinnerIommu, ArmSmmuModel.None, SmmuVendor.None)]
    [InlineData("virtio,pci-iommu|pci1af4,1057", IommuFamily.VirtioIommu, ArmSmmuModel.None, SmmuVendor.None)]
    [InlineData("nvidia,tegra194-mc", IommuFamily.Unknown, ArmSmmuModel.None, SmmuVendor.None)]
    [InlineData("", IommuFamily.Unknown, ArmSmmuModel.None, SmmuVendor.None)]
    public void Classify_CompatibleList_FamilyModelVendor(string list, IommuFamily family, ArmSmmuModel model, SmmuVendor vendor)
    {
        string[] compatible = list.Length == 0 ? [] : list.Split('|');
        IommuIdentity identity = IommuIdentity.Classify(compatible);
        Assert.Equal((family, model, vendor), (identity.Family, identity.SmmuModel, identity.Vendor));
    }

    [Fact]
    public void Classify_VirtioTransports_PciAndMmio()
    {
        Assert.Equal(IommuTransport.Pci, IommuIdentity.Classify(["virtio,pci-iommu"]).Transport);
        IommuIdentity mmio = IommuIdentity.Classify(["virtio,mmio"]);
        Assert.Equal((IommuFamily.VirtioIommu, IommuTransport.VirtioMmio), (mmio.Family, mmio.Transport));
        Assert.Equal(IommuTransport.Platform, IommuIdentity.Classify(["arm,smmu-v3"]).Transport);
    }

    [Fact]
    public void Classify_FirstKnownStringDecides()
    {
        IommuIdentity identity = IommuIdentity.Classify(["acme,thing", "rockchip,iommu", "arm,mmu-500"]);
        Assert.Equal((IommuFamily.RockchipIommu, "rockchip,iommu"), (identity.Family, identity.MatchedCompatible));
    }

    [Theory]
    [InlineData(ArmSmmuModel.SmmuV1, 1)]
    [InlineData(ArmSmmuModel.Mmu401, 1)]
    [InlineData(ArmSmmuModel.Mmu500, 2)]
    public void ArmSmmuArchitecture_FollowsModel(ArmSmmuModel model, int expected)
    {
        Assert.Equal(expected, new IommuIdentity(IommuFamily.ArmSmmu, model, SmmuVendor.None, IommuTransport.Platform, null).ArmSmmuArchitecture);
    }

    [Fact]
    public void Resolve_TegraMcWithIommuCells_IsTegraSmmu()
    {
        var tree = new DeviceTree();
        tree.Root.Node("memory-controller@70019000").Str("compatible", "nvidia,tegra124-mc").Cells("#iommu-cells", 1).Cells("phandle", 3);
        tree.Root.Node("host1x@50000000").Cells("iommus", 3, 6);
        IommuTopology topology = IommuTopology.Resolve(tree);
        Assert.Equal(IommuFamily.TegraSmmu, Assert.Single(topology.Iommus).Family);
        Assert.True(topology.Masters[0].IsBehindIommu);
        Assert.Empty(topology.Problems);
    }

    [Fact]
    public void Resolve_VirtioMmioWithIommuCells_IsVirtioIommu()
    {
        var tree = new DeviceTree();
        tree.Root.Node("virtio_mmio@a003e00").Str("compatible", "virtio,mmio").Cells("#iommu-cells", 1).Cells("phandle", 4);
        tree.Root.Node("virtio_mmio@a003c00").Str("compatible", "virtio,mmio").Cells("iommus", 4, 0x1);
        IommuTopology topology = IommuTopology.Resolve(tree);
        IommuInstance viommu = Assert.Single(topology.Iommus);
        Assert.Equal((IommuFamily.VirtioIommu, IommuTransport.VirtioMmio), (viommu.Family, viommu.Identity.Transport));
        Assert.True(Assert.Single(topology.Masters).IsBehindIommu);
    }

    [Theory]
    [InlineData(IommuFamily.ArmSmmuV3, 1u, true)]
    [InlineData(IommuFamily.ArmSmmuV3, 2u, false)]
    [InlineData(IommuFamily.ArmSmmu, 2u, true)]
    [InlineData(IommuFamily.TegraGart, 0u, true)]
    [InlineData(IommuFamily.TegraGart, 1u, false)]
    public void IommuCellsRule_Allows(IommuFamily family, uint cells, bool allowed)
    {
        Assert.Equal(allowed, IommuCellsRule.For(family)!.Value.Allows(cells));
    }

    [Fact]
    public void IommuCellsRule_Unknown_HasNoRule()
    {
        Assert.Null(IommuCellsRule.For(IommuFamily.Unknown));
    }
}
