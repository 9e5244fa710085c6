using IommuKit.Hardware.PageTables;

namespace IommuKit.Hardware.Tests.PageTables;

/// <summary>
/// Flush callbacks that record what the page-table code asked for and, like Linux's selftest
/// dummy ops, check that every size passed is one of the table's page sizes.
/// </summary>
internal sealed class RecordingFlushOps : IIoPageTableFlushOps
{
    private readonly Lock _lock = new();

    public ulong PgsizeBitmap { get; set; } = ulong.MaxValue;

    public int FlushAllCount { get; private set; }

    public List<(ulong Iova, ulong Size, ulong Granule)> Walks { get; } = [];

    public List<(ulong Iova, ulong Granule)> Pages { get; } = [];

    public void TlbFlushAll()
    {
        lock (_lock)
        {
            FlushAllCount++;
        }
    }

    public void TlbFlushWalk(ulong iova, ulong size, ulong granule)
    {
        Assert.True((size & PgsizeBitmap) == size && size != 0, $"tlb_flush_walk size 0x{size:x} is not a page size");
        lock (_lock)
        {
            Walks.Add((iova, size, granule));
        }
    }

    public void TlbAddPage(IotlbGather gather, ulong iova, ulong granule)
    {
        Assert.True((granule & PgsizeBitmap) == granule && granule != 0, $"tlb_add_page size 0x{granule:x} is not a page size");
        lock (_lock)
        {
            Pages.Add((iova, granule));
        }

        gather.Add(iova, granule);
    }
}
