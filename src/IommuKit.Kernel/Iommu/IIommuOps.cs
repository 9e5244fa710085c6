using IommuKit.Kernel.Base;

namespace IommuKit.Kernel.Iommu;

/// <summary>
/// The operations an IOMMU driver registers with the core (struct iommu_ops), modelled on a recent
/// kernel: paging domains come from <see cref="DomainAllocPaging"/>; identity and blocked domains
/// are static per-driver objects (<see cref="IdentityDomain"/>, <see cref="BlockedDomain"/>) or,
/// for identity, allocated per device (<see cref="DomainAllocIdentity"/>).
/// </summary>
/// <remarks>
/// Members with a default body model ops a driver may leave NULL; the default is the core's
/// behaviour when the op is absent. Call order for a device: <see cref="ProbeDevice"/> →
/// <see cref="DeviceGroup"/> → (default domain chosen, using <see cref="DefDomainType"/>,
/// <see cref="GetResvRegions"/> and the allocators) → attach → <see cref="ProbeFinalize"/>;
/// on removal <see cref="ReleaseDevice"/>. Errors are Linux errnos; ENODEV from
/// <see cref="ProbeDevice"/> means "not behind this IOMMU".
/// </remarks>
public interface IIommuOps
{
    /// <summary>Driver name (e.g. "arm-smmu-v3"), for messages and for telling which driver probed a device.</summary>
    string Name { get; }

    /// <summary>Page sizes the driver supports; a paging domain left with a zero bitmap gets this one.</summary>
    ulong PgsizeBitmap { get; }

    /// <summary>capable: does the IOMMU behind <paramref name="dev"/> offer <paramref name="cap"/>?</summary>
    bool Capable(Device dev, IommuCap cap) => false;

    /// <summary>probe_device: take the device (store private data in dev.Iommu.Priv) and return its IOMMU instance.</summary>
    Errno ProbeDevice(Device dev, out IommuInstance? iommu);

    /// <summary>release_device: the device leaves; stop using any domain pointer for it.</summary>
    void ReleaseDevice(Device dev)
    {
    }

    /// <summary>probe_finalize: called after the device's default domain is attached.</summary>
    void ProbeFinalize(Device dev)
    {
    }

    /// <summary>
    /// device_group: the group the device belongs to, typically from
    /// <see cref="IommuSubsystem.PciDeviceGroup"/> or <see cref="IommuSubsystem.GenericDeviceGroup"/>
    /// (the returned group carries one reference that the device takes over).
    /// </summary>
    Errno DeviceGroup(Device dev, out IommuGroup? group);

    /// <summary>def_domain_type: the default domain type this device needs (Identity or Dma), or null for no preference.</summary>
    IommuDomainType? DefDomainType(Device dev) => null;

    /// <summary>get_resv_regions: append the device's reserved regions.</summary>
    void GetResvRegions(Device dev, List<IommuResvRegion> regions)
    {
    }

    /// <summary>domain_alloc_paging: a new empty paging domain usable by <paramref name="dev"/> (the core sets its type).</summary>
    Errno DomainAllocPaging(Device dev, out IommuDomain? domain)
    {
        domain = null;
        return Errno.EOPNOTSUPP;
    }

    /// <summary>domain_alloc_identity: a per-device identity domain, for drivers without a static one.</summary>
    Errno DomainAllocIdentity(Device dev, out IommuDomain? domain)
    {
        domain = null;
        return Errno.EOPNOTSUPP;
    }

    /// <summary>identity_domain: the driver's static IDENTITY domain, or null.</summary>
    IommuDomain? IdentityDomain => null;

    /// <summary>blocked_domain: the driver's static BLOCKED domain, or null (the core then blocks with an empty paging domain).</summary>
    IommuDomain? BlockedDomain => null;

    /// <summary>release_domain: a domain the core attaches before release_device (typically the blocked domain), or null.</summary>
    IommuDomain? ReleaseDomain => null;

    /// <summary>of_xlate: add the devicetree "iommus" specifier <paramref name="args"/> to the device's fwspec.</summary>
    Errno OfXlate(Device dev, ReadOnlySpan<uint> args) => Errno.ENODEV;
}
