using IommuKit.Kernel.Base;
using IommuKit.Kernel.Pci;
using IommuKit.Kernel.Printk;

namespace IommuKit.Kernel.Iommu;

public sealed partial class IommuSubsystem
{
    /// <summary>The buses bus_iommu_probe walks, in iommu_buses[] order.</summary>
    private static readonly string[] IommuBuses = ["platform", "pci"];

    /// <summary>
    /// iommu_device_register(): registers an IOMMU instance with its driver ops and probes every
    /// device already known (bus_iommu_probe: all devices first, then each new group's default
    /// domain, so multi-device groups and direct regions are handled as at boot). On failure the
    /// instance is unregistered again and the error returned.
    /// </summary>
    public Errno IommuDeviceRegister(IommuInstance iommu, IIommuOps ops, Device? hwdev = null)
    {
        ArgumentNullException.ThrowIfNull(iommu);
        ArgumentNullException.ThrowIfNull(ops);
        if (iommu.Subsystem is not null)
        {
            throw new InvalidOperationException($"{iommu} is already registered.");
        }

        iommu.Ops = ops;
        iommu.HwDev = hwdev;
        iommu.FwNode = hwdev?.FwNode;
        iommu.Subsystem = this;
        lock (_listLock)
        {
            _instances.Add(iommu);
        }

        Errno err = Errno.Ok;
        foreach (string bus in IommuBuses)
        {
            err = BusIommuProbe(bus);
            if (err != Errno.Ok)
            {
                break;
            }
        }

        if (err != Errno.Ok)
        {
            IommuDeviceUnregister(iommu);
        }
        else
        {
            iommu.Ready = true;
        }

        return err;
    }

    /// <summary>iommu_device_unregister(): releases the instance's devices and removes it.</summary>
    public void IommuDeviceUnregister(IommuInstance iommu)
    {
        ArgumentNullException.ThrowIfNull(iommu);
        foreach (Device dev in Devices)
        {
            if (dev.Iommu?.IommuDev == iommu)
            {
                ReleaseDevice(dev);
            }
        }

        lock (_listLock)
        {
            _instances.Remove(iommu);
        }

        IommuGroupPut(iommu.SingletonGroup);
        iommu.SingletonGroup = null;
        iommu.Subsystem = null;
        iommu.Ready = false;
    }

    /// <summary>
    /// device_add() as the IOMMU core sees it: the device joins the kernel's device list and the bus
    /// notifier probes it at once (iommu_probe_device), so a device added after its IOMMU gets its
    /// group's default domain on its own (hot-plug semantics). Returns the probe result
    /// (ENODEV: no IOMMU for it; the device still exists).
    /// </summary>
    public Errno AddDevice(Device dev)
    {
        ArgumentNullException.ThrowIfNull(dev);
        lock (_listLock)
        {
            if (_devices.Contains(dev))
            {
                throw new InvalidOperationException($"{dev} was already added.");
            }

            _devices.Add(dev);
        }

        return ProbeDevice(dev);
    }

    /// <summary>device_del(): the bus notifier releases the device from its group, then it leaves the kernel.</summary>
    public void RemoveDevice(Device dev)
    {
        ArgumentNullException.ThrowIfNull(dev);
        ReleaseDevice(dev);
        lock (_listLock)
        {
            _devices.Remove(dev);
        }
    }

    /// <summary>iommu_probe_device(): probes one device now (a no-op returning Ok if it is already in a group).</summary>
    public Errno ProbeDevice(Device dev)
    {
        ArgumentNullException.ThrowIfNull(dev);
        Errno ret;
        lock (_probeLock)
        {
            ret = ProbeDeviceCore(dev, null);
        }

        if (ret == Errno.Ok)
        {
            dev.Iommu!.Ops!.ProbeFinalize(dev);
        }

        return ret;
    }

    /// <summary>iommu_release_device(): takes the device out of its group and drops its IOMMU data.</summary>
    public void ReleaseDevice(Device dev)
    {
        ArgumentNullException.ThrowIfNull(dev);
        lock (_probeLock)
        {
            if (dev.IommuGroup is not null)
            {
                GroupRemoveDevice(dev);
            }

            dev.Iommu = null;
        }
    }

    /// <summary>
    /// iommu_fwspec_init(): records that firmware puts <paramref name="dev"/> behind the IOMMU whose
    /// firmware node is <paramref name="iommuFwnode"/>. EPROBE_DEFER if that IOMMU is not registered
    /// (or not ready) yet; EINVAL if the device already has a fwspec for another driver.
    /// </summary>
    public Errno FwspecInit(Device dev, object iommuFwnode)
    {
        ArgumentNullException.ThrowIfNull(dev);
        ArgumentNullException.ThrowIfNull(iommuFwnode);
        lock (_probeLock)
        {
            IommuInstance? iommu = InstanceFromFwnode(iommuFwnode);
            if (iommu is null)
            {
                return Errno.EPROBE_DEFER;
            }

            if (dev.Iommu is null && !iommu.Ready)
            {
                return Errno.EPROBE_DEFER;
            }

            if (dev.Iommu?.Fwspec is { } fwspec)
            {
                return iommu.Ops == InstanceFromFwnode(fwspec.IommuFwnode)?.Ops ? Errno.Ok : Errno.EINVAL;
            }

            dev.Iommu ??= new IommuDevice(dev);
            dev.Iommu.Fwspec = new IommuFwspec(iommuFwnode);
            return Errno.Ok;
        }
    }

    /// <summary>iommu_fwspec_add_ids(): appends IDs to the device's fwspec (EINVAL without one).</summary>
    public Errno FwspecAddIds(Device dev, ReadOnlySpan<uint> ids)
    {
        ArgumentNullException.ThrowIfNull(dev);
        if (dev.Iommu?.Fwspec is not { } fwspec)
        {
            return Errno.EINVAL;
        }

        fwspec.AddIds(ids);
        return Errno.Ok;
    }

    /// <summary>dev_iommu_ops(): the driver that probed <paramref name="dev"/>, or null.</summary>
    public IIommuOps? DevIommuOps(Device dev)
    {
        ArgumentNullException.ThrowIfNull(dev);
        return dev.Iommu?.Ops;
    }

    /// <summary>iommu_from_fwnode(): the registered instance with this firmware node (null matches instances registered without one).</summary>
    private IommuInstance? InstanceFromFwnode(object? fwnode)
    {
        lock (_listLock)
        {
            foreach (IommuInstance i in _instances)
            {
                if (ReferenceEquals(i.FwNode, fwnode))
                {
                    return i;
                }
            }

            return null;
        }
    }

    /// <summary>bus_iommu_probe(): probe every device of the bus, then set up each new group's default domain.</summary>
    private Errno BusIommuProbe(string busName)
    {
        var groupList = new List<IommuGroup>();
        foreach (Device dev in Devices)
        {
            if (dev.BusName != busName)
            {
                continue;
            }

            Errno ret;
            lock (_probeLock)
            {
                ret = ProbeDeviceCore(dev, groupList);
            }

            if (ret != Errno.Ok && ret != Errno.ENODEV)
            {
                return ret;
            }
        }

        foreach (IommuGroup group in groupList)
        {
            lock (group.Mutex)
            {
                Errno ret = SetupDefaultDomain(group, 0);
                if (ret != Errno.Ok)
                {
                    return ret;
                }

                foreach (Device gdev in group.DeviceList)
                {
                    SetupDmaOps(gdev, group.DefaultDomain!);
                }
            }

            foreach (Device gdev in group.Devices)
            {
                gdev.Iommu!.Ops!.ProbeFinalize(gdev);
            }
        }

        return Errno.Ok;
    }

    /// <summary>
    /// __iommu_probe_device(): init the device (driver probe + group), add it to the group, and give
    /// it the group's current domain; a new group either gets its default domain now or, during a
    /// bus probe, is queued on <paramref name="groupList"/>.
    /// </summary>
    private Errno ProbeDeviceCore(Device dev, List<IommuGroup>? groupList)
    {
        if (dev.IommuGroup is not null)
        {
            return Errno.Ok;
        }

        Errno ret = InitDevice(dev);
        if (ret != Errno.Ok)
        {
            return ret;
        }

        IommuGroup group = dev.IommuGroup!;
        lock (group.Mutex)
        {
            Log.DevPrint(KernelLogLevel.Info, dev, $"Adding to iommu group {group.Id}");
            group.DeviceList.Add(dev);
            if (group.DefaultDomain is not null && group.Domain is null)
            {
                Warn("__iommu_probe_device");
            }

            if (group.DefaultDomain is not null)
            {
                CreateDeviceDirectMappings(group.DefaultDomain, dev);
            }

            if (group.Domain is not null)
            {
                ret = DeviceSetDomain(group, dev, group.Domain, null, mustSucceed: false);
            }
            else if (group.DefaultDomain is null && groupList is null)
            {
                ret = SetupDefaultDomain(group, 0);
            }
            else if (group.DefaultDomain is null && !groupList!.Contains(group))
            {
                groupList.Add(group);
            }

            if (ret != Errno.Ok)
            {
                group.DeviceList.Remove(dev);
                GroupFreeDevice(group);
                DeinitDevice(dev);
            }
            else if (group.DefaultDomain is not null)
            {
                SetupDmaOps(dev, group.DefaultDomain);
            }
        }

        if (ret != Errno.Ok)
        {
            IommuGroupPut(group);
        }

        return ret;
    }

    /// <summary>
    /// iommu_init_device(): find the driver through the fwspec (or the first instance registered
    /// without a firmware node), let it probe the device, and get the device's group. Firmware
    /// glue must have set the fwspec before; the model does not replay dma_configure.
    /// </summary>
    private Errno InitDevice(Device dev)
    {
        dev.Iommu ??= new IommuDevice(dev);
        IommuInstance? match = InstanceFromFwnode(dev.Iommu.Fwspec?.IommuFwnode);
        IIommuOps? ops = match?.Ops;
        if (ops is null)
        {
            dev.Iommu = null;
            return Errno.ENODEV;
        }

        Errno ret = ops.ProbeDevice(dev, out IommuInstance? iommuDev);
        if (ret != Errno.Ok)
        {
            dev.Iommu = null;
            return ret;
        }

        if (iommuDev is null || iommuDev.Ops != ops)
        {
            throw new InvalidOperationException($"{ops.Name}: probe_device returned no instance, or one registered with other ops.");
        }

        dev.Iommu.IommuDev = iommuDev;
        iommuDev.Link(dev);
        ret = ops.DeviceGroup(dev, out IommuGroup? group);
        if (ret == Errno.Ok && group is null)
        {
            Warn("iommu_init_device");
            ret = Errno.EINVAL;
        }

        if (ret != Errno.Ok)
        {
            iommuDev.Unlink(dev);
            ops.ReleaseDevice(dev);
            dev.Iommu.IommuDev = null;
            dev.Iommu = null;
            return ret;
        }

        dev.IommuGroup = group;
        dev.Iommu.MaxPasids = 0; // PCI PASID capability and "pasid-num-bits" are not modelled.
        return Errno.Ok;
    }

    /// <summary>
    /// iommu_deinit_device(): park the device on the driver's release domain (identity instead of
    /// blocked if it requires direct mappings), release it, and free the group's domains when it
    /// was the last member. The caller drops the group reference.
    /// </summary>
    private void DeinitDevice(Device dev)
    {
        IommuGroup group = dev.IommuGroup!;
        IommuDevice param = dev.Iommu!;
        IIommuOps ops = param.Ops!;
        param.IommuDev!.Unlink(dev);
        if (!param.AttachDeferred && ops.ReleaseDomain is { } releaseDomain)
        {
            releaseDomain.IsStatic = true;
            if (param.RequireDirect && ops.IdentityDomain is { } identity && releaseDomain == ops.BlockedDomain)
            {
                releaseDomain = identity;
            }

            releaseDomain.Ops.AttachDev(releaseDomain, dev, group.Domain);
        }

        ops.ReleaseDevice(dev);
        if (group.DeviceList.Count == 0)
        {
            if (group.DefaultDomain is { } def)
            {
                FreeDomain(def);
                group.DefaultDomain = null;
            }

            if (group.BlockingDomain is { } blocking)
            {
                FreeDomain(blocking);
                group.BlockingDomain = null;
            }

            group.Domain = null;
        }

        dev.IommuGroup = null;
        dev.DmaIommu = false;
        dev.Iommu = null;
    }

    /// <summary>__iommu_group_remove_device().</summary>
    private void GroupRemoveDevice(Device dev)
    {
        IommuGroup group = dev.IommuGroup!;
        lock (group.Mutex)
        {
            if (group.DeviceList.Remove(dev))
            {
                GroupFreeDevice(group);
                if (DevHasIommu(dev))
                {
                    DeinitDevice(dev);
                }
                else
                {
                    dev.IommuGroup = null;
                }
            }
        }

        IommuGroupPut(group);
    }

    /// <summary>__iommu_group_free_device(): an emptied group must have had ownership released and be back on its default domain.</summary>
    private void GroupFreeDevice(IommuGroup group)
    {
        if (group.DeviceList.Count == 0 && (group.OwnerCount != 0 || group.Domain != group.DefaultDomain))
        {
            Warn("__iommu_group_free_device");
        }
    }

    /// <summary>
    /// iommu_setup_dma_ops() with dma-iommu's iommu_dma_init_domain() policy: PCI devices try 32-bit
    /// IOVAs first unless iommu.forcedac; the DMA API goes through the IOMMU for DMA domains; a DMA_FQ
    /// domain falls back to strict DMA when the driver lacks IOMMU_CAP_DEFERRED_FLUSH.
    /// </summary>
    private void SetupDmaOps(Device dev, IommuDomain domain)
    {
        if (dev is PciDevice)
        {
            dev.Iommu!.Pci32BitWorkaround = !Options.CommandLine.IommuForceDac;
        }

        dev.DmaIommu = domain.Type.IsDmaApi();
        if (dev.DmaIommu && domain.Type == IommuDomainType.DmaFq && !DeviceIommuCapable(dev, IommuCap.DeferredFlush))
        {
            domain.Type = IommuDomainType.Dma;
        }
    }
}
