using IommuKit.Firmware.DeviceTree;
using IommuKit.Firmware.DeviceTree.Topology;
using IommuKit.Firmware.Tests.Dtb;

namespace IommuKit.Firmware.Tests.Topology;

/// <summary>The "facts worth knowing" of tests/fixtures/firmware/SOURCES.md, checked on the real blobs.</summary>
public sealed class FixtureTopologyTests
{
    private const string Ls1028a61 = "dtb/linux-6.1/freescale/fsl-ls1028a-rdb.dtb";
    private const string Ls1028a612 = "dtb/linux-6.12/freescale/fsl-ls1028a-rdb.dtb";

    [Theory]
    [MemberData(nameof(Fixtures.Blobs), MemberType = typeof(Fixtures))]
    public void Resolve_EveryFixture_ResolvesConsistently(string name)
    {
        IommuTopology topology = Load(name);
        foreach (IommuInstance iommu in topology.Iommus)
        {
            Assert.Same(iommu, topology.FindIommu(iommu.Path));
            Assert.NotNull(iommu.Node.FindProperty("#iommu-cells"));
        }

        foreach (DmaMaster master in topology.Masters)
        {
            Assert.Contains(master, topology.FindMasters(master.Node));
            foreach (IommuReference reference in master.References)
            {
                if (reference.Iommu is not null)
                {
                    Assert.Contains(master, reference.Iommu.Masters);
                    Assert.Equal((int)reference.Iommu.IommuCells, reference.Specifier.Count);
                }
            }
        }

        foreach (PciHostBridge bridge in topology.PciHostBridges)
        {
            for (int rid = 0; rid <= 0xFFFF; rid += 0x101)
            {
                PciRequesterResolution r = topology.ResolvePciRequester(bridge, new PciRequesterId((ushort)rid));
                Assert.Equal(r.Iommu.IsBehindIommu, r.Iommu.Iommu is { Usable: true } && r.Iommu.Status == IommuAttachmentStatus.Translated);
            }
        }

        Assert.All(topology.Problems, p => Assert.False(string.IsNullOrWhiteSpace(p.Message)));
    }

    [Theory]
    [InlineData(Ls1028a61, false)]
    [InlineData(Ls1028a612, true)]
    public void Resolve_Ls1028aRdb_SmmuCoherenceFollowsKernelVersion(string name, bool coherent)
    {
        IommuTopology topology = Load(name);
        IommuInstance smmu = Assert.Single(topology.Iommus);
        Assert.Equal("/soc/iommu@5000000", smmu.Path);
        Assert.Equal(new IommuIdentity(IommuFamily.ArmSmmu, ArmSmmuModel.Mmu500, SmmuVendor.None, IommuTransport.Platform, "arm,mmu-500"), smmu.Identity);
        Assert.Equal(1u, smmu.IommuCells);
        Assert.Equal(0x7c00u, smmu.StreamMatchMask);
        Assert.True(smmu.Enabled);
        Assert.Equal(coherent, smmu.DmaCoherent);
        Assert.Equal(coherent ? smmu.Node : null, smmu.Coherence.Source);
    }

    [Theory]
    [InlineData(Ls1028a61)]
    [InlineData(Ls1028a612)]
    public void Resolve_Ls1028aRdb_EcamHostBridgeMapsIntoSmmuAndIsCoherent(string name)
    {
        IommuTopology topology = Load(name);
        DmaMaster ecam = Assert.Single(topology.FindMasters("/soc/pcie@1f0000000"));
        Assert.Equal(DmaMasterKind.IommuMap, ecam.Kind);
        Assert.Equal(MappedIdSpace.PciRequesterId, ecam.IdSpace);
        Assert.True(ecam.Enabled);
        Assert.True(ecam.DmaCoherent);
        Assert.Same(ecam.Node, ecam.Coherence.Source);
        IdMapEntry entry = Assert.Single(ecam.IommuMap!.Entries);
        Assert.Equal((0u, 0x17u, 0xeu), (entry.IdBase, entry.OutputBase, entry.Length));
        Assert.Equal("/soc/iommu@5000000", entry.Target!.FullPath);
        Assert.False(ecam.IommuMap.HasMask);

        PciHostBridge bridge = topology.FindPciHostBridge("/soc/pcie@1f0000000")!;
        Assert.Same(ecam, bridge.Master);
        PciEndpoint enetc = bridge.Endpoints.Single(e => e.Path == "/soc/pcie@1f0000000/ethernet@0,2");
        Assert.Equal(PciRequesterId.From(0, 0, 2), enetc.Rid);
        Assert.Equal(IommuAttachmentStatus.Translated, enetc.Resolution.Iommu.Status);
        Assert.Equal(0x19u, enetc.Resolution.Iommu.StreamId);
        Assert.Equal(MsiResolutionStatus.MsiMap, enetc.Resolution.Msi.Status);
        Assert.Equal(0x19u, enetc.Resolution.Msi.DeviceId);
        Assert.True(enetc.Resolution.Coherence.IsCoherent);

        // RCEC at 00:1f.0 is outside rid-base 0 + length 14: not behind the SMMU, MSIs via msi-parent.
        PciEndpoint rcec = bridge.Endpoints.Single(e => e.Path == "/soc/pcie@1f0000000/rcec@1f,0");
        Assert.Equal(IommuAttachmentStatus.NoMatchingEntry, rcec.Resolution.Iommu.Status);
        Assert.Equal(MsiResolutionStatus.MsiParent, rcec.Resolution.Msi.Status);
        Assert.Equal(0xf8u, rcec.Resolution.Msi.DeviceId);
    }

    [Fact]
    public void Resolve_Ls1028aRdb61_PlaceholderControllersAreDisabledAndCoherent()
    {
        IommuTopology topology = Load(Ls1028a61);
        DmaMaster pcie = Assert.Single(topology.FindMasters("/soc/pcie@3400000"));
        Assert.False(pcie.Enabled);
        Assert.True(pcie.DmaCoherent);
        Assert.Equal((0u, 0u, 1u), (pcie.IommuMap!.Entries[0].IdBase, pcie.IommuMap.Entries[0].OutputBase, pcie.IommuMap.Entries[0].Length));
        Assert.Empty(topology.Problems);
    }

    [Fact]
    public void Resolve_JunoR2_PcieMaskZeroSendsEveryRidToOneStream()
    {
        IommuTopology topology = Load("dtb/linux-6.1/arm/juno-r2.dtb");
        PciHostBridge pcie = topology.FindPciHostBridge("/pcie@40000000")!;
        Assert.True(pcie.IommuMap!.HasMask);
        Assert.Equal(0u, pcie.IommuMap.Mask);
        foreach (ushort rid in new ushort[] { 0x0000, 0x0100, 0x0208, 0xffff })
        {
            PciRequesterResolution r = topology.ResolvePciRequester(pcie, new PciRequesterId(rid));
            Assert.Equal(IommuAttachmentStatus.Translated, r.Iommu.Status);
            Assert.Equal("/iommu@2b500000", r.Iommu.Iommu!.Path);
            Assert.Equal(0u, r.Iommu.StreamId);
        }

        IommuInstance smmu = topology.FindIommu("/iommu@2b500000")!;
        Assert.Equal(ArmSmmuModel.Mmu401, smmu.Identity.SmmuModel);
        Assert.Equal(1, smmu.Identity.ArmSmmuArchitecture);
    }

    [Fact]
    public void Resolve_JunoR2_DmaControllerHasNineEntriesOnOneSmmu()
    {
        IommuTopology topology = Load("dtb/linux-6.1/arm/juno-r2.dtb");
        DmaMaster dma = Assert.Single(topology.FindMasters("/dma-controller@7ff00000"));
        Assert.Equal(DmaMasterKind.Iommus, dma.Kind);
        Assert.Equal(9, dma.References.Count);
        Assert.All(dma.References, r => Assert.Equal("/iommu@7fb00000", r.Iommu!.Path));
        Assert.Equal(Enumerable.Range(0, 9).Select(i => (uint)i), dma.References.Select(r => Assert.Single(r.Specifier)));
        Assert.True(dma.IsBehindIommu);
        Assert.Contains(dma, topology.FindIommu("/iommu@7fb00000")!.Masters);
    }

    [Fact]
    public void Resolve_Qrb5165_SmmuUsesTwoCellSpecifiers()
    {
        IommuTopology topology = Load("dtb/linux-6.1/qcom/qrb5165-rb5.dtb");
        IommuInstance apps = topology.FindIommu("/soc@0/iommu@15000000")!;
        Assert.Equal(2u, apps.IommuCells);
        Assert.Equal(SmmuVendor.Qualcomm, apps.Identity.Vendor);
        Assert.Equal(ArmSmmuModel.Mmu500, apps.Identity.SmmuModel);
        Assert.Equal(SmmuVendor.QualcommAdreno, topology.FindIommu("/soc@0/iommu@3da0000")!.Identity.Vendor);

        DmaMaster qup = Assert.Single(topology.FindMasters("/soc@0/geniqup@8c0000"));
        IommuReference reference = Assert.Single(qup.References);
        Assert.Equal([0x63u, 0x0u], reference.Specifier);
        Assert.True(qup.IsBehindIommu);
        Assert.DoesNotContain(topology.Problems, p => p.Severity == ProblemSeverity.Error);
    }

    [Fact]
    public void Resolve_Rk3399_RockchipIommusHaveZeroCells()
    {
        IommuTopology topology = Load("dtb/linux-6.1/rockchip/rk3399-rockpro64.dtb");
        Assert.Equal(7, topology.Iommus.Count);
        Assert.All(topology.Iommus, i => Assert.Equal((IommuFamily.RockchipIommu, 0u), (i.Family, i.IommuCells)));
        DmaMaster vop = Assert.Single(topology.FindMasters("/vop@ff8f0000"));
        IommuReference reference = Assert.Single(vop.References);
        Assert.Empty(reference.Specifier);
        Assert.Equal("/iommu@ff8f3f00", reference.Iommu!.Path);
        Assert.True(vop.IsBehindIommu);
    }

    [Fact]
    public void Resolve_ZynqMpUltra96_DisabledSmmuLeavesMastersOutside()
    {
        IommuTopology topology = Load("dtb/linux-6.1/xilinx/avnet-ultra96-rev1.dtb");
        IommuInstance smmu = Assert.Single(topology.Iommus);
        Assert.False(smmu.Enabled);
        Assert.All(topology.Masters, m => Assert.Equal(IommuAttachmentStatus.IommuDisabled, m.Status));
        DmaMaster mmc = Assert.Single(topology.FindMasters("/axi/mmc@ff160000"));
        Assert.True(mmc.Enabled);
        Assert.False(mmc.IsBehindIommu);
        Assert.Contains(topology.Problems, p => p.Code == TopologyProblemCode.DisabledIommuReference && p.Path == "/axi/mmc@ff160000");
        Assert.DoesNotContain(topology.Problems, p => p.Code == TopologyProblemCode.DisabledIommuReference && topology.FindMasters(p.Path).Any(m => !m.Enabled));
    }

    [Fact]
    public void Resolve_J721e_SmmuV3CoherentOnlyByInheritance()
    {
        IommuTopology topology = Load("dtb/linux-6.1/ti/k3-j721e-common-proc-board.dtb");
        IommuInstance smmu = Assert.Single(topology.Iommus);
        Assert.Equal(IommuFamily.ArmSmmuV3, smmu.Family);
        Assert.Null(smmu.Node.FindProperty("dma-coherent"));
        Assert.True(smmu.DmaCoherent);
        Assert.Equal("/bus@100000/bus@30000000", smmu.Coherence.Source!.FullPath);
        Assert.False(DmaCoherence.Resolve(smmu.Node, defaultCoherent: false).IsArchitectureDefault);
    }

    [Fact]
    public void Resolve_Tegra20_GartFoundByIommuCells()
    {
        IommuTopology topology = Load("dtb/built-from-linux-6.1-source/arm/tegra20-paz00.dtb");
        IommuInstance gart = Assert.Single(topology.Iommus);
        Assert.Equal("/memory-controller@7000f000", gart.Path);
        Assert.Equal((IommuFamily.TegraGart, 0u), (gart.Family, gart.IommuCells));
    }

    [Fact]
    public void Resolve_Tegra194_SmmusAreNvidiaMmu500AndMemoryControllerIsNot()
    {
        IommuTopology topology = Load("dtb/built-from-linux-6.1-source/arm64/nvidia/tegra194-p2972-0000.dtb");
        Assert.Equal(2, topology.Iommus.Count);
        Assert.All(topology.Iommus, i => Assert.Equal((IommuFamily.ArmSmmu, ArmSmmuModel.Mmu500, SmmuVendor.Nvidia), (i.Family, i.Identity.SmmuModel, i.Identity.Vendor)));
        Assert.DoesNotContain(topology.Iommus, i => i.Compatible.Contains("nvidia,tegra194-mc"));
        PciHostBridge pcie = topology.FindPciHostBridge("/pcie@14100000")!;
        Assert.Equal(0u, pcie.IommuMap!.Mask);
        Assert.Equal(0x57u, topology.ResolvePciRequester(pcie, PciRequesterId.From(1, 0, 0)).Iommu.StreamId);
    }

    [Fact]
    public void Resolve_AppleT8103_DartPerPort()
    {
        IommuTopology topology = Load("dtb/built-from-linux-6.1-source/arm64/apple/t8103-j274.dtb");
        Assert.All(topology.Iommus, i => Assert.Equal(IommuFamily.AppleDart, i.Family));
        PciHostBridge pcie = Assert.Single(topology.PciHostBridges);
        Assert.Equal(0xff00u, pcie.IommuMap!.Mask);
        PciRequesterResolution wifi = topology.ResolvePciRequester(pcie, PciRequesterId.From(1, 0, 0));
        Assert.Equal(("/soc/iommu@681008000", 1u), (wifi.Iommu.Iommu!.Path, wifi.Iommu.StreamId));
        PciRequesterResolution eth = topology.ResolvePciRequester(pcie, PciRequesterId.From(3, 0, 1));
        Assert.Equal(("/soc/iommu@683008000", 1u), (eth.Iommu.Iommu!.Path, eth.Iommu.StreamId));
        Assert.Equal(IommuAttachmentStatus.NoMatchingEntry, topology.ResolvePciRequester(pcie, PciRequesterId.From(0, 0, 0)).Iommu.Status);
    }

    [Fact]
    public void Resolve_FvpBaseRevc_SmmuV3WithIdentityMapAndMsiMap()
    {
        IommuTopology topology = Load("dtb/linux-6.1/arm/fvp-base-revc.dtb");
        IommuInstance smmu = Assert.Single(topology.Iommus);
        Assert.Equal(IommuFamily.ArmSmmuV3, smmu.Family);
        PciRequesterResolution r = topology.ResolvePciRequester(Assert.Single(topology.PciHostBridges), PciRequesterId.From(2, 3, 1));
        Assert.Equal((IommuAttachmentStatus.Translated, 0x219u), (r.Iommu.Status, r.Iommu.StreamId));
        Assert.Equal((MsiResolutionStatus.MsiMap, 0x219u), (r.Msi.Status, r.Msi.DeviceId));
    }

    [Theory]
    [InlineData("qemu/virt-smmuv3.dtb")]
    [InlineData("qemu/virt-gicv3-smmuv3.dtb")]
    public void Resolve_QemuVirtSmmuV3_IdentityIommuMap(string name)
    {
        IommuTopology topology = Load(name);
        IommuInstance smmu = Assert.Single(topology.Iommus);
        Assert.Equal(IommuFamily.ArmSmmuV3, smmu.Family);
        Assert.True(smmu.DmaCoherent);
        DmaMaster pcie = Assert.Single(topology.Masters);
        IdMapEntry entry = Assert.Single(pcie.IommuMap!.Entries);
        Assert.Equal((0u, 0u, 0x10000u), (entry.IdBase, entry.OutputBase, entry.Length));
        PciRequesterResolution r = topology.ResolvePciRequester(topology.FindPciHostBridge(pcie.Node)!, PciRequesterId.From(0, 3, 0));
        Assert.Equal((IommuAttachmentStatus.Translated, 0x18u), (r.Iommu.Status, r.Iommu.StreamId));
        Assert.Empty(topology.Problems);
    }

    [Fact]
    public void Resolve_QemuVirtViommu_CoherentThroughParentAndSkipsItsOwnRid()
    {
        IommuTopology topology = Load("qemu/virt-viommu.dtb");
        IommuInstance viommu = Assert.Single(topology.Iommus);
        Assert.Equal(new IommuIdentity(IommuFamily.VirtioIommu, ArmSmmuModel.None, SmmuVendor.None, IommuTransport.Pci, "virtio,pci-iommu"), viommu.Identity);
        Assert.Null(viommu.Node.FindProperty("dma-coherent"));
        Assert.True(viommu.DmaCoherent);
        Assert.Equal("/pcie@10000000", viommu.Coherence.Source!.FullPath);

        PciHostBridge pcie = Assert.Single(topology.PciHostBridges);
        PciEndpoint self = Assert.Single(pcie.Endpoints);
        Assert.Equal(PciRequesterId.From(0, 2, 0), self.Rid);
        Assert.Equal(IommuAttachmentStatus.NoMatchingEntry, self.Resolution.Iommu.Status);
        Assert.Equal(0x11u, topology.ResolvePciRequester(pcie, new PciRequesterId(0x11)).Iommu.StreamId);
        Assert.Equal(0x0fu, topology.ResolvePciRequester(pcie, new PciRequesterId(0x0f)).Iommu.StreamId);
    }

    [Fact]
    public void Resolve_QemuRootBusBypass_NoIommuMapMeansNotBehindIommu()
    {
        IommuTopology topology = Load("qemu/virt-smmuv3-rootbus-bypass-pxb.dtb");
        Assert.Empty(topology.Masters);
        PciRequesterResolution r = topology.ResolvePciRequester(Assert.Single(topology.PciHostBridges), PciRequesterId.From(0, 1, 0));
        Assert.Equal(IommuAttachmentStatus.NoIommu, r.Iommu.Status);
        Assert.Null(r.Iommu.Iommu);
    }

    [Theory]
    [InlineData("dtb/linux-6.1/freescale/fsl-ls1088a-rdb.dtb")]
    [InlineData("dtb/linux-6.12/freescale/fsl-ls1088a-rdb.dtb")]
    public void Resolve_Ls1088aRdb_FslMcZeroLengthEntryReported(string name)
    {
        IommuTopology topology = Load(name);
        DmaMaster mc = Assert.Single(topology.FindMasters("/soc/fsl-mc@80c000000"));
        Assert.Equal(MappedIdSpace.FslMcIcid, mc.IdSpace);
        TopologyProblem problem = Assert.Single(topology.Problems);
        Assert.Equal((TopologyProblemCode.ZeroLengthMapEntry, ProblemSeverity.Warning, mc.Path), (problem.Code, problem.Severity, problem.Path));
        Assert.Equal(IommuAttachmentStatus.NoMatchingEntry, topology.ResolveId(mc, 0).Status);
    }

    private static IommuTopology Load(string name) => IommuTopology.Resolve(DtbReader.Read(Fixtures.ReadBlob(name)));
}
