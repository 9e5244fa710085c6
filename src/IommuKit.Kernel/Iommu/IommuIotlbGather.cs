namespace IommuKit.Kernel.Iommu;

/// <summary>
/// struct iommu_iotlb_gather: the IOVA range (and page size) unmapped since the last sync, so the
/// driver can invalidate it in one go. Passed by reference through unmap and sync; allocation-free.
/// </summary>
public struct IommuIotlbGather
{
    /// <summary>Lowest IOVA gathered (ULONG_MAX when empty).</summary>
    public ulong Start;

    /// <summary>Highest IOVA gathered, inclusive (0 when empty).</summary>
    public ulong End;

    /// <summary>Page size of the gathered entries (0 if unknown or mixed).</summary>
    public ulong PgSize;

    /// <summary>True if the invalidation is deferred to a flush queue (the driver must not sync now).</summary>
    public bool Queued;

    /// <summary>An empty gather (iommu_iotlb_gather_init).</summary>
    public static IommuIotlbGather Create() => new() { Start = ulong.MaxValue };

    /// <summary>True if nothing has been gathered.</summary>
    public readonly bool IsEmpty => Start > End;

    /// <summary>iommu_iotlb_gather_init().</summary>
    public void Init() => this = Create();

    /// <summary>iommu_iotlb_gather_add_range(): widens the range to cover [iova, iova + size).</summary>
    public void AddRange(ulong iova, ulong size)
    {
        ulong end = iova + size - 1;
        if (Start > iova)
        {
            Start = iova;
        }

        if (End < end)
        {
            End = end;
        }
    }

    /// <summary>iommu_iotlb_gather_is_disjoint(): the new range neither overlaps nor touches the gathered one.</summary>
    public readonly bool IsDisjoint(ulong iova, ulong size)
    {
        ulong start = iova;
        ulong end = start + size - 1;
        return End != 0 && (end + 1 < Start || start > End + 1);
    }

    /// <summary>
    /// iommu_iotlb_gather_add_page(): syncs first if the page size changes or the range would become
    /// disjoint, then gathers the page.
    /// </summary>
    public void AddPage(IommuDomain domain, ulong iova, ulong size)
    {
        ArgumentNullException.ThrowIfNull(domain);
        if ((PgSize != 0 && PgSize != size) || IsDisjoint(iova, size))
        {
            domain.Ops.IotlbSync(domain, ref this);
            Init();
        }

        PgSize = size;
        AddRange(iova, size);
    }
}
