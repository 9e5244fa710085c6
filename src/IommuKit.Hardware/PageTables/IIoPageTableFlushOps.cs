namespace IommuKit.Hardware.PageTables;

/// <summary>
/// TLB maintenance callbacks a page-table format asks of its IOMMU driver (Linux
/// <c>struct iommu_flush_ops</c>). Called synchronously from map/unmap.
/// </summary>
public interface IIoPageTableFlushOps
{
    /// <summary><c>tlb_flush_all</c>: invalidate the whole context (ASID / VMID) and wait.</summary>
    void TlbFlushAll();

    /// <summary>
    /// <c>tlb_flush_walk</c>: invalidate leaf and intermediate (walk-cache) entries for
    /// [<paramref name="iova"/>, +<paramref name="size"/>) and wait; used before a table is freed.
    /// </summary>
    void TlbFlushWalk(ulong iova, ulong size, ulong granule);

    /// <summary>
    /// <c>tlb_add_page</c>: queue (or issue without waiting) the invalidation of one leaf of size
    /// <paramref name="granule"/> at <paramref name="iova"/>, recording it in <paramref name="gather"/>.
    /// </summary>
    void TlbAddPage(IotlbGather gather, ulong iova, ulong granule);
}
