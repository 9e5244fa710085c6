using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables;

namespace IommuKit.Hardware.Tests.PageTables;

public sealed class SimpleTablePageAllocatorTests
{
    private readonly PhysicalMemory _memory = new();

    public SimpleTablePageAllocatorTests() => _memory.AddRam(0x4000_0000, 1UL << 20);

    [Fact]
    public void TryAllocate_NaturallyAlignedAndZeroed()
    {
        var a = new SimpleTablePageAllocator(_memory, 0x4000_0000, 1UL << 20);
        Assert.True(a.TryAllocate(64, out ulong small));
        Assert.True(a.TryAllocate(16384, out ulong big));
        Assert.Equal(0x4000_0000UL, small);
        Assert.Equal(0UL, big & 16383);

        Assert.Equal(BusStatus.Ok, _memory.Write64(big + 8, 0xDEAD, BusAccess.Cpu));
        a.Free(big, 16384);
        Assert.True(a.TryAllocate(16384, out ulong again));
        Assert.Equal(big, again);
        Assert.Equal(BusStatus.Ok, _memory.Read64(again + 8, BusAccess.Cpu, out ulong v));
        Assert.Equal(0UL, v);
        Assert.Equal(2, a.AllocatedCount);
        Assert.Equal(64 + 16384, a.AllocatedBytes);
    }

    [Fact]
    public void TryAllocate_GapsReused()
    {
        var a = new SimpleTablePageAllocator(_memory, 0x4000_0000, 1UL << 20);
        Assert.True(a.TryAllocate(64, out _));
        Assert.True(a.TryAllocate(4096, out ulong page));
        Assert.Equal(0x4000_1000UL, page);
        Assert.True(a.TryAllocate(2048, out ulong gap));
        Assert.True(gap < page); // the alignment gap below the page was kept
    }

    [Fact]
    public void TryAllocate_Exhausted_FalseThenSplitsFreedBlocks()
    {
        var a = new SimpleTablePageAllocator(_memory, 0x4000_0000, 8192);
        Assert.True(a.TryAllocate(8192, out ulong all));
        Assert.False(a.TryAllocate(64, out _));
        a.Free(all, 8192);
        Assert.True(a.TryAllocate(4096, out ulong p1));
        Assert.True(a.TryAllocate(4096, out ulong p2));
        Assert.NotEqual(p1, p2);
        Assert.False(a.TryAllocate(4096, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(32)]
    [InlineData(100)]
    public void TryAllocate_BadSize_Throws(int bytes)
    {
        var a = new SimpleTablePageAllocator(_memory, 0x4000_0000, 1UL << 20);
        Assert.Throws<ArgumentOutOfRangeException>(() => a.TryAllocate(bytes, out _));
    }

    [Fact]
    public void Constructor_RangeNotRam_Throws()
    {
        Assert.Throws<ArgumentException>(() => new SimpleTablePageAllocator(_memory, 0x3000_0000, 4096));
        Assert.Throws<ArgumentException>(() => new SimpleTablePageAllocator(_memory, 0x4000_0010, 4096));
    }
}
