using IommuKit.Kernel.Base;
using IommuKit.Kernel.Printk;

namespace IommuKit.Kernel.Iommu;

/// <summary>
/// One machine's IOMMU core (drivers/iommu/iommu.c): registered IOMMU instances, the devices the
/// kernel knows, IOMMU groups, the default-domain policy, and the kernel message log. All state
/// is per instance; a process can hold several machines. Errors are Linux errnos; programming
/// mistakes (null arguments, using a freed domain) throw.
/// </summary>
/// <remarks>
/// Locking mirrors Linux: a probe lock serialises registration and device probing, each group's
/// mutex serialises attach and ownership changes, and map/unmap take no lock (callers must not map
/// or unmap overlapping ranges concurrently). See the partial files for each area:
/// Probe (registration, fwspec, device probe/release), Groups (device_group helpers),
/// DefaultDomain (policy and setup), Attach, Ownership, Map, ResvRegions.
/// </remarks>
public sealed partial class IommuSubsystem
{
    private const string PrFmt = "iommu: ";

    private readonly List<IommuInstance> _instances = [];
    private readonly List<Device> _devices = [];
    private readonly List<IommuGroup> _groups = [];
    private readonly IdAllocator _groupIds = new();
    private readonly object _probeLock = new();
    private readonly object _listLock = new();
    private IommuDomainType _defDomainType;
    private bool _dmaStrict;
    private bool _cmdLineDmaApi;
    private bool _cmdLineStrict;

    /// <summary>
    /// Boots the IOMMU core with <paramref name="options"/> (iommu_subsys_init): applies the Kconfig
    /// default, the command line and the memory-encryption rule, and logs the resulting policy.
    /// </summary>
    public IommuSubsystem(IommuSubsystemOptions? options = null, KernelLog? log = null)
    {
        Options = options ?? new IommuSubsystemOptions();
        Log = log ?? new KernelLog();
        KernelCommandLine cmd = Options.CommandLine;
        foreach (string bad in cmd.Malformed)
        {
            Log.Print(KernelLogLevel.Warning, $"Malformed early option '{bad}'");
        }

        // iommu_dma_strict starts from Kconfig; early params then apply.
        _dmaStrict = Options.DefaultDomain == IommuDefaultDomainConfig.DmaStrict;
        if (cmd.IommuPassthrough is bool pt)
        {
            _defDomainType = pt ? IommuDomainType.Identity : IommuDomainType.Dma;
            _cmdLineDmaApi = true;
        }

        if (cmd.IommuStrict is bool strict)
        {
            _dmaStrict = strict;
            _cmdLineStrict = true;
        }

        if (cmd.IommuForceDac)
        {
            Log.Print(KernelLogLevel.Info, "Forcing DAC for PCI devices");
        }

        if (!_cmdLineDmaApi)
        {
            _defDomainType = Options.DefaultDomain == IommuDefaultDomainConfig.Passthrough ? IommuDomainType.Identity : IommuDomainType.Dma;
            if (_defDomainType == IommuDomainType.Identity && Options.MemoryEncryption)
            {
                Log.Print(KernelLogLevel.Info, PrFmt + "Memory encryption detected - Disabling default IOMMU Passthrough");
                _defDomainType = IommuDomainType.Dma;
            }
        }

        if (_defDomainType != IommuDomainType.Identity && !_dmaStrict)
        {
            _defDomainType = IommuDomainType.DmaFq;
        }

        Log.Print(KernelLogLevel.Info, PrFmt + $"Default domain type: {_defDomainType.ToKernelString()}{(_cmdLineDmaApi ? " (set via kernel command line)" : string.Empty)}");
        if (_defDomainType != IommuDomainType.Identity)
        {
            Log.Print(KernelLogLevel.Info, PrFmt + $"DMA domain TLB invalidation policy: {(_dmaStrict ? "strict" : "lazy")} mode{(_cmdLineStrict ? " (set via kernel command line)" : string.Empty)}");
        }
    }

    public IommuSubsystemOptions Options { get; }

    /// <summary>The machine's kernel message log.</summary>
    public KernelLog Log { get; }

    /// <summary>iommu_def_domain_type: the global default for groups whose drivers express no preference.</summary>
    public IommuDomainType DefaultDomainType => _defDomainType;

    /// <summary>iommu_dma_strict.</summary>
    public bool DmaStrict => _dmaStrict;

    /// <summary>iommu_default_passthrough().</summary>
    public bool DefaultPassthrough => _defDomainType == IommuDomainType.Identity;

    /// <summary>Registered IOMMU instances, in registration order.</summary>
    public IReadOnlyList<IommuInstance> Instances
    {
        get
        {
            lock (_listLock)
            {
                return [.. _instances];
            }
        }
    }

    /// <summary>Devices added to the kernel (device_add order).</summary>
    public IReadOnlyList<Device> Devices
    {
        get
        {
            lock (_listLock)
            {
                return [.. _devices];
            }
        }
    }

    /// <summary>Live groups, by ID (/sys/kernel/iommu_groups).</summary>
    public IReadOnlyList<IommuGroup> Groups
    {
        get
        {
            lock (_listLock)
            {
                return [.. _groups.OrderBy(g => g.Id)];
            }
        }
    }

    /// <summary>
    /// iommu_set_dma_strict(): a driver or platform forces strict invalidation; a DMA_FQ default
    /// becomes DMA for groups set up afterwards.
    /// </summary>
    public void SetDmaStrict()
    {
        _dmaStrict = true;
        if (_defDomainType == IommuDomainType.DmaFq)
        {
            _defDomainType = IommuDomainType.Dma;
        }
    }

    /// <summary>device_iommu_capable(): false without an IOMMU, else the driver's answer.</summary>
    public bool DeviceIommuCapable(Device dev, IommuCap cap)
    {
        ArgumentNullException.ThrowIfNull(dev);
        return DevHasIommu(dev) && dev.Iommu!.Ops!.Capable(dev, cap);
    }

    /// <summary>
    /// Calls the domain's enforce_cache_coherency op (what VFIO and iommufd do); false if the driver
    /// has none or refuses.
    /// </summary>
    public bool EnforceCacheCoherency(IommuDomain domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        CheckLive(domain);
        return domain.Ops.EnforceCacheCoherency(domain);
    }

    /// <summary>iommu_group_alloc(): a new group with the lowest free ID, holding one reference for the caller.</summary>
    public IommuGroup IommuGroupAlloc()
    {
        lock (_listLock)
        {
            var group = new IommuGroup(this, _groupIds.Alloc());
            _groups.Add(group);
            return group;
        }
    }

    /// <summary>iommu_group_get(): the device's group with a reference taken, or null.</summary>
    public IommuGroup? IommuGroupGet(Device dev)
    {
        ArgumentNullException.ThrowIfNull(dev);
        IommuGroup? group = dev.IommuGroup;
        if (group is not null)
        {
            IommuGroupRefGet(group);
        }

        return group;
    }

    /// <summary>iommu_group_ref_get(): takes another reference on a live group.</summary>
    public IommuGroup IommuGroupRefGet(IommuGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        lock (_listLock)
        {
            if (group.IsReleased)
            {
                throw new InvalidOperationException($"{group} was released.");
            }

            group.RefCount++;
            return group;
        }
    }

    /// <summary>iommu_group_put(): drops a reference; the last one releases the group and its ID.</summary>
    public void IommuGroupPut(IommuGroup? group)
    {
        if (group is null)
        {
            return;
        }

        lock (_listLock)
        {
            if (group.IsReleased || group.RefCount <= 0)
            {
                throw new InvalidOperationException($"{group} has no reference to drop.");
            }

            if (--group.RefCount == 0)
            {
                if (group.DefaultDomain is not null || group.BlockingDomain is not null)
                {
                    Warn("iommu_group_release");
                }

                group.IsReleased = true;
                _groups.Remove(group);
                _groupIds.Free(group.Id);
            }
        }
    }

    /// <summary>
    /// iommu_paging_domain_alloc(): a new UNMANAGED paging domain from the driver behind
    /// <paramref name="dev"/> (ENODEV without one, EOPNOTSUPP if the driver cannot).
    /// </summary>
    public Errno PagingDomainAlloc(Device dev, out IommuDomain? domain)
    {
        ArgumentNullException.ThrowIfNull(dev);
        return PagingDomainAllocType(dev, IommuDomainType.Unmanaged, out domain);
    }

    /// <summary>iommu_domain_free(): frees a domain no group is attached to (static domains are left alone).</summary>
    public void DomainFree(IommuDomain domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        CheckLive(domain);
        lock (_listLock)
        {
            foreach (IommuGroup g in _groups)
            {
                if (g.Domain == domain || g.DefaultDomain == domain || g.BlockingDomain == domain)
                {
                    throw new InvalidOperationException($"{domain} is still in use by {g}.");
                }
            }
        }

        FreeDomain(domain);
    }

    /// <summary>dev_has_iommu(): the device has been probed by an IOMMU driver.</summary>
    internal static bool DevHasIommu(Device dev) => dev.Iommu?.IommuDev is not null;

    internal static void CheckLive(IommuDomain domain)
    {
        if (domain.IsFreed)
        {
            throw new ObjectDisposedException(nameof(IommuDomain), $"{domain} was freed.");
        }
    }

    /// <summary>__iommu_paging_domain_alloc_flags() without flags, then iommu_domain_init().</summary>
    private Errno PagingDomainAllocType(Device dev, IommuDomainType type, out IommuDomain? domain)
    {
        domain = null;
        if (!DevHasIommu(dev))
        {
            return Errno.ENODEV;
        }

        IIommuOps ops = dev.Iommu!.Ops!;
        Errno ret = ops.DomainAllocPaging(dev, out IommuDomain? d);
        if (ret != Errno.Ok)
        {
            return ret;
        }

        if (d is null)
        {
            return Errno.ENOMEM;
        }

        DomainInit(d, type, ops);
        domain = d;
        return Errno.Ok;
    }

    /// <summary>__iommu_alloc_identity_domain(): the static identity domain, or a per-device one.</summary>
    private static Errno AllocIdentityDomain(Device dev, out IommuDomain? domain)
    {
        IIommuOps ops = dev.Iommu!.Ops!;
        if (ops.IdentityDomain is { } identity)
        {
            identity.IsStatic = true;
            domain = identity;
            return Errno.Ok;
        }

        Errno ret = ops.DomainAllocIdentity(dev, out domain);
        if (ret != Errno.Ok)
        {
            domain = null;
            return ret;
        }

        if (domain is null)
        {
            return Errno.ENOMEM;
        }

        DomainInit(domain, IommuDomainType.Identity, ops);
        return Errno.Ok;
    }

    /// <summary>iommu_domain_init(): type and owner; pgsize_bitmap defaults to the driver's.</summary>
    private static void DomainInit(IommuDomain domain, IommuDomainType type, IIommuOps ops)
    {
        domain.Type = type;
        domain.Owner = ops;
        if (domain.PgsizeBitmap == 0)
        {
            domain.PgsizeBitmap = ops.PgsizeBitmap;
        }
    }

    private static void FreeDomain(IommuDomain domain)
    {
        if (domain.IsStatic || domain.IsFreed)
        {
            return;
        }

        domain.IsFreed = true;
        domain.Ops.Free(domain);
    }

    /// <summary>domain_iommu_ops_compatible(): allocated by this driver, or one of its static domains.</summary>
    private static bool DomainOpsCompatible(IIommuOps ops, IommuDomain domain) =>
        domain.Owner == ops || domain == ops.BlockedDomain || domain == ops.IdentityDomain;

    /// <summary>WARN_ON(): the kernel prints a warning with the function name and carries on.</summary>
    private void Warn(string function) =>
        Log.Print(KernelLogLevel.Warning, $"WARNING: at drivers/iommu/iommu.c:{function}");

    private void PrInfo(string text) => Log.Print(KernelLogLevel.Info, PrFmt + text);

    private void PrWarn(string text) => Log.Print(KernelLogLevel.Warning, PrFmt + text);

    private void PrErr(string text) => Log.Print(KernelLogLevel.Err, PrFmt + text);
}
