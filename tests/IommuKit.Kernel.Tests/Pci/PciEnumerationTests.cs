using IommuKit.Hardware.Memory;
using IommuKit.Hardware.Pci;
using IommuKit.Kernel.Iommu;
using IommuKit.Kernel.Pci;
using IommuKit.Kernel.Printk;

namespace IommuKit.Kernel.Tests.Pci;

public sealed class PciEnumerationTests
{
    private const ulong EcamBase = 0x40_1000_0000;

    private static PciHostBridge Probe(Action<PciTopologyBuilder> topology, PciOptions? options = null, bool assign = true, KernelLog? log = null)
    {
        var b = new PciTopologyBuilder();
        topology(b);
        PciRootComplex root = b.Build(assign);
        var mem = new PhysicalMemory();
        mem.AddMmio(EcamBase, root.EcamSize, root.Ecam);
        return PciHostBridge.Probe(mem, EcamBase, 0, 0, 255, options ?? new PciOptions { ExternalFacingPorts = root.ExternalFacingPortIds }, log ?? new KernelLog());
    }

    private static void SwitchWithMultifunction(PciTopologyBuilder b)
    {
        b.RootBus.AddHostBridge(0);
        PciSwitchBuilder sw = b.RootBus.AddRootPort(1).Secondary.AddSwitch(2);
        sw.DownstreamPorts[0].Secondary.AddEndpoint(0);
        sw.DownstreamPorts[1].Secondary.AddEndpoint(0, 0);
        sw.DownstreamPorts[1].Secondary.AddEndpoint(0, 3);
        b.RootBus.AddRootPort(2).Secondary.AddPcieToPciBridge().Secondary.AddEndpoint(4);
    }

    [Fact]
    public void Probe_SwitchTopology_FindsDevicesInScanOrder()
    {
        PciHostBridge host = Probe(SwitchWithMultifunction);

        Assert.Equal(
            ["0000:00:00.0", "0000:00:01.0", "0000:00:02.0", "0000:01:00.0", "0000:02:00.0", "0000:02:01.0", "0000:03:00.0", "0000:04:00.0", "0000:04:00.3", "0000:05:00.0", "0000:06:04.0"],
            host.Devices.Select(d => d.Name));
    }

    [Fact]
    public void Probe_ReadsPcieTypesAndHeaderLayouts()
    {
        PciHostBridge host = Probe(SwitchWithMultifunction);

        PciDevice hostBridge = host.GetDevice("0000:00:00.0")!;
        Assert.False(hostBridge.IsPcie);
        Assert.Equal(0x060000u, hostBridge.Class);
        Assert.Equal(PciExpType.RootPort, host.GetDevice("0000:00:01.0")!.PcieType);
        Assert.Equal(PciExpType.Upstream, host.GetDevice("0000:01:00.0")!.PcieType);
        Assert.Equal(PciExpType.Downstream, host.GetDevice("0000:02:01.0")!.PcieType);
        Assert.Equal(PciExpType.Endpoint, host.GetDevice("0000:03:00.0")!.PcieType);
        Assert.Equal(PciExpType.PciBridge, host.GetDevice("0000:05:00.0")!.PcieType);
        PciDevice conventional = host.GetDevice("0000:06:04.0")!;
        Assert.False(conventional.IsPcie);
        Assert.Equal(256, conventional.CfgSize);
        Assert.True(host.GetDevice("0000:00:01.0")!.IsBridge);
        Assert.Equal(4096, host.GetDevice("0000:00:01.0")!.CfgSize);
    }

    [Fact]
    public void Probe_MultifunctionSlot_MarksEveryFunctionMultifunction()
    {
        PciHostBridge host = Probe(SwitchWithMultifunction);

        Assert.True(host.GetDevice("0000:04:00.0")!.IsMultifunction);
        Assert.True(host.GetDevice("0000:04:00.3")!.IsMultifunction);
        Assert.False(host.GetDevice("0000:03:00.0")!.IsMultifunction);
    }

    [Fact]
    public void Probe_FunctionBeyondZeroWithoutHeaderBit_IsStillMultifunction()
    {
        // pci_scan_slot sets multifunction on any function > 0 it finds.
        PciHostBridge host = Probe(b =>
        {
            b.RootBus.AddEndpoint(3, 0, new PciFunctionSpec { MultiFunction = true });
            b.RootBus.AddEndpoint(3, 1, new PciFunctionSpec { MultiFunction = false });
        });

        Assert.True(host.GetDevice("0000:00:03.1")!.IsMultifunction);
    }

    [Fact]
    public void Probe_UnassignedBridges_KernelAssignsBusNumbersDepthFirst()
    {
        PciHostBridge host = Probe(SwitchWithMultifunction, assign: false);

        Assert.Equal(
            [("0000:00:01.0", 1, 4), ("0000:00:02.0", 5, 6), ("0000:01:00.0", 2, 4), ("0000:02:00.0", 3, 3), ("0000:02:01.0", 4, 4), ("0000:05:00.0", 6, 6)],
            host.Devices.Where(d => d.IsBridge).Select(d => (d.Name, d.Subordinate!.Number, d.Subordinate.BusnEnd)));
        Assert.Equal(0x0403, host.GetDevice("0000:04:00.3")!.Rid);
        Assert.Equal(0x0605u, (host.GetDevice("0000:00:02.0")!.ReadConfig32(PciRegs.PCI_PRIMARY_BUS) >> 8) & 0xFFFF);
    }

    [Fact]
    public void Probe_LogsEachDeviceLikeLinux()
    {
        var log = new KernelLog();
        Probe(SwitchWithMultifunction, log: log);

        Assert.Contains("pci 0000:00:01.0: [1b36:000c] type 01 class 0x060400 PCIe Root Port", log.Entries.Select(e => e.Text));
        Assert.Contains("pci 0000:06:04.0: [1b36:0010] type 00 class 0x010802 conventional PCI endpoint", log.Entries.Select(e => e.Text));
        Assert.Contains("pci 0000:05:00.0: [1b36:000e] type 01 class 0x060400 PCIe to PCI/PCI-X bridge", log.Entries.Select(e => e.Text));
    }

    [Fact]
    public void Probe_BelowExternalFacingPort_DevicesAreUntrusted()
    {
        PciHostBridge host = Probe(b =>
        {
            b.RootBus.AddRootPort(1).Secondary.AddEndpoint(0);
            PciSwitchBuilder sw = b.RootBus.AddRootPort(2, externalFacing: true).Secondary.AddSwitch(1);
            sw.DownstreamPorts[0].Secondary.AddEndpoint(0);
        });

        Assert.False(host.GetDevice("0000:01:00.0")!.Untrusted);
        PciDevice port = host.GetDevice("0000:00:02.0")!;
        Assert.True(port.ExternalFacing);
        Assert.False(port.Untrusted);
        Assert.True(host.GetDevice("0000:02:00.0")!.Untrusted);
        Assert.True(host.GetDevice("0000:03:00.0")!.Untrusted);
        Assert.True(host.GetDevice("0000:04:00.0")!.Untrusted);
    }

    [Fact]
    public void EnableAcs_WithIommu_EnablesAdvertisedIsolationBits()
    {
        PciHostBridge host = Probe(b => b.RootBus.AddRootPort(1, acs: PciAcsFlags.All));
        PciDevice rp = host.GetDevice("0000:00:01.0")!;

        Assert.NotEqual(0, rp.AcsCap);
        Assert.Equal((ushort)(PciAcs.SV | PciAcs.RR | PciAcs.CR | PciAcs.UF), rp.ReadConfig16(rp.AcsCap + PciRegs.PCI_ACS_CTRL));
    }

    [Fact]
    public void EnableAcs_ExternalFacingPort_AlsoEnablesTranslationBlocking()
    {
        PciHostBridge host = Probe(b => b.RootBus.AddRootPort(1, acs: PciAcsFlags.All, externalFacing: true));
        PciDevice rp = host.GetDevice("0000:00:01.0")!;

        Assert.Equal((ushort)(PciAcs.SV | PciAcs.TB | PciAcs.RR | PciAcs.CR | PciAcs.UF), rp.ReadConfig16(rp.AcsCap + PciRegs.PCI_ACS_CTRL));
    }

    [Fact]
    public void EnableAcs_OptionOff_KeepsFirmwareSetting()
    {
        PciHostBridge host = Probe(
            b => b.RootBus.AddRootPort(1, spec: new PciFunctionSpec { DeviceId = 0x000c, AcsEnabledAtReset = PciAcsFlags.SV }, acs: PciAcsFlags.Isolation),
            new PciOptions { AcsEnable = false });
        PciDevice rp = host.GetDevice("0000:00:01.0")!;

        Assert.Equal((ushort)PciAcs.SV, rp.ReadConfig16(rp.AcsCap + PciRegs.PCI_ACS_CTRL));
        Assert.False(rp.AcsEnabled(PciAcs.SV | PciAcs.RR));
        Assert.True(rp.AcsEnabled(PciAcs.SV));
    }

    [Fact]
    public void AcsEnabled_ConventionalAndPcieToPciBridges_NeverIsolate()
    {
        PciHostBridge host = Probe(SwitchWithMultifunction);

        Assert.False(host.GetDevice("0000:06:04.0")!.AcsEnabled(PciAcs.SV));
        Assert.False(host.GetDevice("0000:05:00.0")!.AcsEnabled(PciAcs.SV));
        Assert.False(host.GetDevice("0000:00:00.0")!.AcsEnabled(PciAcs.None));
    }

    [Fact]
    public void AcsEnabled_SingleFunctionEndpoint_IsIsolatedWithoutCapability()
    {
        PciHostBridge host = Probe(SwitchWithMultifunction);

        Assert.True(host.GetDevice("0000:03:00.0")!.AcsEnabled(IommuSubsystem.ReqAcsFlags));
        Assert.True(host.GetDevice("0000:01:00.0")!.AcsEnabled(IommuSubsystem.ReqAcsFlags));
    }

    [Fact]
    public void AcsEnabled_MultifunctionEndpointWithoutCapability_IsNotIsolated()
    {
        PciHostBridge host = Probe(SwitchWithMultifunction);

        Assert.False(host.GetDevice("0000:04:00.0")!.AcsEnabled(IommuSubsystem.ReqAcsFlags));
    }

    [Fact]
    public void AcsEnabled_RootPortWithoutAcsCapability_IsNotIsolated()
    {
        PciHostBridge host = Probe(b => b.RootBus.AddRootPort(1, acs: null));

        Assert.False(host.GetDevice("0000:00:01.0")!.AcsEnabled(PciAcs.SV));
    }

    [Fact]
    public void AcsEnabled_UnimplementedFeatures_CountAsEnabledExceptEgressControl()
    {
        // pci_acs_flags_enabled: features missing from the capability are hard-wired on, except EC.
        PciHostBridge host = Probe(b => b.RootBus.AddRootPort(1, acs: PciAcsFlags.SV));
        PciDevice rp = host.GetDevice("0000:00:01.0")!;

        Assert.True(rp.AcsEnabled(IommuSubsystem.ReqAcsFlags));
        Assert.False(rp.AcsEnabled(PciAcs.SV | PciAcs.EC));
    }

    [Fact]
    public void AcsPathEnabled_BreaksAtFirstBridgeWithoutAcs()
    {
        PciHostBridge host = Probe(b =>
        {
            PciSwitchBuilder sw = b.RootBus.AddRootPort(1, acs: null).Secondary.AddSwitch(1, acs: PciAcsFlags.Isolation);
            sw.DownstreamPorts[0].Secondary.AddEndpoint(0);
        });
        PciDevice dsp = host.GetDevice("0000:02:00.0")!;
        PciDevice usp = host.GetDevice("0000:01:00.0")!;

        Assert.True(PciDevice.AcsPathEnabled(dsp, usp, IommuSubsystem.ReqAcsFlags));
        Assert.False(PciDevice.AcsPathEnabled(dsp, null, IommuSubsystem.ReqAcsFlags));
    }

    [Fact]
    public void ForEachDmaAlias_BehindPcieToPciBridge_EndsAtSecondaryBusDevfn0()
    {
        PciHostBridge host = Probe(b => b.RootBus.AddRootPort(1).Secondary.AddPcieToPciBridge().Secondary.AddPciBridge(2).Secondary.AddEndpoint(5));
        PciDevice dev = host.GetDevice("0000:03:05.0")!;
        var aliases = new List<(string, ushort)>();

        Assert.Equal(0, dev.ForEachDmaAlias((d, alias) =>
        {
            aliases.Add((d.Name, alias));
            return 0;
        }));

        Assert.Equal([("0000:03:05.0", 0x0328), ("0000:02:02.0", 0x0210), ("0000:01:00.0", 0x0200)], aliases);
    }

    [Fact]
    public void ForEachDmaAlias_NonZeroReturn_StopsTheWalk()
    {
        PciHostBridge host = Probe(b => b.RootBus.AddRootPort(1).Secondary.AddPcieToPciBridge().Secondary.AddEndpoint(5));
        int calls = 0;

        Assert.Equal(7, host.GetDevice("0000:02:05.0")!.ForEachDmaAlias((_, _) => ++calls == 1 ? 7 : 0));
        Assert.Equal(1, calls);
    }

    [Fact]
    public void DmaAliasQuirk_MarvellFunction1Alias_IsRecordedAndLogged()
    {
        var log = new KernelLog();
        PciHostBridge host = Probe(
            b =>
            {
                PciBusBuilder link = b.RootBus.AddRootPort(1).Secondary;
                link.AddEndpoint(0, 0, new PciFunctionSpec { VendorId = 0x1b4b, DeviceId = 0x9123, DmaSourceFunction = 1 });
                link.AddEndpoint(0, 1, new PciFunctionSpec { VendorId = 0x1b4b, DeviceId = 0x91a4 });
            },
            log: log);
        PciDevice f0 = host.GetDevice("0000:01:00.0")!;
        PciDevice f1 = host.GetDevice("0000:01:00.1")!;

        Assert.Equal([1], f0.DmaAliases);
        Assert.True(PciDevice.DevsAreDmaAliases(f1, f0));
        Assert.Contains("pci 0000:01:00.0: Enabling fixed DMA alias to 00.1", log.Entries.Select(e => e.Text));
        var seen = new List<ushort>();
        f0.ForEachDmaAlias((_, a) =>
        {
            seen.Add(a);
            return 0;
        });
        Assert.Equal(new ushort[] { 0x0100, 0x0101 }, seen);
    }

    [Fact]
    public void KernelAlias_MatchesHardwareRequesterId()
    {
        var b = new PciTopologyBuilder();
        b.RootBus.AddRootPort(1).Secondary.AddPcieToPciBridge().Secondary.AddEndpoint(7);
        PciRootComplex root = b.Build();
        var mem = new PhysicalMemory();
        mem.AddMmio(EcamBase, root.EcamSize, root.Ecam);
        PciHostBridge host = PciHostBridge.Probe(mem, EcamBase, 0, 0, 255, new PciOptions(), new KernelLog());
        ushort last = 0;
        host.GetDevice("0000:02:07.0")!.ForEachDmaAlias((_, a) =>
        {
            last = a;
            return 0;
        });

        Assert.Equal(root.Find(2, 7, 0)!.DmaRequesterId, last);
    }

    [Fact]
    public void FindCapability_Absent_ReturnsZero()
    {
        PciHostBridge host = Probe(SwitchWithMultifunction);

        Assert.Equal(0, host.GetDevice("0000:00:00.0")!.FindCapability(PciRegs.PCI_CAP_ID_EXP));
        Assert.Equal(0, host.GetDevice("0000:03:00.0")!.FindExtCapability(PciRegs.PCI_EXT_CAP_ID_ACS));
        Assert.Equal(0x40, host.GetDevice("0000:03:00.0")!.FindCapability(PciRegs.PCI_CAP_ID_EXP));
    }

    [Fact]
    public void UpstreamBridge_OnRootBusIsNull_BelowAPortIsThePort()
    {
        PciHostBridge host = Probe(SwitchWithMultifunction);

        Assert.Null(host.GetDevice("0000:00:01.0")!.UpstreamBridge);
        Assert.Equal("0000:02:00.0", host.GetDevice("0000:03:00.0")!.UpstreamBridge!.Name);
    }
}
