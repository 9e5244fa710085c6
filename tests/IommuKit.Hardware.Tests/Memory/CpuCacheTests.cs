using IommuKit.Hardware.Memory;

namespace IommuKit.Hardware.Tests.Memory;

/// <summary>
/// The DMA coherency stories a driver writer must get right, told with the cache model: what a
/// non-snooping device sees when software skips or misplaces maintenance, and that snooping
/// devices never need it.
/// </summary>
public sealed class CpuCacheTests
{
    private const ulong Buffer = 0x8010_0000;
    private const int Length = 256; // four lines

    [Fact]
    public void NoSnoopDeviceRead_CpuSkippedClean_ReadsStaleRam()
    {
        PhysicalMemory mem = NewMachine();
        mem.Write(Buffer, Pattern(0xA0), BusAccess.Cpu); // the driver fills a TX buffer

        byte[] seen = new byte[Length];
        Assert.Equal(BusStatus.Ok, mem.Read(Buffer, seen, BusAccess.NoSnoop));

        Assert.Equal(new byte[Length], seen); // the device fetched RAM, which never got the data
        Assert.Equal(4, mem.Cache!.DirtyLineCount);
    }

    [Fact]
    public void NoSnoopDeviceRead_CpuCleanedFirst_ReadsCpuData()
    {
        PhysicalMemory mem = NewMachine();
        mem.Write(Buffer, Pattern(0xA0), BusAccess.Cpu);

        mem.Cache!.Clean(Buffer, Length); // dma_map_single(..., DMA_TO_DEVICE) on a non-coherent device

        byte[] seen = new byte[Length];
        Assert.Equal(BusStatus.Ok, mem.Read(Buffer, seen, BusAccess.NoSnoop));
        Assert.Equal(Pattern(0xA0), seen);
        Assert.Equal(4, mem.Cache.LineCount); // clean keeps the lines, now clean
        Assert.Equal(0, mem.Cache.DirtyLineCount);
    }

    [Fact]
    public void NoSnoopDeviceWrite_CpuHadDirtyLine_CpuReadsItsOwnStaleData()
    {
        PhysicalMemory mem = NewMachine();
        mem.Write(Buffer, new byte[Length], BusAccess.Cpu); // the driver zeroes an RX buffer (dirty lines)

        mem.Write(Buffer, Pattern(0x50), BusAccess.NoSnoop); // the device DMAs a packet into RAM

        byte[] seen = new byte[Length];
        mem.Read(Buffer, seen, BusAccess.Cpu);
        Assert.Equal(new byte[Length], seen); // the CPU hits its dirty lines
    }

    [Fact]
    public void NoSnoopDeviceWrite_CpuDirtyLineCleanedAfterwards_OverwritesDeviceData()
    {
        PhysicalMemory mem = NewMachine();
        mem.Write(Buffer, new byte[Length], BusAccess.Cpu);
        mem.Write(Buffer, Pattern(0x50), BusAccess.NoSnoop);

        mem.Cache!.Clean(Buffer, Length); // the wrong maintenance, too late: writes the stale lines back

        byte[] ram = new byte[Length];
        mem.Read(Buffer, ram, BusAccess.NoSnoop);
        Assert.Equal(new byte[Length], ram); // the device's packet is gone from RAM too
    }

    [Fact]
    public void NoSnoopDeviceWrite_CpuDirtyLineEvictedLater_OverwritesDeviceData()
    {
        var mem = new PhysicalMemory(new CpuCacheOptions { CapacityLines = 4 });
        mem.AddRam(0x8000_0000, 0x100_0000);
        mem.Write64(Buffer, 0x1111, BusAccess.Cpu); // a dirty line nobody cleaned

        mem.Write64(Buffer, 0x2222, BusAccess.NoSnoop); // the device's write reaches RAM
        for (ulong i = 1; i <= 4; i++)
        {
            mem.Read64(Buffer + (i * 0x1000), BusAccess.Cpu, out _); // unrelated CPU work fills the cache
        }

        Assert.False(mem.Cache!.Contains(Buffer));
        Assert.Equal(BusStatus.Ok, mem.Read64(Buffer, BusAccess.NoSnoop, out ulong ram));
        Assert.Equal(0x1111UL, ram); // the eviction wrote the stale line over the device's data
    }

    [Fact]
    public void NoSnoopDeviceWrite_InvalidatedBeforeButNotAfter_SpeculativeFillLeavesCpuStale()
    {
        PhysicalMemory mem = NewMachine();
        mem.Write(Buffer, new byte[Length], BusAccess.Cpu);
        mem.Cache!.CleanInvalidate(Buffer, Length); // dma_map_single(..., DMA_FROM_DEVICE)

        mem.Cache.Prefetch(Buffer, Length); // the CPU speculatively pulls the lines back in during the DMA
        mem.Write(Buffer, Pattern(0x50), BusAccess.NoSnoop);

        byte[] seen = new byte[Length];
        mem.Read(Buffer, seen, BusAccess.Cpu);
        Assert.Equal(new byte[Length], seen); // stale, although the lines are clean

        mem.Cache.Invalidate(Buffer, Length); // dma_unmap_single: invalidate after the DMA, as Linux does
        mem.Read(Buffer, seen, BusAccess.Cpu);
        Assert.Equal(Pattern(0x50), seen);
    }

    [Fact]
    public void NoSnoopDeviceWrite_CleanInvalidateBeforeAndInvalidateAfter_CpuReadsDeviceData()
    {
        PhysicalMemory mem = NewMachine();
        mem.Write(Buffer, new byte[Length], BusAccess.Cpu);

        mem.Cache!.CleanInvalidate(Buffer, Length);
        mem.Write(Buffer, Pattern(0x50), BusAccess.NoSnoop);
        mem.Cache.Invalidate(Buffer, Length);

        byte[] seen = new byte[Length];
        mem.Read(Buffer, seen, BusAccess.Cpu);
        Assert.Equal(Pattern(0x50), seen);
    }

    [Fact]
    public void Invalidate_DirtyLine_DiscardsCpuWrite()
    {
        PhysicalMemory mem = NewMachine();
        mem.Write64(Buffer, 0x77, BusAccess.Cpu);

        mem.Cache!.Invalidate(Buffer + 63, 1);

        Assert.Equal(BusStatus.Ok, mem.Read64(Buffer, BusAccess.Cpu, out ulong v));
        Assert.Equal(0UL, v);
    }

    [Fact]
    public void WriteBackInvalidateAll_WritesEveryDirtyLineAndEmptiesTheCache()
    {
        PhysicalMemory mem = NewMachine();
        mem.AddRam(0x1_0000_0000, 0x1000_0000);
        mem.Write(Buffer, Pattern(0xA0), BusAccess.Cpu);
        mem.Write64(0x1_0000_0040, 0xFEED, BusAccess.Cpu);
        mem.Read64(0x1_0000_1000, BusAccess.Cpu, out _); // a clean line too

        mem.Cache!.WriteBackInvalidateAll();

        Assert.Equal(0, mem.Cache.LineCount);
        Assert.Equal(0, mem.Cache.DirtyLineCount);
        byte[] ram = new byte[Length];
        mem.Read(Buffer, ram, BusAccess.NoSnoop);
        Assert.Equal(Pattern(0xA0), ram);
        Assert.Equal(BusStatus.Ok, mem.Read64(0x1_0000_0040, BusAccess.NoSnoop, out ulong v));
        Assert.Equal(0xFEEDUL, v);
    }

    [Fact]
    public void SnoopRead_CpuDirtyLine_SeesCpuDataWithoutMaintenance()
    {
        PhysicalMemory mem = NewMachine();
        mem.Write(Buffer, Pattern(0xA0), BusAccess.Cpu);

        byte[] seen = new byte[Length];
        mem.Read(Buffer, seen, BusAccess.Snoop);

        Assert.Equal(Pattern(0xA0), seen);
    }

    [Fact]
    public void SnoopWrite_CpuCachedLines_CpuSeesDeviceDataAndKeepsItsOtherBytes()
    {
        PhysicalMemory mem = NewMachine();
        mem.Write(Buffer, Pattern(0xA0), BusAccess.Cpu); // dirty lines
        mem.Read64(Buffer + 0x1000, BusAccess.Cpu, out _); // a clean line

        mem.Write(Buffer + 8, [1, 2, 3, 4], BusAccess.Snoop);
        mem.Write32(Buffer + 0x1000, 0xC0FFEE, BusAccess.Snoop);

        byte[] expected = Pattern(0xA0);
        new byte[] { 1, 2, 3, 4 }.CopyTo(expected, 8);
        byte[] seen = new byte[Length];
        mem.Read(Buffer, seen, BusAccess.Cpu);
        Assert.Equal(expected, seen);
        Assert.Equal(BusStatus.Ok, mem.Read32(Buffer + 0x1000, BusAccess.Cpu, out uint v));
        Assert.Equal(0xC0FFEEu, v);
        Assert.False(mem.Cache!.IsDirty(Buffer + 0x1000));
    }

    [Fact]
    public void SnoopingDevice_InterleavedWithCpuAndMaintenance_AlwaysSeesLatestCpuData()
    {
        var mem = new PhysicalMemory(new CpuCacheOptions { CapacityLines = 3 });
        mem.AddRam(0x8000_0000, 0x10_0000);
        var rng = new Random(20240601);
        var latest = new Dictionary<ulong, ulong>();

        for (int step = 0; step < 5000; step++)
        {
            ulong pa = 0x8000_0000 + ((ulong)rng.Next(64) * 8);
            switch (rng.Next(6))
            {
                case 0:
                case 1:
                    ulong value = (ulong)rng.NextInt64();
                    mem.Write64(pa, value, BusAccess.Cpu);
                    latest[pa] = value;
                    break;
                case 2:
                    ulong devValue = (ulong)rng.NextInt64();
                    mem.Write64(pa, devValue, BusAccess.Snoop);
                    latest[pa] = devValue;
                    break;
                case 3:
                    mem.Cache!.Clean(pa, 8);
                    break;
                default:
                    mem.Read64(pa, BusAccess.Snoop, out ulong seen);
                    Assert.Equal(latest.GetValueOrDefault(pa), seen);
                    break;
            }
        }
    }

    [Fact]
    public void CompareExchange64_CpuInstallsPte_NonCoherentWalkerSeesItOnlyAfterClean()
    {
        PhysicalMemory mem = NewMachine();

        Assert.Equal(BusStatus.Ok, mem.CompareExchange64(Buffer, 0, 0x4000_0003, BusAccess.Cpu, out ulong original));
        Assert.Equal(0UL, original);

        Assert.Equal(BusStatus.Ok, mem.Read64(Buffer, BusAccess.NoSnoop, out ulong walker));
        Assert.Equal(0UL, walker);
        Assert.Equal(BusStatus.Ok, mem.Read64(Buffer, BusAccess.Snoop, out ulong coherentWalker));
        Assert.Equal(0x4000_0003UL, coherentWalker);

        mem.Cache!.Clean(Buffer, 8);
        Assert.Equal(BusStatus.Ok, mem.Read64(Buffer, BusAccess.NoSnoop, out walker));
        Assert.Equal(0x4000_0003UL, walker);
    }

    [Fact]
    public void CompareExchange64_SnoopOnCpuDirtyLine_ComparesAgainstCpuData()
    {
        PhysicalMemory mem = NewMachine();
        mem.Write64(Buffer, 5, BusAccess.Cpu);

        Assert.Equal(BusStatus.Ok, mem.CompareExchange64(Buffer, 5, 6, BusAccess.Snoop, out ulong original));
        Assert.Equal(BusStatus.Ok, mem.CompareExchange64(Buffer, 0, 9, BusAccess.NoSnoop, out ulong ramOriginal));

        Assert.Equal(5UL, original);
        Assert.Equal(6UL, ramOriginal); // the snooping update took the line and wrote RAM, so RAM is current
        Assert.False(mem.Cache!.Contains(Buffer));
        Assert.Equal(BusStatus.Ok, mem.Read64(Buffer, BusAccess.Cpu, out ulong cpu));
        Assert.Equal(6UL, cpu);
    }

    [Fact]
    public void CompareExchange64_NoSnoopUnderCpuDirtyLine_SeesRamOnly()
    {
        PhysicalMemory mem = NewMachine();
        mem.Write64(Buffer, 5, BusAccess.Cpu);

        Assert.Equal(BusStatus.Ok, mem.CompareExchange64(Buffer, 5, 6, BusAccess.NoSnoop, out ulong original));

        Assert.Equal(0UL, original); // RAM still holds 0: no swap
        Assert.Equal(BusStatus.Ok, mem.Read64(Buffer, BusAccess.NoSnoop, out ulong ram));
        Assert.Equal(0UL, ram);
    }

    [Fact]
    public void NoSnoopCpuAccess_NonCacheableMapping_BypassesTheCache()
    {
        PhysicalMemory mem = NewMachine();

        mem.Write64(Buffer, 0x1234, BusAccess.NoSnoop);
        mem.Read64(Buffer, BusAccess.NoSnoop, out ulong v);

        Assert.Equal(0x1234UL, v);
        Assert.Equal(0, mem.Cache!.LineCount);
    }

    [Fact]
    public void MmioAccess_WithCache_NeverAllocatesLines()
    {
        PhysicalMemory mem = NewMachine();
        mem.AddMmio(0x900_0000, 0x1000, new RegisterFileDevice(0x1000));

        mem.Write32(0x900_0000, 1, BusAccess.Cpu);
        mem.Read(0x900_0000, new byte[64], BusAccess.Cpu);
        mem.Cache!.Prefetch(0x900_0000, 0x1000);

        Assert.Equal(0, mem.Cache.LineCount);
    }

    [Fact]
    public void Fill_BeyondCapacity_EvictsOldestFirst()
    {
        var mem = new PhysicalMemory(new CpuCacheOptions { CapacityLines = 3 });
        mem.AddRam(0, 0x1000);
        mem.Read8(0x000, BusAccess.Cpu, out _);
        mem.Write8(0x040, 1, BusAccess.Cpu);
        mem.Read8(0x080, BusAccess.Cpu, out _);
        mem.Read8(0x000, BusAccess.Cpu, out _); // a hit does not refresh FIFO order

        mem.Read8(0x0C0, BusAccess.Cpu, out _);
        Assert.False(mem.Cache!.Contains(0x000));
        mem.Read8(0x100, BusAccess.Cpu, out _);

        Assert.False(mem.Cache.Contains(0x040));
        Assert.Equal(BusStatus.Ok, mem.Read8(0x040, BusAccess.NoSnoop, out byte written));
        Assert.Equal(1, written); // the dirty victim was written back
        Assert.Equal(3, mem.Cache.LineCount);
    }

    [Fact]
    public void FillAndInvalidate_ManyCycles_CacheStaysBoundedAndAllocatesNothing()
    {
        var mem = new PhysicalMemory(new CpuCacheOptions { CapacityLines = 8 });
        mem.AddRam(0, 0x10_0000);
        Cycle(mem); // warm up: the first fills create the lines

        long before = GC.GetAllocatedBytesForCurrentThread();
        Cycle(mem);

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(mem.Cache!.LineCount <= 8);
    }

    [Fact]
    public void Maintenance_RangeLargerThanTheCache_MatchesLineByLineWalk()
    {
        PhysicalMemory walked = NewMachine();
        PhysicalMemory scanned = NewMachine();
        walked.Cache!.Prefetch(0x8800_0000, 20_000 * 64); // more cached lines than the range has: walks the range
        foreach (PhysicalMemory mem in new[] { walked, scanned })
        {
            mem.Write(Buffer, Pattern(0xA0), BusAccess.Cpu);
            mem.Write64(Buffer + 0x10_0000, 9, BusAccess.Cpu);

            mem.Cache!.CleanInvalidate(Buffer + 64, 0x10_0000 - 64); // 16 Ki lines

            Assert.True(mem.Cache.IsDirty(Buffer));
            Assert.False(mem.Cache.Contains(Buffer + 64));
            Assert.False(mem.Cache.Contains(Buffer + 255));
            Assert.True(mem.Cache.IsDirty(Buffer + 0x10_0000));
            Assert.Equal(BusStatus.Ok, mem.Read8(Buffer + 255, BusAccess.NoSnoop, out byte last));
            Assert.Equal(Pattern(0xA0)[255], last);
        }

        Assert.Equal(20_002, walked.Cache.LineCount);
        Assert.Equal(2, scanned.Cache!.LineCount);
    }

    [Fact]
    public void Maintenance_RangeRunningPastTheTopOfTheAddressSpace_IsClamped()
    {
        var mem = new PhysicalMemory(new CpuCacheOptions());
        mem.AddRam(0, 0x1000);
        mem.AddRam(0xFFFF_FFFF_FFFF_F000, 0x1000);
        mem.Write64(ulong.MaxValue - 7, 0xAB, BusAccess.Cpu);
        mem.Write64(0, 0xCD, BusAccess.Cpu);

        mem.Cache!.Clean(ulong.MaxValue - 0x100, 0x1000);
        mem.Cache.Invalidate(ulong.MaxValue, ulong.MaxValue);

        Assert.Equal(BusStatus.Ok, mem.Read64(ulong.MaxValue - 7, BusAccess.NoSnoop, out ulong top));
        Assert.Equal(0xABUL, top);
        Assert.False(mem.Cache.Contains(ulong.MaxValue));
        Assert.True(mem.Cache.IsDirty(0)); // nothing wrapped around to line 0
    }

    [Fact]
    public void Maintenance_ZeroLength_DoesNothing()
    {
        PhysicalMemory mem = NewMachine();
        mem.Write64(Buffer, 1, BusAccess.Cpu);

        mem.Cache!.Invalidate(Buffer, 0);
        mem.Cache.Prefetch(Buffer + 64, 0);

        Assert.True(mem.Cache.IsDirty(Buffer));
        Assert.Equal(1, mem.Cache.LineCount);
    }

    [Fact]
    public void Constructor_ZeroCapacity_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PhysicalMemory(new CpuCacheOptions { CapacityLines = 0 }));
    }

    private static void Cycle(PhysicalMemory mem)
    {
        for (int cycle = 0; cycle < 10_000; cycle++)
        {
            ulong a = (ulong)(cycle % 64) * 64;
            mem.Write64(a, a, BusAccess.Cpu);
            if (cycle % 3 == 0)
            {
                mem.Cache!.CleanInvalidate(a, 64);
            }
        }
    }

    private static PhysicalMemory NewMachine()
    {
        var mem = new PhysicalMemory(new CpuCacheOptions());
        mem.AddRam(0x8000_0000, 0x1000_0000);
        return mem;
    }

    private static byte[] Pattern(byte seed) => Enumerable.Range(0, Length).Select(i => (byte)(seed + i)).ToArray();
}
