using System.Numerics;
using System.Runtime.CompilerServices;
using IommuKit.Hardware.PageTables;

namespace IommuKit.Kernel.Iommu;

public sealed partial class IommuSubsystem
{
    /// <summary>
    /// iommu_map(): map [iova, iova + size) to paddr, split into the largest pages the domain allows
    /// (<see cref="PageSize"/>), then iotlb_sync_map. EINVAL for a non-paging domain or if iova,
    /// paddr or size is not a multiple of the smallest page size; ENODEV if the domain has no page
    /// sizes; a driver error after partial success unmaps what was mapped and is returned.
    /// Allocation-free unless it fails.
    /// </summary>
    public Errno Map(IommuDomain domain, ulong iova, ulong paddr, ulong size, IommuProt prot)
    {
        Errno ret = MapNoSync(domain, iova, paddr, size, prot);
        if (ret != Errno.Ok)
        {
            return ret;
        }

        ret = SyncMap(domain, iova, size);
        if (ret != Errno.Ok)
        {
            Unmap(domain, iova, size);
        }

        return ret;
    }

    /// <summary>iommu_map_nosync(): <see cref="Map"/> without the final iotlb_sync_map.</summary>
    public Errno MapNoSync(IommuDomain domain, ulong iova, ulong paddr, ulong size, IommuProt prot)
    {
        ArgumentNullException.ThrowIfNull(domain);
        CheckLive(domain);
        if (!domain.Type.IsPaging())
        {
            return Errno.EINVAL;
        }

        ulong bitmap = domain.PgsizeBitmap;
        if (bitmap == 0)
        {
            Warn("__iommu_map_domain_pgtbl");
            return Errno.ENODEV;
        }

        ulong minPagesz = 1UL << BitOperations.TrailingZeroCount(bitmap);
        if (((iova | paddr | size) & (minPagesz - 1)) != 0)
        {
            LogUnalignedMap(iova, paddr, size, minPagesz);
            return Errno.EINVAL;
        }

        IIommuDomainOps ops = domain.Ops;
        ulong origIova = iova;
        ulong origSize = size;
        Errno ret = Errno.Ok;
        while (size != 0)
        {
            ulong pgsize = PageSize(bitmap, iova, paddr, size, out ulong count);
            ret = ops.MapPages(domain, iova, paddr, pgsize, count, prot, out ulong mapped);
            if (mapped > size)
            {
                ThrowDriverBug("map_pages reported more bytes than requested");
            }

            // Some pages may be mapped even when an error is returned: account for them so they are unmapped.
            size -= mapped;
            if (ret != Errno.Ok)
            {
                break;
            }

            if (mapped == 0)
            {
                ThrowDriverBug("map_pages succeeded without mapping anything");
            }

            iova += mapped;
            paddr += mapped;
        }

        if (ret != Errno.Ok)
        {
            Unmap(domain, origIova, origSize - size);
        }

        return ret;
    }

    /// <summary>iommu_sync_map(): the driver's iotlb_sync_map, if any.</summary>
    public Errno SyncMap(IommuDomain domain, ulong iova, ulong size)
    {
        ArgumentNullException.ThrowIfNull(domain);
        return domain.Ops.IotlbSyncMap(domain, iova, size);
    }

    /// <summary>
    /// iommu_unmap(): unmap from iova, returning the bytes unmapped (never an errno), then sync the
    /// IOTLB. Stops at the first hole. 0 for a non-paging domain or if iova or size is not a
    /// multiple of the smallest page size. Allocation-free unless misaligned.
    /// </summary>
    public ulong Unmap(IommuDomain domain, ulong iova, ulong size)
    {
        IommuIotlbGather gather = IommuIotlbGather.Create();
        ulong ret = UnmapFast(domain, iova, size, ref gather);
        IotlbSync(domain, ref gather);
        return ret;
    }

    /// <summary>iommu_unmap_fast(): as <see cref="Unmap"/> but only gathers; the caller calls <see cref="IotlbSync"/>.</summary>
    public ulong UnmapFast(IommuDomain domain, ulong iova, ulong size, ref IommuIotlbGather gather)
    {
        ArgumentNullException.ThrowIfNull(domain);
        CheckLive(domain);
        if (!domain.Type.IsPaging())
        {
            return 0;
        }

        ulong bitmap = domain.PgsizeBitmap;
        if (bitmap == 0)
        {
            Warn("__iommu_unmap_domain_pgtbl");
            return 0;
        }

        ulong minPagesz = 1UL << BitOperations.TrailingZeroCount(bitmap);
        if (((iova | size) & (minPagesz - 1)) != 0)
        {
            LogUnalignedUnmap(iova, size, minPagesz);
            return 0;
        }

        IIommuDomainOps ops = domain.Ops;
        ulong unmapped = 0;
        while (unmapped < size)
        {
            ulong pgsize = PageSize(bitmap, iova, iova, size - unmapped, out ulong count);
            ulong unmappedPage = ops.UnmapPages(domain, iova, pgsize, count, ref gather);
            if (unmappedPage == 0)
            {
                break;
            }

            // If the driver itself is not using the gather, make it look non-empty so iotlb_sync still runs.
            if (gather.Start >= gather.End)
            {
                gather.AddRange(iova, size);
            }

            iova += unmappedPage;
            unmapped += unmappedPage;
        }

        return unmapped;
    }

    /// <summary>iommu_iotlb_sync(): the driver's iotlb_sync, then the gather is reset.</summary>
    public void IotlbSync(IommuDomain domain, ref IommuIotlbGather gather)
    {
        ArgumentNullException.ThrowIfNull(domain);
        domain.Ops.IotlbSync(domain, ref gather);
        gather.Init();
    }

    /// <summary>iommu_flush_iotlb_all().</summary>
    public void FlushIotlbAll(IommuDomain domain)
    {
        ArgumentNullException.ThrowIfNull(domain);
        domain.Ops.FlushIotlbAll(domain);
    }

    /// <summary>iommu_iova_to_phys(): IDENTITY returns the IOVA, BLOCKED 0, otherwise the driver's lookup (0 if unmapped).</summary>
    public ulong IovaToPhys(IommuDomain domain, ulong iova)
    {
        ArgumentNullException.ThrowIfNull(domain);
        CheckLive(domain);
        return domain.Type switch
        {
            IommuDomainType.Identity => iova,
            IommuDomainType.Blocked => 0,
            _ => domain.Ops.IovaToPhys(domain, iova),
        };
    }

    /// <summary>
    /// iommu_map_sg(): map segments back to back from <paramref name="iova"/>, coalescing physically
    /// contiguous ones, then sync once. On error everything mapped is unmapped and the errno returned.
    /// </summary>
    public Errno MapSg(IommuDomain domain, ulong iova, ReadOnlySpan<IommuSgEntry> sg, IommuProt prot, out ulong mapped)
    {
        ArgumentNullException.ThrowIfNull(domain);
        mapped = 0;
        ulong len = 0;
        ulong start = 0;
        Errno ret;
        for (int i = 0; i <= sg.Length; i++)
        {
            bool flush = i == sg.Length || (len != 0 && sg[i].Phys != start + len);
            if (flush && len != 0)
            {
                ret = MapNoSync(domain, iova + mapped, start, len, prot);
                if (ret != Errno.Ok)
                {
                    Unmap(domain, iova, mapped);
                    mapped = 0;
                    return ret;
                }

                mapped += len;
                len = 0;
            }

            if (i == sg.Length)
            {
                break;
            }

            if (len != 0)
            {
                len += sg[i].Length;
            }
            else
            {
                len = sg[i].Length;
                start = sg[i].Phys;
            }
        }

        ret = SyncMap(domain, iova, mapped);
        if (ret != Errno.Ok)
        {
            Unmap(domain, iova, mapped);
            mapped = 0;
        }

        return ret;
    }

    /// <summary>
    /// iommu_pgsize(): the page size for the next map/unmap step at iova/paddr with
    /// <paramref name="size"/> bytes left: the largest size in <paramref name="bitmap"/> no larger
    /// than the remaining size and the alignment of iova | paddr. <paramref name="count"/> pages of
    /// it are used, stopping early where the next larger size would become usable (only if iova and
    /// paddr share the same offset within that larger page).
    /// </summary>
    public static ulong PageSize(ulong bitmap, ulong iova, ulong paddr, ulong size, out ulong count)
    {
        ulong addrMerge = paddr | iova;

        // Page sizes supported by the hardware and small enough for size.
        ulong pgsizes = bitmap & GenMask(63 - BitOperations.LeadingZeroCount(size));

        // Constrain further by the maximum alignment.
        if (addrMerge != 0)
        {
            pgsizes &= GenMask(BitOperations.TrailingZeroCount(addrMerge));
        }

        if (pgsizes == 0)
        {
            ThrowDriverBug("no page size fits (BUG_ON in iommu_pgsize)");
        }

        int pgsizeIdx = 63 - BitOperations.LeadingZeroCount(pgsizes);
        ulong pgsize = 1UL << pgsizeIdx;

        // The next bigger supported size, if any.
        pgsizes = bitmap & ~GenMask(pgsizeIdx);
        if (pgsizes != 0)
        {
            ulong pgsizeNext = 1UL << BitOperations.TrailingZeroCount(pgsizes);

            // No point trying a bigger page unless iova and paddr are offset alike within it.
            if (((iova ^ paddr) & (pgsizeNext - 1)) == 0)
            {
                ulong offset = pgsizeNext - (addrMerge & (pgsizeNext - 1));
                ulong offsetEnd = offset + pgsizeNext;
                if (offsetEnd >= offset && offsetEnd <= size)
                {
                    size = offset;
                }
            }
        }

        count = size >> pgsizeIdx;
        return pgsize;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong GenMask(int high) => high >= 63 ? ulong.MaxValue : (1UL << (high + 1)) - 1;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void LogUnalignedMap(ulong iova, ulong paddr, ulong size, ulong minPagesz) =>
        PrErr($"unaligned: iova 0x{iova:x} pa 0x{paddr:x16} size 0x{size:x} min_pagesz 0x{minPagesz:x}");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void LogUnalignedUnmap(ulong iova, ulong size, ulong minPagesz) =>
        PrErr($"unaligned: iova 0x{iova:x} size 0x{size:x} min_pagesz 0x{minPagesz:x}");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowDriverBug(string what) => throw new InvalidOperationException("IOMMU driver bug: " + what + ".");
}
