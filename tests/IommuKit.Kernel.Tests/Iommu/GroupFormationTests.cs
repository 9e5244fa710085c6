using IommuKit.Hardware.Pci;
using IommuKit.Kernel.Base;
using IommuKit.Kernel.Drivers.Mock;
using IommuKit.Kernel.Iommu;
using IommuKit.Kernel.Pci;

namespace IommuKit.Kernel.Tests.Iommu;

/// <summary>pci_device_group / generic_device_group on modelled topologies.</summary>
public sealed class GroupFormationTests
{
    private static string[] Members(PciTestMachine m, string bdf) =>
        [.. m.Dev(bdf).IommuGroup!.Devices.Select(d => d.Name[5..])];

    [Fact]
    public void PciDeviceGroup_AcsRootPorts_EveryFunctionIsolated()
    {
        PciTestMachine m = PciTestMachine.Boot(b =>
        {
            b.RootBus.AddHostBridge(0);
            b.RootBus.AddRootPort(1).Secondary.AddEndpoint(0);
            b.RootBus.AddRootPort(2).Secondary.AddEndpoint(0);
        });

        Assert.Equal([0, 1, 2, 3, 4], new[] { "00:00.0", "00:01.0", "00:02.0", "01:00.0", "02:00.0" }.Select(m.GroupId));
        Assert.Contains("pci 0000:01:00.0: Adding to iommu group 3", m.Log.Entries.Select(e => e.Text));
    }

    [Fact]
    public void PciDeviceGroup_RootPortWithoutAcs_EverythingBelowJoinsThePort()
    {
        PciTestMachine m = PciTestMachine.Boot(b =>
        {
            PciSwitchBuilder sw = b.RootBus.AddRootPort(1, acs: null).Secondary.AddSwitch(2);
            sw.DownstreamPorts[0].Secondary.AddEndpoint(0);
            sw.DownstreamPorts[1].Secondary.AddEndpoint(0);
            b.RootBus.AddRootPort(2).Secondary.AddEndpoint(0);
        });

        Assert.Equal(["00:01.0", "01:00.0", "02:00.0", "02:01.0", "03:00.0", "04:00.0"], Members(m, "03:00.0"));
        Assert.Equal(["05:00.0"], Members(m, "05:00.0"));
    }

    [Fact]
    public void PciDeviceGroup_SwitchWithAcs_EndpointsIsolated()
    {
        PciTestMachine m = PciTestMachine.Boot(b =>
        {
            PciSwitchBuilder sw = b.RootBus.AddRootPort(1).Secondary.AddSwitch(2);
            sw.DownstreamPorts[0].Secondary.AddEndpoint(0);
            sw.DownstreamPorts[1].Secondary.AddEndpoint(0);
        });

        Assert.Equal(["03:00.0"], Members(m, "03:00.0"));
        Assert.Equal(["04:00.0"], Members(m, "04:00.0"));
        Assert.Equal(6, m.Iommu.Groups.Count);
    }

    [Fact]
    public void PciDeviceGroup_DownstreamPortsWithoutAcs_EachEndpointJoinsItsPort()
    {
        // Mainline pci_device_group stops at the first bridge lacking ACS: each downstream port's
        // subtree is a group of its own; sibling ports are not merged.
        PciTestMachine m = PciTestMachine.Boot(b =>
        {
            PciSwitchBuilder sw = b.RootBus.AddRootPort(1).Secondary.AddSwitch(2, acs: null);
            sw.DownstreamPorts[0].Secondary.AddEndpoint(0);
            sw.DownstreamPorts[1].Secondary.AddEndpoint(0);
        });

        Assert.Equal(["02:00.0", "03:00.0"], Members(m, "03:00.0"));
        Assert.Equal(["02:01.0", "04:00.0"], Members(m, "04:00.0"));
    }

    [Fact]
    public void PciDeviceGroup_MultifunctionWithoutAcs_FunctionsShareAGroup()
    {
        PciTestMachine m = PciTestMachine.Boot(b =>
        {
            PciBusBuilder link = b.RootBus.AddRootPort(1).Secondary;
            link.AddEndpoint(0, 0);
            link.AddEndpoint(0, 1);
            link.AddEndpoint(0, 2);
        });

        Assert.Equal(["01:00.0", "01:00.1", "01:00.2"], Members(m, "01:00.2"));
    }

    [Fact]
    public void PciDeviceGroup_MultifunctionWithAcs_FunctionsIsolated()
    {
        var spec = new PciFunctionSpec { Acs = PciAcsFlags.Isolation };
        PciTestMachine m = PciTestMachine.Boot(b =>
        {
            PciBusBuilder link = b.RootBus.AddRootPort(1).Secondary;
            link.AddEndpoint(0, 0, spec);
            link.AddEndpoint(0, 1, spec);
        });

        Assert.Equal(["01:00.0"], Members(m, "01:00.0"));
        Assert.Equal(["01:00.1"], Members(m, "01:00.1"));
    }

    [Fact]
    public void PciDeviceGroup_MultifunctionMixedAcs_OnlyNonIsolatedFunctionsShare()
    {
        PciTestMachine m = PciTestMachine.Boot(b =>
        {
            PciBusBuilder link = b.RootBus.AddRootPort(1).Secondary;
            link.AddEndpoint(0, 0);
            link.AddEndpoint(0, 1, new PciFunctionSpec { Acs = PciAcsFlags.Isolation });
            link.AddEndpoint(0, 2);
        });

        Assert.Equal(["01:00.0", "01:00.2"], Members(m, "01:00.0"));
        Assert.Equal(["01:00.1"], Members(m, "01:00.1"));
    }

    [Fact]
    public void PciDeviceGroup_BehindPcieToPciBridge_DevicesShareTheBridgeGroup()
    {
        PciTestMachine m = PciTestMachine.Boot(b =>
        {
            PciBusBuilder pci = b.RootBus.AddRootPort(1).Secondary.AddPcieToPciBridge().Secondary;
            pci.AddEndpoint(3);
            pci.AddEndpoint(4);
            pci.AddPciBridge(5).Secondary.AddEndpoint(1);
        });

        Assert.Equal(["01:00.0", "02:03.0", "02:04.0", "02:05.0", "03:01.0"], Members(m, "03:01.0"));
        Assert.NotEqual(m.GroupId("00:01.0"), m.GroupId("02:03.0"));
    }

    [Fact]
    public void PciDeviceGroup_DmaAliasQuirk_AliasedFunctionsShareAGroupDespiteAcs()
    {
        PciTestMachine m = PciTestMachine.Boot(b =>
        {
            PciBusBuilder link = b.RootBus.AddRootPort(1).Secondary;
            link.AddEndpoint(0, 0, new PciFunctionSpec { VendorId = 0x1b4b, DeviceId = 0x9123, Acs = PciAcsFlags.Isolation });
            link.AddEndpoint(0, 1, new PciFunctionSpec { VendorId = 0x1b4b, DeviceId = 0x91a4, Acs = PciAcsFlags.Isolation });
        });

        Assert.Equal(["01:00.0", "01:00.1"], Members(m, "01:00.1"));
    }

    [Fact]
    public void PciDeviceGroup_AcsNotEnabledByKernel_DevicesJoinTheRootPort()
    {
        PciTestMachine m = PciTestMachine.Boot(
            b =>
            {
                PciSwitchBuilder sw = b.RootBus.AddRootPort(1).Secondary.AddSwitch(2);
                sw.DownstreamPorts[0].Secondary.AddEndpoint(0);
                sw.DownstreamPorts[1].Secondary.AddEndpoint(0);
            },
            pci: new PciOptions { AcsEnable = false });

        Assert.Single(m.Iommu.Groups);
    }

    [Fact]
    public void PciDeviceGroup_RcIntegratedMultifunctionOnRootBus_FunctionsShareAGroup()
    {
        PciTestMachine m = PciTestMachine.Boot(b =>
        {
            b.RootBus.AddEndpoint(4, 0);
            b.RootBus.AddEndpoint(4, 1);
            b.RootBus.AddEndpoint(5);
        });

        Assert.Equal(["00:04.0", "00:04.1"], Members(m, "00:04.1"));
        Assert.Equal(["00:05.0"], Members(m, "00:05.0"));
    }

    [Fact]
    public void PciDeviceGroup_NonPciDevice_IsEINVAL()
    {
        var s = new IommuSubsystem();

        Assert.Equal(Errno.EINVAL, s.PciDeviceGroup(new Device("soc:dma"), out IommuGroup? g));
        Assert.Null(g);
        Assert.Contains("WARNING: at drivers/iommu/iommu.c:pci_device_group", s.Log.ToString());
    }

    [Fact]
    public void GenericDeviceGroup_PlatformDevices_OneGroupEach()
    {
        var s = new IommuSubsystem();
        var mock = new MockIommuDriver();
        Assert.Equal(Errno.Ok, mock.Register(s));
        var a = new Device("a.dma");
        var b = new Device("b.dma");

        Assert.Equal(Errno.Ok, s.AddDevice(a));
        Assert.Equal(Errno.Ok, s.AddDevice(b));

        Assert.Equal(0, a.IommuGroup!.Id);
        Assert.Equal(1, b.IommuGroup!.Id);
        Assert.Contains("platform a.dma: Adding to iommu group 0", s.Log.Entries.Select(e => e.Text));
    }

    [Fact]
    public void GenericSingleDeviceGroup_AllDevicesOfTheInstanceShareOneGroup()
    {
        var s = new IommuSubsystem();
        var mock = new MockIommuDriver(new MockIommuOptions { Groups = MockGroupPolicy.Single });
        Assert.Equal(Errno.Ok, mock.Register(s));
        var a = new Device("a.dma");
        var b = new Device("b.dma");
        s.AddDevice(a);
        s.AddDevice(b);

        Assert.Same(a.IommuGroup, b.IommuGroup);
        Assert.Equal(2, a.IommuGroup!.Devices.Count);
    }

    [Fact]
    public void GroupIds_ReleasedGroup_IdIsReusedLowestFirst()
    {
        var s = new IommuSubsystem();
        new MockIommuDriver().Register(s);
        var devs = Enumerable.Range(0, 3).Select(i => new Device($"d{i}")).ToArray();
        foreach (Device d in devs)
        {
            s.AddDevice(d);
        }

        s.RemoveDevice(devs[1]);
        var late = new Device("late");
        s.AddDevice(late);

        Assert.Null(devs[1].IommuGroup);
        Assert.Equal(1, late.IommuGroup!.Id);
        Assert.Equal([0, 1, 2], s.Groups.Select(g => g.Id));
    }

    [Fact]
    public void GroupIds_TwoSubsystems_AreIndependent()
    {
        var s1 = new IommuSubsystem();
        var s2 = new IommuSubsystem();
        new MockIommuDriver().Register(s1);
        new MockIommuDriver().Register(s2);
        var a = new Device("a");
        var b = new Device("b");
        s1.AddDevice(a);
        s2.AddDevice(b);

        Assert.Equal(0, a.IommuGroup!.Id);
        Assert.Equal(0, b.IommuGroup!.Id);
    }
}
