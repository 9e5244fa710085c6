using IommuKit.Kernel.Base;
using IommuKit.Kernel.Pci;

namespace IommuKit.Kernel.Iommu;

public sealed partial class IommuSubsystem
{
    /// <summary>
    /// REQ_ACS_FLAGS: a PCI device counts as isolated only if ACS provides Source Validation,
    /// Request Redirect, Completion Redirect and Upstream Forwarding.
    /// </summary>
    public const PciAcs ReqAcsFlags = PciAcs.SV | PciAcs.RR | PciAcs.CR | PciAcs.UF;

    /// <summary>generic_device_group(): one new group per device.</summary>
    public Errno GenericDeviceGroup(Device dev, out IommuGroup? group)
    {
        ArgumentNullException.ThrowIfNull(dev);
        group = IommuGroupAlloc();
        return Errno.Ok;
    }

    /// <summary>generic_single_device_group(): one group shared by every device of the IOMMU instance.</summary>
    public Errno GenericSingleDeviceGroup(Device dev, out IommuGroup? group)
    {
        ArgumentNullException.ThrowIfNull(dev);
        IommuInstance iommu = dev.Iommu?.IommuDev ?? throw new InvalidOperationException("generic_single_device_group needs a probed device.");
        iommu.SingletonGroup ??= IommuGroupAlloc();
        group = IommuGroupRefGet(iommu.SingletonGroup);
        return Errno.Ok;
    }

    /// <summary>
    /// pci_device_group(): the group a PCI device must share. In order: a group already held by one
    /// of its DMA aliases (topology aliases make devices indistinguishable); going upstream from the
    /// last alias, the group of any bridge below the first point where ACS isolates the path
    /// (<see cref="ReqAcsFlags"/> up to the root); groups of devices it aliases or that alias it;
    /// groups of the other functions of a multi-function device without ACS; else a new group.
    /// The result carries a reference for the caller.
    /// </summary>
    public Errno PciDeviceGroup(Device dev, out IommuGroup? group)
    {
        ArgumentNullException.ThrowIfNull(dev);
        group = null;
        if (dev is not PciDevice pdev)
        {
            Warn("pci_device_group");
            return Errno.EINVAL;
        }

        // Find the upstream DMA alias; a device aliased by topology cannot have its own group.
        PciDevice last = pdev;
        IommuGroup? found = null;
        if (pdev.ForEachDmaAlias((d, _) =>
        {
            last = d;
            found = IommuGroupGet(d);
            return found is null ? 0 : 1;
        }) != 0)
        {
            group = found;
            return Errno.Ok;
        }

        pdev = last;

        // Continue upstream to the point where ACS protects devices from peer-to-peer DMA.
        for (PciBus bus = pdev.Bus; !bus.IsRoot; bus = bus.Parent!)
        {
            if (bus.Self is null)
            {
                continue;
            }

            if (PciDevice.AcsPathEnabled(bus.Self, null, ReqAcsFlags))
            {
                break;
            }

            pdev = bus.Self;
            if (IommuGroupGet(pdev) is { } bridgeGroup)
            {
                group = bridgeGroup;
                return Errno.Ok;
            }
        }

        // Devices we alias or that alias us; then non-isolated functions of the same slot.
        ulong[] devfns = new ulong[4];
        group = GetPciAliasGroup(pdev, devfns) ?? GetPciFunctionAliasGroup(pdev, devfns) ?? IommuGroupAlloc();
        return Errno.Ok;
    }

    /// <summary>get_pci_function_alias_group(): for a multi-function device without ACS, the group of a sibling function without ACS.</summary>
    private IommuGroup? GetPciFunctionAliasGroup(PciDevice pdev, ulong[] devfns)
    {
        if (!pdev.IsMultifunction || pdev.AcsEnabled(ReqAcsFlags))
        {
            return null;
        }

        foreach (PciDevice tmp in pdev.Bus.Devices)
        {
            if (tmp == pdev || tmp.Slot != pdev.Slot || tmp.AcsEnabled(ReqAcsFlags))
            {
                continue;
            }

            if (GetPciAliasGroup(tmp, devfns) is { } group)
            {
                return group;
            }
        }

        return null;
    }

    /// <summary>get_pci_alias_group(): the device's group, or one reached through DMA aliases on its bus (loop-protected by a devfn bitmap).</summary>
    private IommuGroup? GetPciAliasGroup(PciDevice pdev, ulong[] devfns)
    {
        int devfn = pdev.Devfn;
        ulong bit = 1UL << (devfn & 63);
        if ((devfns[devfn >> 6] & bit) != 0)
        {
            return null;
        }

        devfns[devfn >> 6] |= bit;
        if (IommuGroupGet(pdev) is { } own)
        {
            return own;
        }

        foreach (PciDevice tmp in pdev.Bus.Devices)
        {
            if (tmp == pdev || !PciDevice.DevsAreDmaAliases(pdev, tmp))
            {
                continue;
            }

            if ((GetPciAliasGroup(tmp, devfns) ?? GetPciFunctionAliasGroup(tmp, devfns)) is { } group)
            {
                return group;
            }
        }

        return null;
    }
}
