namespace IommuKit.Hardware.PageTables;

/// <summary>
/// The range of IOVA whose TLB entries an unmap has made stale, gathered so that the driver can
/// invalidate it in one go at <c>iotlb_sync</c> (Linux <c>struct iommu_iotlb_gather</c>).
/// </summary>
/// <remarks>
/// <see cref="Start"/> and <see cref="End"/> are inclusive; an empty gather has
/// <see cref="Start"/> = <see cref="ulong.MaxValue"/> and <see cref="End"/> = 0. When
/// <see cref="Queued"/> is set (the domain uses a deferred flush queue), page-table code does not
/// report leaves at all: a later full flush cleans up. Adding never allocates. Not thread-safe: a
/// gather belongs to one unmap call.
/// </remarks>
public sealed class IotlbGather
{
    /// <summary>First IOVA of the gathered range (inclusive).</summary>
    public ulong Start { get; private set; } = ulong.MaxValue;

    /// <summary>Last IOVA of the gathered range (inclusive).</summary>
    public ulong End { get; private set; }

    /// <summary>Size of the leaves gathered so far (0 before the first page).</summary>
    public ulong PgSize { get; set; }

    /// <summary>The domain uses a deferred flush queue: leaves are not reported (<c>iommu_iotlb_gather_queued</c>).</summary>
    public bool Queued { get; set; }

    /// <summary>True if nothing was gathered since the last <see cref="Reset"/>.</summary>
    public bool IsEmpty => Start == ulong.MaxValue && End == 0;

    /// <summary>
    /// <c>iommu_iotlb_gather_add_page</c> without the intermediate sync: records a leaf of
    /// <paramref name="size"/> bytes. Callers that cannot batch a different page size or a disjoint
    /// range check <see cref="NeedsSyncBefore"/> first and sync.
    /// </summary>
    public void Add(ulong iova, ulong size)
    {
        PgSize = size;
        AddRange(iova, size);
    }

    /// <summary><c>iommu_iotlb_gather_add_range</c>: extends the range to cover [<paramref name="iova"/>, +<paramref name="size"/>).</summary>
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

    /// <summary><c>iommu_iotlb_gather_is_disjoint</c>: the range would not touch or overlap what is gathered.</summary>
    public bool IsDisjoint(ulong iova, ulong size)
    {
        ulong end = iova + size - 1;
        return End != 0 && (end + 1 < Start || iova > End + 1);
    }

    /// <summary>
    /// The test <c>iommu_iotlb_gather_add_page</c> makes before adding: a different page size or a
    /// disjoint range forces the driver to sync what is gathered first.
    /// </summary>
    public bool NeedsSyncBefore(ulong iova, ulong size) => (PgSize != 0 && PgSize != size) || IsDisjoint(iova, size);

    /// <summary><c>iommu_iotlb_gather_init</c>: empties the gather (keeps <see cref="Queued"/>).</summary>
    public void Reset()
    {
        Start = ulong.MaxValue;
        End = 0;
        PgSize = 0;
    }
}
