using IommuKit.Kernel.Base;
using IommuKit.Kernel.Iommu;

namespace IommuKit.Kernel.Drivers.Mock;

/// <summary>How a device is put into a group by the mock driver's device_group op.</summary>
public enum MockGroupPolicy
{
    /// <summary>pci_device_group for PCI devices, generic_device_group for others (what SMMUv3 and virtio-iommu do).</summary>
    Auto,

    /// <summary>generic_device_group for every device.</summary>
    Generic,

    /// <summary>generic_single_device_group: one group per IOMMU instance.</summary>
    Single,
}

/// <summary>
/// Configuration of a <see cref="MockIommuDriver"/> (the model's counterpart of the iommufd selftest
/// mock driver): page sizes, address sizes, aperture, capabilities, static domains, per-device
/// policy hooks and group policy.
/// </summary>
public sealed record MockIommuOptions
{
    public string Name { get; init; } = "mock-iommu";

    /// <summary>ops->pgsize_bitmap; paging domains inherit it (default 4 KiB pages only).</summary>
    public ulong PgsizeBitmap { get; init; } = 0x1000;

    /// <summary>Input (IOVA) address size in bits; mapping beyond it fails with ERANGE, as io-pgtable does.</summary>
    public int InputAddressBits { get; init; } = 48;

    /// <summary>Output (physical) address size in bits; mapping beyond it fails with ERANGE.</summary>
    public int OutputAddressBits { get; init; } = 48;

    /// <summary>Geometry of new paging domains; null: [0, 2^InputAddressBits - 1] with force_aperture.</summary>
    public IommuDomainGeometry? Geometry { get; init; }

    /// <summary>Capabilities capable() reports for every device.</summary>
    public IReadOnlySet<IommuCap> Caps { get; init; } = new HashSet<IommuCap> { IommuCap.CacheCoherency, IommuCap.DeferredFlush };

    /// <summary>Per-device override of capable(); null: <see cref="Caps"/>.</summary>
    public Func<Device, IommuCap, bool>? Capable { get; init; }

    /// <summary>Offer a static IDENTITY domain (identity_domain).</summary>
    public bool IdentityDomain { get; init; } = true;

    /// <summary>Offer a static BLOCKED domain (blocked_domain); without one the core blocks with an empty paging domain.</summary>
    public bool BlockedDomain { get; init; } = true;

    /// <summary>Use the blocked domain as release_domain.</summary>
    public bool ReleaseToBlocked { get; init; }

    /// <summary>Implement enforce_cache_coherency (succeeds unless a device lacks IOMMU_CAP_ENFORCE_CACHE_COHERENCY).</summary>
    public bool EnforceCacheCoherency { get; init; } = true;

    /// <summary>Which devices probe_device accepts (others get ENODEV); null: all.</summary>
    public Func<Device, bool>? Accept { get; init; }

    /// <summary>def_domain_type per device; null: no preference.</summary>
    public Func<Device, IommuDomainType?>? DefDomainType { get; init; }

    /// <summary>get_resv_regions per device; null: none.</summary>
    public Func<Device, IEnumerable<IommuResvRegion>>? ResvRegions { get; init; }

    public MockGroupPolicy Groups { get; init; } = MockGroupPolicy.Auto;

    /// <summary>Model a driver that cannot install mappings before a device is attached (map_pages then fails with ENODEV).</summary>
    public bool RequireAttachBeforeMap { get; init; }
}
