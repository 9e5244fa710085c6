namespace IommuKit.Hardware.PageTables;

/// <summary>
/// Where page-table code gets its table pages (Linux: <c>iommu_alloc_pages_node_sz</c>, or a
/// driver's <c>io_pgtable_cfg.alloc/free</c>). Pages live in simulated RAM.
/// </summary>
/// <remarks>
/// <paramref name="bytes"/> is a power of two of at least 64. An allocation is zeroed (as the CPU
/// sees it) and naturally aligned to its size. Implementations must be thread-safe: map and unmap of
/// disjoint ranges run concurrently.
/// </remarks>
public interface ITablePageAllocator
{
    /// <summary>Allocates <paramref name="bytes"/> zeroed, naturally aligned bytes; false when memory is exhausted.</summary>
    bool TryAllocate(int bytes, out ulong pa);

    /// <summary>Returns an allocation made with the same <paramref name="bytes"/>.</summary>
    void Free(ulong pa, int bytes);
}
