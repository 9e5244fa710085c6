using IommuKit.Kernel.Base;
using IommuKit.Kernel.Drivers.Mock;
using IommuKit.Kernel.Iommu;
using IommuKit.Kernel.Printk;

namespace IommuKit.Kernel.Tests;

/// <summary>An IOMMU core with platform devices behind one mock IOMMU.</summary>
internal sealed class PlatformTestSystem
{
    private PlatformTestSystem(IommuSubsystem iommu, MockIommuDriver driver, Device[] devices)
    {
        Iommu = iommu;
        Driver = driver;
        Devices = devices;
    }

    public IommuSubsystem Iommu { get; }

    public MockIommuDriver Driver { get; }

    public Device[] Devices { get; }

    public KernelLog Log => Iommu.Log;

    /// <summary>
    /// Adds <paramref name="deviceCount"/> platform devices ("dev0", "dev1", ...) and then registers the
    /// mock IOMMU, so all of them are probed at once as at boot.
    /// </summary>
    public static PlatformTestSystem Boot(int deviceCount = 1, MockIommuOptions? mock = null, IommuSubsystemOptions? options = null)
    {
        var iommu = new IommuSubsystem(options);
        var devices = Enumerable.Range(0, deviceCount).Select(i => new Device($"dev{i}")).ToArray();
        foreach (Device d in devices)
        {
            Assert.Equal(Errno.ENODEV, iommu.AddDevice(d));
        }

        var driver = new MockIommuDriver(mock);
        Assert.Equal(Errno.Ok, driver.Register(iommu));
        return new PlatformTestSystem(iommu, driver, devices);
    }

    public IommuDomain NewPagingDomain(Device? dev = null)
    {
        Assert.Equal(Errno.Ok, Iommu.PagingDomainAlloc(dev ?? Devices[0], out IommuDomain? d));
        return d!;
    }
}
