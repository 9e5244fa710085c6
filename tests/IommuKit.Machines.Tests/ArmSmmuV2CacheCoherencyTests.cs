using IommuKit.Firmware.DeviceTree;
using IommuKit.Firmware.DeviceTree.Properties;
using IommuKit.Firmware.DeviceTree.Topology;
using IommuKit.Hardware.Smmu.V2;
using IommuKit.Kernel;
using IommuKit.Kernel.Base;
using IommuKit.Kernel.Drivers.ArmSmmu;
using IommuKit.Kernel.Iommu;
using TopologyIommu = IommuKit.Firmware.DeviceTree.Topology.IommuInstance;

namespace IommuKit.Machines.Tests;

/// <summary>
/// IOMMU_CAP_CACHE_COHERENCY through a probed arm-smmu, per historical kernel behaviour, and the
/// NXP LS1028A-RDB case that made VFIO refuse devices on v6.1.
/// </summary>
public sealed class ArmSmmuV2CacheCoherencyTests
{
    private const string Ls1028a61 = "dtb/linux-6.1/freescale/fsl-ls1028a-rdb.dtb";
    private const string Ls1028a612 = "dtb/linux-6.12/freescale/fsl-ls1028a-rdb.dtb";

    public static TheoryData<ArmSmmuCacheCoherencyProfile, bool, bool, bool> Cases()
    {
        var data = new TheoryData<ArmSmmuCacheCoherencyProfile, bool, bool, bool>();
        foreach (ArmSmmuCacheCoherencyProfile p in Enum.GetValues<ArmSmmuCacheCoherencyProfile>())
        {
            foreach (bool smmu in new[] { false, true })
            {
                foreach (bool device in new[] { false, true })
                {
                    bool expected = p switch
                    {
                        ArmSmmuCacheCoherencyProfile.AlwaysTrue => true,
                        ArmSmmuCacheCoherencyProfile.CoherentWalk => smmu,
                        _ => smmu || device,
                    };
                    data.Add(p, smmu, device, expected);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Capable_CacheCoherency_FollowsProfileSmmuAndDeviceCoherence(ArmSmmuCacheCoherencyProfile profile, bool smmuCoherent, bool deviceCoherent, bool expected)
    {
        var m = new ArmSmmuV2Machine(smmuCoherent, new ArmSmmuOptions { CacheCoherencyProfile = profile }).Boot();
        (Device dev, _) = m.AddMaster("dev.dma", 0x10, deviceCoherent);

        Assert.Equal(expected, m.Kernel.DeviceIommuCapable(dev, IommuCap.CacheCoherency));
        Assert.Equal(expected ? Errno.Ok : Errno.EINVAL, VfioRegisterDevice(m.Kernel, dev));
        Assert.True(m.Kernel.DeviceIommuCapable(dev, IommuCap.NoExec));
        Assert.True(m.Kernel.DeviceIommuCapable(dev, IommuCap.DeferredFlush));
        Assert.False(m.Kernel.DeviceIommuCapable(dev, IommuCap.EnforceCacheCoherency));
        Assert.False(m.Kernel.DeviceIommuCapable(dev, IommuCap.PreBootProtection));
        Assert.False(m.Kernel.DeviceIommuCapable(dev, IommuCap.DirtyTracking));

        // The model's CTTW strap is 1: a non-coherent firmware description overrides it.
        Assert.Equal(!smmuCoherent, m.Log.Contains("arm-smmu 5000000.iommu: \t(IDR0.CTTW overridden by FW configuration)"));
        Assert.Equal(smmuCoherent, (m.Driver.Features & ArmSmmuFeatures.CoherentWalk) != 0);
    }

    [Theory]
    [InlineData(Ls1028a61, ArmSmmuCacheCoherencyProfile.CoherentWalk, false)]
    [InlineData(Ls1028a61, ArmSmmuCacheCoherencyProfile.CoherentWalkOrDeviceCoherent, true)]
    [InlineData(Ls1028a612, ArmSmmuCacheCoherencyProfile.CoherentWalk, true)]
    [InlineData(Ls1028a612, ArmSmmuCacheCoherencyProfile.CoherentWalkOrDeviceCoherent, true)]
    public void Capable_Ls1028aRdbEnetc_MatchesTheV61Regression(string blob, ArmSmmuCacheCoherencyProfile profile, bool expected)
    {
        IommuTopology topology = IommuTopology.Resolve(DtbReader.Read(File.ReadAllBytes(Path.Combine(FirmwareDir(), blob))));
        TopologyIommu smmu = topology.FindIommu("/soc/iommu@5000000")!;
        Assert.Equal(DtReadResult.Ok, DtAddressing.ReadReg(smmu.Node, out DtRegEntry[] reg));
        PciHostBridge bridge = topology.FindPciHostBridge("/soc/pcie@1f0000000")!;
        PciEndpoint enetc = bridge.Endpoints.Single(e => e.Path == "/soc/pcie@1f0000000/ethernet@0,2");
        Assert.True(enetc.Resolution.Iommu.IsBehindIommu);

        // NXP's MMU-500 does not advertise CTTW although its integration is coherent.
        SmmuV2Features features = SmmuV2Features.Mmu500 with { Stage2ContextBanks = 8, CoherentTableWalk = false };
        var m = new ArmSmmuV2Machine(
            smmuCoherent: true,
            new ArmSmmuOptions { CacheCoherencyProfile = profile },
            features,
            fw => ArmSmmuFirmware.FromTopology(smmu, (ulong)reg[0].Address, reg[0].Size) with { BaseAddress = ArmSmmuV2Machine.SmmuBase });
        Assert.Equal(Errno.Ok, m.Driver.Probe(m.Kernel));
        Assert.Equal(smmu.DmaCoherent, (m.Driver.Features & ArmSmmuFeatures.CoherentWalk) != 0);
        Assert.Equal(smmu.DmaCoherent, m.Log.Contains("(IDR0.CTTW overridden by FW configuration)"));

        var dev = new Device("0000:00:00.2", "pci") { DmaCoherent = enetc.Resolution.Coherence.IsCoherent };
        Assert.Equal(Errno.Ok, m.Driver.ConfigureMaster(dev, enetc.Resolution.Iommu.StreamId));
        Assert.Equal(Errno.Ok, m.Kernel.AddDevice(dev));
        Assert.Equal((0x7c00u << 16) | 0x19u, Assert.Single(dev.Iommu!.Fwspec!.Ids));

        Assert.Equal(expected, m.Kernel.DeviceIommuCapable(dev, IommuCap.CacheCoherency));
        Assert.Equal(expected ? Errno.Ok : Errno.EINVAL, VfioRegisterDevice(m.Kernel, dev));
    }

    [Theory]
    [InlineData(5, 15, 0, ArmSmmuCacheCoherencyProfile.AlwaysTrue)]
    [InlineData(6, 0, 19, ArmSmmuCacheCoherencyProfile.AlwaysTrue)]
    [InlineData(6, 1, 0, ArmSmmuCacheCoherencyProfile.CoherentWalk)]
    [InlineData(6, 1, 6, ArmSmmuCacheCoherencyProfile.CoherentWalk)]
    [InlineData(6, 1, 7, ArmSmmuCacheCoherencyProfile.CoherentWalkOrDeviceCoherent)]
    [InlineData(6, 2, 0, ArmSmmuCacheCoherencyProfile.CoherentWalkOrDeviceCoherent)]
    [InlineData(6, 12, 0, ArmSmmuCacheCoherencyProfile.CoherentWalkOrDeviceCoherent)]
    public void ForKernel_Version_GivesHistoricalProfile(int major, int minor, int patch, ArmSmmuCacheCoherencyProfile expected) =>
        Assert.Equal(expected, ArmSmmuCacheCoherencyProfiles.ForKernel(major, minor, patch));

    /// <summary>__vfio_register_dev()'s check for a physical device: EINVAL without IOMMU_CAP_CACHE_COHERENCY.</summary>
    private static Errno VfioRegisterDevice(IommuSubsystem kernel, Device dev) =>
        kernel.DeviceIommuCapable(dev, IommuCap.CacheCoherency) ? Errno.Ok : Errno.EINVAL;

    private static string FirmwareDir()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "IommuKit.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return Path.Combine(dir ?? throw new InvalidOperationException("No IommuKit.sln above the test directory."), "tests", "fixtures", "firmware");
    }
}
