using IommuKit.Kernel.Base;
using IommuKit.Kernel.Printk;

namespace IommuKit.Kernel.Iommu;

public sealed partial class IommuSubsystem
{
    /// <summary>
    /// iommu_attach_device(): attach <paramref name="domain"/> to the device's group, which must hold
    /// exactly this one device (EINVAL otherwise; ENODEV without a group). EINVAL from the driver
    /// means the domain is incompatible and another may work.
    /// </summary>
    public Errno AttachDevice(IommuDomain domain, Device dev)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(dev);
        CheckLive(domain);
        IommuGroup? group = dev.IommuGroup;
        if (group is null)
        {
            return Errno.ENODEV;
        }

        lock (group.Mutex)
        {
            return group.DeviceList.Count != 1 ? Errno.EINVAL : AttachGroupCore(domain, group);
        }
    }

    /// <summary>
    /// iommu_detach_device(): put the device's singleton group back on a core domain (blocking if DMA
    /// ownership is claimed, else default). A domain that is not attached, or a multi-device group,
    /// is a caller bug: the kernel warns and does nothing.
    /// </summary>
    public void DetachDevice(IommuDomain domain, Device dev)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(dev);
        IommuGroup? group = dev.IommuGroup;
        if (group is null)
        {
            return;
        }

        lock (group.Mutex)
        {
            if (domain != group.Domain || group.DeviceList.Count != 1)
            {
                Warn("iommu_detach_device");
                return;
            }

            GroupSetCoreDomain(group);
        }
    }

    /// <summary>
    /// iommu_attach_group(): attach every device of the group to <paramref name="domain"/>. EBUSY if the
    /// group is on something other than its default or blocking domain; EINVAL if the domain comes
    /// from another driver. On a driver failure the devices already switched go back.
    /// </summary>
    public Errno AttachGroup(IommuDomain domain, IommuGroup group)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(group);
        CheckLive(domain);
        lock (group.Mutex)
        {
            return AttachGroupCore(domain, group);
        }
    }

    /// <summary>iommu_detach_group(): back to the blocking domain if owned, else the default domain.</summary>
    public void DetachGroup(IommuDomain domain, IommuGroup group)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(group);
        lock (group.Mutex)
        {
            GroupSetCoreDomain(group);
        }
    }

    /// <summary>
    /// iommu_replace_group_handle() / iommu_group_replace_domain(): move the group straight to
    /// <paramref name="newDomain"/> without passing through the blocking domain (iommufd). On
    /// failure the old attachment stays. EINVAL for a null domain.
    /// </summary>
    public Errno ReplaceGroupDomain(IommuGroup group, IommuDomain? newDomain)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (newDomain is null)
        {
            return Errno.EINVAL;
        }

        CheckLive(newDomain);
        lock (group.Mutex)
        {
            return GroupSetDomainInternal(group, newDomain, mustSucceed: false);
        }
    }

    /// <summary>iommu_get_domain_for_dev(): the domain the device's group is attached to.</summary>
    public IommuDomain? GetDomainForDev(Device dev)
    {
        ArgumentNullException.ThrowIfNull(dev);
        return dev.IommuGroup?.Domain;
    }

    /// <summary>iommu_get_dma_domain(): the device's default domain.</summary>
    public IommuDomain? GetDmaDomain(Device dev)
    {
        ArgumentNullException.ThrowIfNull(dev);
        return dev.IommuGroup?.DefaultDomain;
    }

    /// <summary>__iommu_attach_group().</summary>
    private Errno AttachGroupCore(IommuDomain domain, IommuGroup group)
    {
        if (group.Domain is not null && group.Domain != group.DefaultDomain && group.Domain != group.BlockingDomain)
        {
            return Errno.EBUSY;
        }

        Device dev = group.DeviceList[0];
        if (!DevHasIommu(dev) || !DomainOpsCompatible(dev.Iommu!.Ops!, domain))
        {
            return Errno.EINVAL;
        }

        return GroupSetDomainInternal(group, domain, mustSucceed: false);
    }

    /// <summary>__iommu_group_set_core_domain(): blocking domain while owned, default domain otherwise; must not fail.</summary>
    private void GroupSetCoreDomain(IommuGroup group)
    {
        IommuDomain? newDomain = group.Owner is not null ? group.BlockingDomain : group.DefaultDomain;
        if (newDomain is null)
        {
            Warn("__iommu_group_set_core_domain");
            return;
        }

        if (GroupSetDomainInternal(group, newDomain, mustSucceed: true) != Errno.Ok)
        {
            Warn("__iommu_group_set_domain_nofail");
        }
    }

    /// <summary>
    /// __iommu_group_set_domain_internal(): attach each device to the new domain (no detach in
    /// between). On a failure the devices already switched are re-attached to the previous domain,
    /// unless the caller needs the switch to succeed, in which case the others are still switched
    /// and the error returned.
    /// </summary>
    private Errno GroupSetDomainInternal(IommuGroup group, IommuDomain newDomain, bool mustSucceed)
    {
        if (group.Domain == newDomain)
        {
            return Errno.Ok;
        }

        Errno result = Errno.Ok;
        List<Device> devices = group.DeviceList;
        for (int i = 0; i < devices.Count; i++)
        {
            Errno ret = DeviceSetDomain(group, devices[i], newDomain, group.Domain, mustSucceed);
            if (ret == Errno.Ok)
            {
                continue;
            }

            result = ret;
            if (mustSucceed)
            {
                continue;
            }

            // Unwind: a well-behaved driver always accepts the domain a device had before.
            if (group.Domain is { } previous)
            {
                for (int j = 0; j < i; j++)
                {
                    if (DeviceSetDomain(group, devices[j], previous, newDomain, mustSucceed: true) != Errno.Ok)
                    {
                        Warn("__iommu_group_set_domain_internal");
                    }
                }
            }

            return ret;
        }

        group.Domain = newDomain;
        return result;
    }

    /// <summary>
    /// __iommu_device_set_domain(): a device with a DIRECT region may not be blocked (EINVAL). If the
    /// attach fails where success was required, park the device on the blocking domain.
    /// </summary>
    private Errno DeviceSetDomain(IommuGroup group, Device dev, IommuDomain newDomain, IommuDomain? oldDomain, bool mustSucceed)
    {
        IommuDevice param = dev.Iommu!;
        if (param.RequireDirect && (newDomain.Type == IommuDomainType.Blocked || newDomain == group.BlockingDomain))
        {
            Log.DevPrint(
                KernelLogLevel.Warning,
                dev,
                "Firmware has requested this device have a 1:1 IOMMU mapping, rejecting configuring the device without a 1:1 mapping. Contact your platform vendor.");
            return Errno.EINVAL;
        }

        Errno ret = newDomain.Ops.AttachDev(newDomain, dev, oldDomain);
        if (ret != Errno.Ok)
        {
            if (mustSucceed && group.BlockingDomain is { } blocking && blocking != newDomain)
            {
                blocking.Ops.AttachDev(blocking, dev, oldDomain);
            }

            return ret;
        }

        param.AttachDeferred = false;
        return Errno.Ok;
    }
}
