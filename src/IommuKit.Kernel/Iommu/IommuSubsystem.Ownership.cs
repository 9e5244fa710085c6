using IommuKit.Kernel.Base;

namespace IommuKit.Kernel.Iommu;

public sealed partial class IommuSubsystem
{
    /// <summary>
    /// iommu_device_use_default_domain(): a DMA-API driver binds. EPROBE_DEFER before the group has a
    /// default domain; EBUSY if the group is in use otherwise (owned, or not on its default domain).
    /// A device without a group is fine (0).
    /// </summary>
    public Errno DeviceUseDefaultDomain(Device dev)
    {
        ArgumentNullException.ThrowIfNull(dev);
        IommuGroup? group = dev.IommuGroup;
        if (group is null)
        {
            return Errno.Ok;
        }

        lock (group.Mutex)
        {
            if (group.DefaultDomain is null)
            {
                return Errno.EPROBE_DEFER;
            }

            if (group.OwnerCount != 0 && (group.Domain != group.DefaultDomain || group.Owner is not null))
            {
                return Errno.EBUSY;
            }

            group.OwnerCount++;
            return Errno.Ok;
        }
    }

    /// <summary>iommu_device_unuse_default_domain(): the DMA-API driver unbinds.</summary>
    public void DeviceUnuseDefaultDomain(Device dev)
    {
        ArgumentNullException.ThrowIfNull(dev);
        IommuGroup? group = dev.IommuGroup;
        if (group is null)
        {
            return;
        }

        lock (group.Mutex)
        {
            if (group.OwnerCount == 0)
            {
                Warn("iommu_device_unuse_default_domain");
                return;
            }

            group.OwnerCount--;
        }
    }

    /// <summary>
    /// iommu_group_claim_dma_owner() (legacy VFIO group path): EINVAL for a null owner; EPERM if any
    /// user exists; EBUSY if the group is attached to a non-default domain; otherwise the group is
    /// switched to its blocking domain and owned.
    /// </summary>
    public Errno GroupClaimDmaOwner(IommuGroup group, object? owner)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (owner is null)
        {
            Warn("iommu_group_claim_dma_owner");
            return Errno.EINVAL;
        }

        lock (group.Mutex)
        {
            return group.OwnerCount != 0 ? Errno.EPERM : TakeDmaOwnership(group, owner);
        }
    }

    /// <summary>iommu_group_release_dma_owner(): drops ownership and restores the default domain.</summary>
    public void GroupReleaseDmaOwner(IommuGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        lock (group.Mutex)
        {
            ReleaseDmaOwnership(group);
        }
    }

    /// <summary>
    /// iommu_device_claim_dma_owner() (iommufd, VFIO cdev): EINVAL for a null owner; ENODEV without a
    /// group; if the group is already claimed, EPERM unless by the same owner (then counted); else
    /// ownership is taken as for the group claim (EBUSY if on a non-default domain).
    /// </summary>
    public Errno DeviceClaimDmaOwner(Device dev, object? owner)
    {
        ArgumentNullException.ThrowIfNull(dev);
        if (owner is null)
        {
            Warn("iommu_device_claim_dma_owner");
            return Errno.EINVAL;
        }

        IommuGroup? group = dev.IommuGroup;
        if (group is null)
        {
            return Errno.ENODEV;
        }

        lock (group.Mutex)
        {
            if (group.OwnerCount != 0)
            {
                if (group.Owner != owner)
                {
                    return Errno.EPERM;
                }

                group.OwnerCount++;
                return Errno.Ok;
            }

            return TakeDmaOwnership(group, owner);
        }
    }

    /// <summary>iommu_device_release_dma_owner(): the last release restores the default domain.</summary>
    public void DeviceReleaseDmaOwner(Device dev)
    {
        ArgumentNullException.ThrowIfNull(dev);
        IommuGroup group = dev.IommuGroup ?? throw new InvalidOperationException($"{dev} has no IOMMU group.");
        lock (group.Mutex)
        {
            if (group.OwnerCount > 1)
            {
                group.OwnerCount--;
            }
            else
            {
                ReleaseDmaOwnership(group);
            }
        }
    }

    /// <summary>iommu_group_dma_owner_claimed(): true if any user (DMA-API driver or owner) holds the group.</summary>
    public bool GroupDmaOwnerClaimed(IommuGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        lock (group.Mutex)
        {
            return group.OwnerCount != 0;
        }
    }

    /// <summary>__iommu_take_dma_ownership().</summary>
    private Errno TakeDmaOwnership(IommuGroup group, object owner)
    {
        if (group.Domain is not null && group.Domain != group.DefaultDomain)
        {
            return Errno.EBUSY;
        }

        Errno ret = GroupAllocBlockingDomain(group);
        if (ret != Errno.Ok)
        {
            return ret;
        }

        ret = GroupSetDomainInternal(group, group.BlockingDomain!, mustSucceed: false);
        if (ret != Errno.Ok)
        {
            return ret;
        }

        group.Owner = owner;
        group.OwnerCount++;
        return Errno.Ok;
    }

    /// <summary>__iommu_release_dma_ownership().</summary>
    private void ReleaseDmaOwnership(IommuGroup group)
    {
        if (group.OwnerCount == 0 || group.Owner is null)
        {
            Warn("__iommu_release_dma_ownership");
            return;
        }

        group.OwnerCount = 0;
        group.Owner = null;
        if (group.DefaultDomain is null || GroupSetDomainInternal(group, group.DefaultDomain, mustSucceed: true) != Errno.Ok)
        {
            Warn("__iommu_group_set_domain_nofail");
        }
    }

    /// <summary>
    /// __iommu_group_alloc_blocking_domain(): the driver's static blocked domain, else an empty
    /// paging (UNMANAGED) domain serves as the blocker.
    /// </summary>
    private Errno GroupAllocBlockingDomain(IommuGroup group)
    {
        if (group.BlockingDomain is not null)
        {
            return Errno.Ok;
        }

        Device dev = group.DeviceList[0];
        IIommuOps ops = dev.Iommu!.Ops!;
        if (ops.BlockedDomain is { } blocked)
        {
            blocked.IsStatic = true;
            group.BlockingDomain = blocked;
            return Errno.Ok;
        }

        Errno ret = PagingDomainAllocType(dev, IommuDomainType.Unmanaged, out IommuDomain? domain);
        if (ret != Errno.Ok)
        {
            return ret;
        }

        group.BlockingDomain = domain;
        return Errno.Ok;
    }
}
