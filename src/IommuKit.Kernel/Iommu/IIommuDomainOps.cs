using IommuKit.Hardware.PageTables;
using IommuKit.Kernel.Base;

namespace IommuKit.Kernel.Iommu;

/// <summary>
/// The per-domain driver operations (struct iommu_domain_ops). A driver returns an
/// <see cref="IommuDomain"/> whose <see cref="IommuDomain.Ops"/> implements this; the core calls it
/// with the group lock held for attach, and without locks for map/unmap (callers serialise
/// overlapping ranges, as in Linux).
/// </summary>
/// <remarks>
/// Members with a default body model an op the driver may leave NULL in Linux; the default is
/// what the core does when the op is absent: no map/unmap support (ENODEV / 0 bytes), no
/// IOTLB maintenance, enforce_cache_coherency refused, nothing to free. Static identity and
/// blocked domains implement <see cref="AttachDev"/> only.
/// Contract details drivers must honour (they are what the core relies on):
/// <list type="bullet">
/// <item><see cref="AttachDev"/> returns EINVAL when the domain is incompatible with the device
/// (another domain may work; iommufd relies on it), and must not fail when re-attaching a domain
/// the device had before (error unwind).</item>
/// <item><see cref="MapPages"/> maps <paramref name="pgcount"/> pages of one size, reports in
/// <c>mapped</c> how many bytes it did map even when it fails, and fails with EEXIST if a mapping
/// is already present, ENOMEM, ERANGE (outside the input/output address size) or EINVAL
/// (unsupported prot). The core unmaps the partial result on failure.</item>
/// <item><see cref="UnmapPages"/> returns the bytes unmapped starting at <c>iova</c>; 0 means
/// nothing is mapped there (the core stops). It must not sync the IOTLB itself unless it has no
/// other way; it records what to invalidate in the gather.</item>
/// <item>Hot-path members (map, unmap, iova_to_phys, sync) must not allocate.</item>
/// </list>
/// </remarks>
public interface IIommuDomainOps
{
    /// <summary>attach_dev: make <paramref name="dev"/> translate through <paramref name="domain"/>; <paramref name="old"/> is its current domain (null on first attach).</summary>
    Errno AttachDev(IommuDomain domain, Device dev, IommuDomain? old);

    /// <summary>map_pages: map <paramref name="pgcount"/> pages of <paramref name="pgsize"/> bytes at <paramref name="iova"/> → <paramref name="paddr"/>.</summary>
    Errno MapPages(IommuDomain domain, ulong iova, ulong paddr, ulong pgsize, ulong pgcount, IommuProt prot, out ulong mapped)
    {
        mapped = 0;
        return Errno.ENODEV;
    }

    /// <summary>unmap_pages: unmap up to <paramref name="pgcount"/> pages of <paramref name="pgsize"/>; returns bytes unmapped (0: nothing mapped at iova).</summary>
    ulong UnmapPages(IommuDomain domain, ulong iova, ulong pgsize, ulong pgcount, ref IommuIotlbGather gather) => 0;

    /// <summary>iova_to_phys: the physical address <paramref name="iova"/> translates to, or 0 if unmapped.</summary>
    ulong IovaToPhys(IommuDomain domain, ulong iova) => 0;

    /// <summary>iotlb_sync_map: make new mappings visible (flush queued requests, caching-mode invalidation).</summary>
    Errno IotlbSyncMap(IommuDomain domain, ulong iova, ulong size) => Errno.Ok;

    /// <summary>iotlb_sync: invalidate what <paramref name="gather"/> collected.</summary>
    void IotlbSync(IommuDomain domain, ref IommuIotlbGather gather)
    {
    }

    /// <summary>flush_iotlb_all: invalidate every cached translation of the domain.</summary>
    void FlushIotlbAll(IommuDomain domain)
    {
    }

    /// <summary>
    /// enforce_cache_coherency: from now on every mapping ignores the device's No-Snoop attribute;
    /// true on success. Later attaches of devices that cannot honour it must fail with EINVAL.
    /// </summary>
    bool EnforceCacheCoherency(IommuDomain domain) => false;

    /// <summary>free: release the domain's resources (never called for static domains).</summary>
    void Free(IommuDomain domain)
    {
    }
}
