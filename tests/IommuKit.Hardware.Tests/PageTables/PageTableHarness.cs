using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables;
using IommuKit.Hardware.PageTables.ArmLpae;

namespace IommuKit.Hardware.Tests.PageTables;

/// <summary>A machine's RAM, a table allocator over part of it, and an LPAE table built on them.</summary>
internal sealed class PageTableHarness
{
    public const ulong RamBase = 0x4000_0000;
    public const ulong RamSize = 1UL << 30;
    public const ulong TablePoolSize = 256UL << 20;

    public PageTableHarness(IoPageTableConfig cfg, CpuCacheOptions? cache = null, ulong poolSize = TablePoolSize)
    {
        Memory = cache is null ? new PhysicalMemory() : new PhysicalMemory(cache);
        Memory.AddRam(RamBase, RamSize);
        Allocator = new SimpleTablePageAllocator(Memory, RamBase, poolSize);
        Flush = new RecordingFlushOps();
        Status = ArmLpaeIoPageTable.TryCreate(cfg, Memory, Allocator, Flush, out ArmLpaeIoPageTable? table);
        Table = table;
        if (table is not null)
        {
            Flush.PgsizeBitmap = table.PgsizeBitmap;
        }
    }

    public PhysicalMemory Memory { get; }

    public SimpleTablePageAllocator Allocator { get; }

    public RecordingFlushOps Flush { get; }

    public PageTableStatus Status { get; }

    public ArmLpaeIoPageTable? Table { get; }

    public ArmLpaeIoPageTable T => Table ?? throw new InvalidOperationException($"TryCreate failed: {Status}");

    public static IoPageTableConfig S1(int ias = 48, int oas = 48, ulong pgsizes = Sizes.Arm4K, bool coherent = true, ArmLpaeQuirks quirks = ArmLpaeQuirks.None) => new()
    {
        Format = ArmLpaeFormat.Arm64LpaeS1,
        PgsizeBitmap = pgsizes,
        Ias = ias,
        Oas = oas,
        CoherentWalk = coherent,
        Quirks = quirks,
    };

    public static IoPageTableConfig S2(int ias = 48, int oas = 48, ulong pgsizes = Sizes.Arm4K, bool coherent = true, ArmLpaeQuirks quirks = ArmLpaeQuirks.None) => new()
    {
        Format = ArmLpaeFormat.Arm64LpaeS2,
        PgsizeBitmap = pgsizes,
        Ias = ias,
        Oas = oas,
        CoherentWalk = coherent,
        Quirks = quirks,
    };

    public ulong ReadPte(ulong pa)
    {
        Assert.Equal(BusStatus.Ok, Memory.Read64(pa, BusAccess.Cpu, out ulong v));
        return v;
    }

    /// <summary>Maps a whole range with one page size, looping as the IOMMU core does.</summary>
    public PageTableStatus MapRange(ulong iova, ulong pa, ulong size, ulong pgsize, IommuProt prot)
    {
        ulong done = 0;
        while (done < size)
        {
            PageTableStatus s = T.MapPages(iova + done, pa + done, pgsize, (size - done) / pgsize, prot, out ulong mapped);
            if (s != PageTableStatus.Ok)
            {
                return s;
            }

            Assert.True(mapped > 0);
            done += mapped;
        }

        return PageTableStatus.Ok;
    }

    public ArmLpaeWalkResult Walk(ulong iova, ArmLpaeAccess access = ArmLpaeAccess.Read, BusAccess walkAccess = BusAccess.Snoop)
    {
        ArmLpaeWalkConfig cfg = T.CreateWalkConfig(walkAccess);
        ArmLpaeWalker.Walk(Memory, in cfg, iova, access, out ArmLpaeWalkResult r);
        return r;
    }
}

/// <summary>Page-size bitmaps drivers advertise.</summary>
internal static class Sizes
{
    public const ulong K4 = 1UL << 12;
    public const ulong K16 = 1UL << 14;
    public const ulong K64 = 1UL << 16;
    public const ulong M2 = 1UL << 21;
    public const ulong M32 = 1UL << 25;
    public const ulong M512 = 1UL << 29;
    public const ulong G1 = 1UL << 30;
    public const ulong T4 = 1UL << 42;
    public const ulong Arm4K = K4 | M2 | G1;
    public const ulong Arm16K = K16 | M32;
    public const ulong Arm64K = K64 | M512;

    /// <summary>What arm-smmu-v3 advertises when it supports every granule.</summary>
    public const ulong All = Arm4K | Arm16K | Arm64K;
}
