using IommuKit.Kernel.Base;
using IommuKit.Kernel.Iommu;

namespace IommuKit.Kernel.Drivers.Mock;

/// <summary>The mock's static IDENTITY or BLOCKED domain (only attach_dev).</summary>
public sealed class MockStaticDomain : IIommuDomainOps
{
    internal MockStaticDomain(MockIommuDriver driver)
    {
        Driver = driver;
    }

    public MockIommuDriver Driver { get; }

    public Errno AttachDev(IommuDomain domain, Device dev, IommuDomain? old)
    {
        Driver.Record(new MockCall(MockOp.AttachDev, domain, dev, 0, 0, 0, 0, Hardware.PageTables.IommuProt.None));
        Errno ret = Driver.Faults.TakeAttach(dev);
        if (ret != Errno.Ok)
        {
            return ret;
        }

        Driver.SetAttached(dev, domain);
        return Errno.Ok;
    }
}
