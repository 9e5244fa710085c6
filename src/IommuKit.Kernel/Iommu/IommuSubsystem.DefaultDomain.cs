using IommuKit.Kernel.Base;
using IommuKit.Kernel.Pci;
using IommuKit.Kernel.Printk;

namespace IommuKit.Kernel.Iommu;

public sealed partial class IommuSubsystem
{
    /// <summary>
    /// iommu_setup_default_domain(): choose the group's default domain type, allocate it, pre-map
    /// the devices' direct regions, and switch the group to it (replacing an old default domain,
    /// which is freed). <paramref name="targetType"/> 0 means automatic. EINVAL if the type cannot
    /// be agreed (untrusted device with an identity request, target conflicting with the driver).
    /// </summary>
    private Errno SetupDefaultDomain(IommuGroup group, IommuDomainType targetType)
    {
        IommuDomain? oldDom = group.DefaultDomain;
        int reqType = GetDefaultDomainType(group, (int)targetType);
        if (reqType < 0)
        {
            return Errno.EINVAL;
        }

        Errno ret = GroupAllocDefaultDomain(group, reqType, out IommuDomain? dom);
        if (ret != Errno.Ok)
        {
            return ret;
        }

        if (group.DefaultDomain == dom)
        {
            return Errno.Ok;
        }

        // Direct regions must be mapped before their device is attached (continuity with firmware DMA).
        bool directFailed = false;
        foreach (Device gdev in group.DeviceList)
        {
            if (CreateDeviceDirectMappings(dom!, gdev) != Errno.Ok)
            {
                directFailed = true;
                IommuInstance iommu = gdev.Iommu!.IommuDev!;
                const string msg = "IOMMU driver was not able to establish FW requested direct mapping.";
                if (iommu.HwDev is { } hw)
                {
                    Log.DevPrint(KernelLogLevel.Warning, hw, msg);
                }
                else
                {
                    Log.Print(KernelLogLevel.Warning, $"{iommu.Name}: {msg}");
                }
            }
        }

        group.DefaultDomain = dom;
        if (group.Domain is null)
        {
            // Drivers may not fail the first attach; on failure the domain stays as default so it is freed with the group.
            ret = GroupSetDomainInternal(group, dom!, mustSucceed: true);
            if (ret != Errno.Ok)
            {
                Warn("iommu_setup_default_domain");
                return FreeOld(ret);
            }
        }
        else
        {
            ret = GroupSetDomainInternal(group, dom!, mustSucceed: false);
            if (ret != Errno.Ok)
            {
                return RestoreDefault(ret);
            }
        }

        // Drivers that cannot map before attach get a second try now.
        if (directFailed)
        {
            foreach (Device gdev in group.DeviceList)
            {
                ret = CreateDeviceDirectMappings(dom!, gdev);
                if (ret != Errno.Ok)
                {
                    if (oldDom is not null)
                    {
                        GroupSetDomainInternal(group, oldDom, mustSucceed: true);
                    }

                    return RestoreDefault(ret);
                }
            }
        }

        return FreeOld(ret);

        Errno FreeOld(Errno result)
        {
            if (oldDom is not null)
            {
                FreeDomain(oldDom);
            }

            return result;
        }

        Errno RestoreDefault(Errno result)
        {
            if (oldDom is not null)
            {
                FreeDomain(dom!);
                group.DefaultDomain = oldDom;
            }

            return result;
        }
    }

    /// <summary>
    /// iommu_get_default_domain_type(): combine the drivers' def_domain_type over the group, force
    /// DMA for untrusted devices (refusing if a driver insists on something else), force identity
    /// without CONFIG_IOMMU_DMA, and check a requested target type against it. Returns 0 for "use
    /// the global default", or -1 to refuse.
    /// </summary>
    private int GetDefaultDomainType(IommuGroup group, int targetType)
    {
        Device? untrusted = null;
        int driverType = 0;
        foreach (Device gdev in group.DeviceList)
        {
            driverType = GetDefDomainType(group, gdev, driverType);
            if (gdev is PciDevice { Untrusted: true })
            {
                untrusted = gdev;
            }
        }

        if (!Options.IommuDma)
        {
            if (driverType == (int)IommuDomainType.Dma)
            {
                Warn("iommu_get_default_domain_type");
                return -1;
            }

            if (driverType == 0)
            {
                driverType = (int)IommuDomainType.Identity;
            }
        }

        if (untrusted is not null)
        {
            if (driverType != 0 && driverType != (int)IommuDomainType.Dma)
            {
                Log.DevPrint(
                    KernelLogLevel.Err,
                    untrusted,
                    $"Device is not trusted, but driver is overriding group {group.Id} to {((IommuDomainType)driverType).ToKernelString()}, refusing to probe.");
                return -1;
            }

            driverType = (int)IommuDomainType.Dma;
        }

        if (targetType != 0)
        {
            return driverType != 0 && targetType != driverType ? -1 : targetType;
        }

        return driverType;
    }

    /// <summary>
    /// iommu_get_def_domain_type(): fold one device's def_domain_type into the group's. Conflicting
    /// requests are a driver error: the kernel logs it and lets IDENTITY win. (Kernels before ~v6.6
    /// instead warned "Device needs domain type %s, but device %s in the same iommu group requires
    /// type %s - using default" and used the global default type.)
    /// </summary>
    private int GetDefDomainType(IommuGroup group, Device dev, int curType)
    {
        IommuDomainType? requested = dev.Iommu!.Ops!.DefDomainType(dev);
        int type = requested is IommuDomainType t ? (int)t : 0;
        if (type == 0 || curType == type)
        {
            return curType;
        }

        if (curType == 0)
        {
            return type;
        }

        Log.DevPrint(
            KernelLogLevel.Err,
            dev,
            $"IOMMU driver error, requesting conflicting def_domain_type, {((IommuDomainType)curType).ToKernelString()} and {((IommuDomainType)type).ToKernelString()}, for devices in group {group.Id}.");
        return type == (int)IommuDomainType.Identity ? type : curType;
    }

    /// <summary>
    /// iommu_group_alloc_default_domain(): a requested type is allocated as is; with no request the
    /// global default is tried and, failing that, IOMMU_DOMAIN_DMA (with a warning).
    /// </summary>
    private Errno GroupAllocDefaultDomain(IommuGroup group, int reqType, out IommuDomain? domain)
    {
        if (reqType != 0)
        {
            return GroupAllocDefaultDomainOfType(group, (IommuDomainType)reqType, out domain);
        }

        if (GroupAllocDefaultDomainOfType(group, _defDomainType, out domain) == Errno.Ok)
        {
            return Errno.Ok;
        }

        if (_defDomainType == IommuDomainType.Dma)
        {
            return Errno.EINVAL;
        }

        Errno ret = GroupAllocDefaultDomainOfType(group, IommuDomainType.Dma, out domain);
        if (ret != Errno.Ok)
        {
            return ret;
        }

        // group->name is unset for ordinary groups, so the kernel prints "(null)".
        PrWarn($"Failed to allocate default IOMMU domain of type {(uint)_defDomainType} for group (null) - Falling back to IOMMU_DOMAIN_DMA");
        return Errno.Ok;
    }

    /// <summary>__iommu_group_alloc_default_domain(): reuse a default domain of the same type, else allocate.</summary>
    private Errno GroupAllocDefaultDomainOfType(IommuGroup group, IommuDomainType reqType, out IommuDomain? domain)
    {
        if (group.DefaultDomain is { } existing && existing.Type == reqType)
        {
            domain = existing;
            return Errno.Ok;
        }

        Device dev = group.DeviceList[0];
        if (reqType.IsPaging())
        {
            return PagingDomainAllocType(dev, reqType, out domain);
        }

        if (reqType == IommuDomainType.Identity)
        {
            return AllocIdentityDomain(dev, out domain);
        }

        domain = null;
        return Errno.EINVAL;
    }

    /// <summary>
    /// iommu_create_device_direct_mappings(): note IOMMU_RESV_DIRECT (the device then may never be
    /// blocked) and, in a DMA domain, map every DIRECT and DIRECT_RELAXABLE region 1:1 with the
    /// domain's smallest page size, skipping pages another device's region already mapped.
    /// </summary>
    private Errno CreateDeviceDirectMappings(IommuDomain domain, Device dev)
    {
        ulong pgSize = domain.PgsizeBitmap != 0 ? 1UL << System.Numerics.BitOperations.TrailingZeroCount(domain.PgsizeBitmap) : 0;
        bool dma = domain.Type.IsDmaApi();
        if (dma && pgSize == 0)
        {
            Warn("iommu_create_device_direct_mappings");
            return Errno.EINVAL;
        }

        var mappings = new List<IommuResvRegion>();
        GetResvRegions(dev, mappings);
        foreach (IommuResvRegion entry in mappings)
        {
            if (entry.Type == IommuResvType.Direct)
            {
                dev.Iommu!.RequireDirect = true;
            }

            if ((entry.Type != IommuResvType.Direct && entry.Type != IommuResvType.DirectRelaxable) || !dma)
            {
                continue;
            }

            ulong start = AlignUp(entry.Start, pgSize);
            ulong end = AlignUp(entry.Start + entry.Length, pgSize);
            ulong mapSize = 0;
            for (ulong addr = start; addr <= end; addr += pgSize)
            {
                if (addr != end)
                {
                    // iova_to_phys answers 0 both for "unmapped" and for a mapping of PA 0: ask about address 1 instead.
                    ulong phys = IovaToPhys(domain, addr != 0 ? addr : 1);
                    if (phys == 0)
                    {
                        mapSize += pgSize;
                        continue;
                    }
                }

                if (mapSize != 0)
                {
                    Errno ret = Map(domain, addr - mapSize, addr - mapSize, mapSize, entry.Prot);
                    if (ret != Errno.Ok)
                    {
                        return ret;
                    }

                    mapSize = 0;
                }

                if (addr == end)
                {
                    break;
                }
            }
        }

        return Errno.Ok;
    }

    private static ulong AlignUp(ulong value, ulong alignment) => (value + alignment - 1) & ~(alignment - 1);

    /// <summary>
    /// Writes the group's sysfs "type" attribute (iommu_group_store_type): "identity", "DMA",
    /// "DMA-FQ" or "auto". DMA → DMA-FQ is done in place; any other change needs a group with devices
    /// and no bound driver or owner (EPERM), rebuilds the default domain, and fails with EINVAL if
    /// the drivers require another type. (Before ~v6.3 the bound-driver case returned EBUSY.)
    /// The CAP_SYS_ADMIN / CAP_SYS_RAWIO check (EACCES) is not modelled.
    /// </summary>
    public Errno GroupStoreType(IommuGroup group, string value)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(value);
        if (group.DefaultDomain is null)
        {
            return Errno.EINVAL;
        }

        IommuDomainType reqType;
        switch (value.TrimEnd('\n'))
        {
            case "identity":
                reqType = IommuDomainType.Identity;
                break;
            case "DMA":
                reqType = IommuDomainType.Dma;
                break;
            case "DMA-FQ":
                reqType = IommuDomainType.DmaFq;
                break;
            case "auto":
                reqType = 0;
                break;
            default:
                return Errno.EINVAL;
        }

        lock (group.Mutex)
        {
            // A flush queue can be brought up without tearing the domain down.
            if (reqType == IommuDomainType.DmaFq && group.DefaultDomain.Type == IommuDomainType.Dma)
            {
                group.DefaultDomain.Type = IommuDomainType.DmaFq;
                return Errno.Ok;
            }

            if (group.DeviceList.Count == 0 || group.OwnerCount != 0)
            {
                return Errno.EPERM;
            }

            Errno ret = SetupDefaultDomain(group, reqType);
            if (ret != Errno.Ok)
            {
                return ret;
            }

            foreach (Device gdev in group.DeviceList)
            {
                SetupDmaOps(gdev, group.DefaultDomain!);
            }

            return Errno.Ok;
        }
    }

    /// <summary>iommu_group_show_type(): the group's sysfs "type" attribute.</summary>
    public string GroupTypeText(IommuGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        lock (group.Mutex)
        {
            string type = group.DefaultDomain?.Type switch
            {
                IommuDomainType.Blocked => "blocked",
                IommuDomainType.Identity => "identity",
                IommuDomainType.Unmanaged => "unmanaged",
                IommuDomainType.Dma => "DMA",
                IommuDomainType.DmaFq => "DMA-FQ",
                _ => "unknown",
            };
            return type + "\n";
        }
    }
}
