using IommuKit.Hardware.Memory;
using IommuKit.Hardware.Pci;
using IommuKit.Kernel.Drivers.Mock;
using IommuKit.Kernel.Iommu;
using IommuKit.Kernel.Pci;
using IommuKit.Kernel.Printk;

namespace IommuKit.Kernel.Tests;

/// <summary>A small machine for tests: a PCI topology behind ECAM, the kernel's view of it, an IOMMU core and a mock driver.</summary>
internal sealed class PciTestMachine
{
    public const ulong EcamBase = 0x40_1000_0000;

    private PciTestMachine(PciRootComplex root, PhysicalMemory memory, PciHostBridge host, IommuSubsystem iommu, MockIommuDriver driver)
    {
        Root = root;
        Memory = memory;
        Host = host;
        Iommu = iommu;
        Driver = driver;
    }

    public PciRootComplex Root { get; }

    public PhysicalMemory Memory { get; }

    public PciHostBridge Host { get; }

    public IommuSubsystem Iommu { get; }

    public MockIommuDriver Driver { get; }

    public KernelLog Log => Iommu.Log;

    /// <summary>
    /// Builds the topology, enumerates it, adds every PCI device to the kernel, then registers the mock
    /// IOMMU (boot order: bus_iommu_probe sees all devices at once).
    /// </summary>
    public static PciTestMachine Boot(
        Action<PciTopologyBuilder> topology,
        MockIommuOptions? mock = null,
        IommuSubsystemOptions? iommu = null,
        PciOptions? pci = null,
        bool assignBusNumbers = true)
    {
        var b = new PciTopologyBuilder();
        topology(b);
        PciRootComplex root = b.Build(assignBusNumbers);
        var memory = new PhysicalMemory();
        memory.AddRam(0x8000_0000, 1UL << 30);
        memory.AddMmio(EcamBase, root.EcamSize, root.Ecam);
        var log = new KernelLog();
        pci ??= new PciOptions { ExternalFacingPorts = root.ExternalFacingPortIds };
        PciHostBridge host = PciHostBridge.Probe(memory, EcamBase, root.Segment, root.BusStart, root.BusEnd, pci, log);
        var subsystem = new IommuSubsystem(iommu, log);
        foreach (PciDevice d in host.Devices)
        {
            Assert.Equal(Errno.ENODEV, subsystem.AddDevice(d));
        }

        var driver = new MockIommuDriver(mock);
        Assert.Equal(Errno.Ok, driver.Register(subsystem));
        return new PciTestMachine(root, memory, host, subsystem, driver);
    }

    public PciDevice Dev(string bdf) => Host.GetDevice("0000:" + bdf) ?? throw new ArgumentException($"No device {bdf}.");

    public int GroupId(string bdf) => Dev(bdf).IommuGroup!.Id;
}
