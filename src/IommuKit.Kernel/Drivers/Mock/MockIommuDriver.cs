using IommuKit.Kernel.Base;
using IommuKit.Kernel.Iommu;
using IommuKit.Kernel.Pci;

namespace IommuKit.Kernel.Drivers.Mock;

/// <summary>
/// A test-only IOMMU driver in the spirit of the iommufd selftest mock (drivers/iommu/iommufd/selftest.c):
/// no hardware, a sparse in-memory page table per paging domain, configurable page sizes, address
/// sizes, aperture, capabilities, static domains, def_domain_type and reserved regions, and
/// one-shot failure injection. It lets the IOMMU core be tested against the ops contract alone.
/// </summary>
public sealed class MockIommuDriver : IIommuOps
{
    private readonly Dictionary<Device, IommuDomain> _attached = [];
    private readonly List<MockCall> _calls = [];
    private readonly IommuDomain? _identity;
    private readonly IommuDomain? _blocked;

    public MockIommuDriver(MockIommuOptions? options = null, string? instanceName = null)
    {
        Options = options ?? new MockIommuOptions();
        Instance = new IommuInstance(instanceName ?? Options.Name);
        if (Options.IdentityDomain)
        {
            _identity = new IommuDomain(new MockStaticDomain(this), IommuDomainType.Identity);
        }

        if (Options.BlockedDomain)
        {
            _blocked = new IommuDomain(new MockStaticDomain(this), IommuDomainType.Blocked);
        }
    }

    public MockIommuOptions Options { get; }

    /// <summary>The hardware instance this driver registers.</summary>
    public IommuInstance Instance { get; }

    /// <summary>Armed failure points.</summary>
    public MockFaultInjection Faults { get; } = new();

    /// <summary>Record every driver call in <see cref="Calls"/> (allocates; off by default).</summary>
    public bool RecordCalls { get; set; }

    /// <summary>Recorded calls, oldest first.</summary>
    public IReadOnlyList<MockCall> Calls => _calls;

    public string Name => Options.Name;

    public ulong PgsizeBitmap => Options.PgsizeBitmap;

    public IommuDomain? IdentityDomain => _identity;

    public IommuDomain? BlockedDomain => _blocked;

    public IommuDomain? ReleaseDomain => Options.ReleaseToBlocked ? _blocked : null;

    /// <summary>Paging domains allocated and not yet freed.</summary>
    public int LiveDomains { get; private set; }

    /// <summary>Registers <see cref="Instance"/> with <paramref name="subsystem"/> (iommu_device_register).</summary>
    public Errno Register(IommuSubsystem subsystem, Device? hwdev = null)
    {
        ArgumentNullException.ThrowIfNull(subsystem);
        return subsystem.IommuDeviceRegister(Instance, this, hwdev);
    }

    /// <summary>The domain the driver last attached <paramref name="dev"/> to (what its "hardware" uses).</summary>
    public IommuDomain? AttachedDomain(Device dev) => _attached.GetValueOrDefault(dev);

    public void ClearCalls() => _calls.Clear();

    public bool Capable(Device dev, IommuCap cap) => IsCapable(dev, cap);

    public Errno ProbeDevice(Device dev, out IommuInstance? iommu)
    {
        iommu = null;
        Record(new MockCall(MockOp.ProbeDevice, null, dev, 0, 0, 0, 0, Hardware.PageTables.IommuProt.None));
        if (Options.Accept is { } accept && !accept(dev))
        {
            return Errno.ENODEV;
        }

        Errno ret = Faults.TakeProbe();
        if (ret != Errno.Ok)
        {
            return ret;
        }

        dev.Iommu!.Priv = this;
        iommu = Instance;
        return Errno.Ok;
    }

    public void ReleaseDevice(Device dev)
    {
        Record(new MockCall(MockOp.ReleaseDevice, null, dev, 0, 0, 0, 0, Hardware.PageTables.IommuProt.None));
        if (_attached.Remove(dev, out IommuDomain? domain) && domain.Ops is MockIommuDomain md)
        {
            md.Detach(dev);
        }
    }

    public Errno DeviceGroup(Device dev, out IommuGroup? group)
    {
        IommuSubsystem s = Instance.Subsystem ?? throw new InvalidOperationException("The mock driver is not registered.");
        return Options.Groups switch
        {
            MockGroupPolicy.Single => s.GenericSingleDeviceGroup(dev, out group),
            MockGroupPolicy.Auto when dev is PciDevice => s.PciDeviceGroup(dev, out group),
            _ => s.GenericDeviceGroup(dev, out group),
        };
    }

    public IommuDomainType? DefDomainType(Device dev) => Options.DefDomainType?.Invoke(dev);

    public void GetResvRegions(Device dev, List<IommuResvRegion> regions)
    {
        if (Options.ResvRegions?.Invoke(dev) is { } list)
        {
            regions.AddRange(list);
        }
    }

    public Errno DomainAllocPaging(Device dev, out IommuDomain? domain)
    {
        domain = null;
        Errno ret = Faults.TakeAlloc();
        if (ret != Errno.Ok)
        {
            return ret;
        }

        var ops = new MockIommuDomain(this, Options.PgsizeBitmap);
        ulong end = Options.InputAddressBits >= 64 ? ulong.MaxValue : (1UL << Options.InputAddressBits) - 1;
        domain = new IommuDomain(ops)
        {
            PgsizeBitmap = Options.PgsizeBitmap,
            Geometry = Options.Geometry ?? new IommuDomainGeometry(0, end, true),
        };
        LiveDomains++;
        return Errno.Ok;
    }

    internal bool IsCapable(Device dev, IommuCap cap) => Options.Capable?.Invoke(dev, cap) ?? Options.Caps.Contains(cap);

    internal void Record(MockCall call)
    {
        if (RecordCalls)
        {
            _calls.Add(call);
        }

        if (call.Op == MockOp.Free)
        {
            LiveDomains--;
        }
    }

    internal void SetAttached(Device dev, IommuDomain domain)
    {
        if (_attached.TryGetValue(dev, out IommuDomain? previous) && previous.Ops is MockIommuDomain md && previous != domain)
        {
            md.Detach(dev);
        }

        _attached[dev] = domain;
    }
}
