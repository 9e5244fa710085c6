using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables;
using IommuKit.Hardware.PageTables.ArmLpae;

namespace IommuKit.Hardware.Tests.PageTables;

public sealed class ArmLpaeMapUnmapTests
{
    private const IommuProt Rw = IommuProt.Read | IommuProt.Write;
    private const IommuProt RwCache = Rw | IommuProt.Cache;

    [Fact]
    public void MapPages_4KPage_WritesTablesAndLinuxLeaf()
    {
        var h = new PageTableHarness(PageTableHarness.S1());
        const ulong Iova = 0x0000_1234_5678_9000;
        const ulong Pa = 0x0009_8765_4000;

        Assert.Equal(PageTableStatus.Ok, h.T.MapPages(Iova, Pa, Sizes.K4, 1, RwCache, out ulong mapped));

        Assert.Equal(Sizes.K4, mapped);
        Assert.Equal(4, h.Allocator.AllocatedCount); // PGD + L1 + L2 + L3
        ulong table = h.T.PgdPa;
        for (int level = 0; level < 3; level++)
        {
            int shift = 39 - (9 * level);
            ulong desc = h.ReadPte(table + (((Iova >> shift) & 511) * 8));
            Assert.Equal(3UL, desc & ~ArmLpaePte.AddrMask); // Linux table descriptor: address | 0b11, nothing else
            table = desc & ArmLpaePte.AddrMask;
        }

        Assert.Equal(Pa | 0xF47, h.ReadPte(table + (((Iova >> 12) & 511) * 8)));
        Assert.Equal(Pa + 0x123, h.T.IovaToPhys(Iova + 0x123));
        Assert.Equal(0UL, h.T.IovaToPhys(Iova + Sizes.K4));
    }

    [Theory]
    [InlineData(Sizes.M2, 2, 0x0000_0040_0020_0000UL, 0x0001_0020_0000UL)]
    [InlineData(Sizes.G1, 1, 0x0000_0080_4000_0000UL, 0x0010_4000_0000UL)]
    public void MapPages_Block_InstallsBlockDescriptorAtLevel(ulong size, int level, ulong iova, ulong pa)
    {
        var h = new PageTableHarness(PageTableHarness.S1());

        Assert.Equal(PageTableStatus.Ok, h.T.MapPages(iova, pa, size, 1, RwCache, out ulong mapped));

        Assert.Equal(size, mapped);
        Assert.Equal(pa + 0x12345, h.T.IovaToPhys(iova + 0x12345));
        ArmLpaeWalkResult w = h.Walk(iova + size - 8);
        Assert.Equal(ArmLpaeFault.None, w.Fault);
        Assert.Equal(level, w.Level);
        Assert.Equal(pa + size - 8, w.OutputAddress);
        Assert.Equal(pa | 0xF45, w.Descriptor); // block type 0b01
        Assert.Equal(System.Numerics.BitOperations.Log2(size), w.BlockShift);
    }

    [Fact]
    public void MapPages_PgcountCrossesTableEnd_StopsAtTableEnd()
    {
        var h = new PageTableHarness(PageTableHarness.S1());
        const ulong Iova = 510 * Sizes.K4;

        Assert.Equal(PageTableStatus.Ok, h.T.MapPages(Iova, 0x8000_0000, Sizes.K4, 5, Rw, out ulong mapped));
        Assert.Equal(2 * Sizes.K4, mapped);
        Assert.Equal(0x8000_1000UL, h.T.IovaToPhys(Iova + Sizes.K4));
        Assert.Equal(0UL, h.T.IovaToPhys(Iova + (2 * Sizes.K4)));

        Assert.Equal(PageTableStatus.Exists, h.MapRange(Iova, 0x8000_0000, 5 * Sizes.K4, Sizes.K4, Rw));
    }

    [Fact]
    public void MapPages_ConcatenatedPgd_StopsAtPgdPageBoundary()
    {
        // Stage 2, 4K, ias = oas = 40: two concatenated level-1 tables (1024 entries of 1 GiB).
        var h = new PageTableHarness(PageTableHarness.S2(ias: 40, oas: 40));
        const ulong Iova = 511 * Sizes.G1;

        Assert.Equal(PageTableStatus.Ok, h.T.MapPages(Iova, 0, Sizes.G1, 3, Rw, out ulong mapped));
        Assert.Equal(Sizes.G1, mapped); // arm_lpae_max_entries: the rest is in the next PGD page
        Assert.Equal(PageTableStatus.Ok, h.T.MapPages(Iova + Sizes.G1, Sizes.G1, Sizes.G1, 2, Rw, out mapped));
        Assert.Equal(2 * Sizes.G1, mapped);
        Assert.Equal((2 * Sizes.G1) + 5, h.T.IovaToPhys(Iova + (2 * Sizes.G1) + 5));
        Assert.Equal(ArmLpaeFault.Translation, h.Walk((1022 * Sizes.G1) + 5, ArmLpaeAccess.Write).Fault);
        Assert.Equal(Sizes.G1, h.Walk(512 * Sizes.G1, ArmLpaeAccess.Write).OutputAddress);
    }

    [Fact]
    public void MapPages_ExistingLeaf_Exists()
    {
        var h = new PageTableHarness(PageTableHarness.S1());
        Assert.Equal(PageTableStatus.Ok, h.T.MapPages(0x20_0000, 0x8000_0000, Sizes.K4, 1, Rw, out _));
        Assert.Equal(PageTableStatus.Ok, h.T.MapPages(0x40_0000, 0x8020_0000, Sizes.M2, 1, Rw, out _));

        Assert.Equal(PageTableStatus.Ok, h.T.MapPages(0x1F_F000, 0x9000_0000, Sizes.K4, 1, Rw, out _));
        Assert.Equal(PageTableStatus.Exists, h.T.MapPages(0x1F_E000, 0x9100_0000, Sizes.K4, 2, Rw, out ulong mapped));
        Assert.Equal(0UL, mapped);
        Assert.Equal(0UL, h.T.IovaToPhys(0x1F_E000)); // nothing of the refused batch was written
        Assert.Equal(PageTableStatus.Exists, h.T.MapPages(0x41_0000, 0x9000_0000, Sizes.K4, 1, Rw, out _)); // inside a block
        Assert.Equal(PageTableStatus.Exists, h.T.MapPages(0x40_0000, 0x9000_0000, Sizes.M2, 1, Rw, out _));
        Assert.Equal(0x8000_0000UL, h.T.IovaToPhys(0x20_0000));
    }

    [Fact]
    public void MapPages_BlockOverTable_FreesTableWithFlushWalk()
    {
        var h = new PageTableHarness(PageTableHarness.S1());
        Assert.Equal(PageTableStatus.Ok, h.T.MapPages(0x20_0000, 0x8000_0000, Sizes.K4, 3, Rw, out _));
        int tables = h.Allocator.AllocatedCount;

        Assert.Equal(PageTableStatus.Ok, h.T.MapPages(0x20_0000, 0x9000_0000, Sizes.M2, 1, Rw, out ulong mapped));

        Assert.Equal(Sizes.M2, mapped);
        Assert.Equal(tables - 1, h.Allocator.AllocatedCount);
        Assert.Equal([(0x20_0000UL, Sizes.M2, Sizes.K4)], h.Flush.Walks);
        Assert.Empty(h.Flush.Pages);
        Assert.Equal(0x9000_1000UL, h.T.IovaToPhys(0x20_1000));
    }

    [Theory]
    [InlineData(0UL, 0x8000_0000UL, Sizes.K16, Rw, PageTableStatus.Invalid)]
    [InlineData(0UL, 0x8000_0000UL, 0UL, Rw, PageTableStatus.Invalid)]
    [InlineData(0UL, 0x8000_0000UL, Sizes.K4 | Sizes.M2, Rw, PageTableStatus.Invalid)]
    [InlineData(1UL << 48, 0x8000_0000UL, Sizes.K4, Rw, PageTableStatus.Range)]
    [InlineData(ulong.MaxValue - 0xFFF, 0x8000_0000UL, Sizes.K4, Rw, PageTableStatus.Range)]
    [InlineData(0UL, 1UL << 48, Sizes.K4, Rw, PageTableStatus.Range)]
    [InlineData(0UL, 0x8000_0000UL, Sizes.K4, IommuProt.Cache | IommuProt.NoExec, PageTableStatus.Invalid)]
    [InlineData(0UL, 0x8000_0000UL, Sizes.K4, IommuProt.None, PageTableStatus.Invalid)]
    public void MapPages_BadArguments_Refused(ulong iova, ulong pa, ulong pgsize, IommuProt prot, PageTableStatus expected)
    {
        var h = new PageTableHarness(PageTableHarness.S1());
        Assert.Equal(expected, h.T.MapPages(iova, pa, pgsize, 1, prot, out ulong mapped));
        Assert.Equal(0UL, mapped);
        Assert.Equal(0UL, h.T.IovaToPhys(iova));
    }

    [Fact]
    public void MapPages_TablePoolExhausted_NoMemory()
    {
        var h = new PageTableHarness(PageTableHarness.S1(), poolSize: 2 * Sizes.K4);
        Assert.Equal(PageTableStatus.NoMemory, h.T.MapPages(0, 0x8000_0000, Sizes.K4, 1, Rw, out ulong mapped));
        Assert.Equal(0UL, mapped);
        Assert.Equal(0UL, h.T.IovaToPhys(0));
    }

    [Fact]
    public void UnmapPages_Pages_ClearsAndReportsEachLeaf()
    {
        var h = new PageTableHarness(PageTableHarness.S1());
        Assert.Equal(PageTableStatus.Ok, h.MapRange(0x10_0000, 0x8000_0000, 4 * Sizes.K4, Sizes.K4, Rw));
        var gather = new IotlbGather();

        Assert.Equal(4 * Sizes.K4, h.T.UnmapPages(0x10_0000, Sizes.K4, 4, gather));

        Assert.Equal([(0x10_0000UL, Sizes.K4), (0x10_1000UL, Sizes.K4), (0x10_2000UL, Sizes.K4), (0x10_3000UL, Sizes.K4)], h.Flush.Pages);
        Assert.Equal(0x10_0000UL, gather.Start);
        Assert.Equal(0x10_3FFFUL, gather.End);
        Assert.Equal(Sizes.K4, gather.PgSize);
        Assert.Empty(h.Flush.Walks);
        for (ulong i = 0; i < 4; i++)
        {
            Assert.Equal(0UL, h.T.IovaToPhys(0x10_0000 + (i * Sizes.K4)));
            Assert.Equal(ArmLpaeFault.Translation, h.Walk(0x10_0000 + (i * Sizes.K4)).Fault);
        }
    }

    [Theory]
    [InlineData(12)]
    [InlineData(14)]
    [InlineData(16)]
    public void UnmapPages_OneLeafPerCall_ClearsAndReportsItInEveryGranule(int granuleShift)
    {
        ulong granule = 1UL << granuleShift;
        var h = new PageTableHarness(PageTableHarness.S1(pgsizes: granule | (granule << (granuleShift - 3))));
        Assert.Equal(PageTableStatus.Ok, h.MapRange(0x4000_0000, 0x8000_0000, 3 * granule, granule, Rw));
        var gather = new IotlbGather();

        for (ulong i = 0; i < 3; i++)
        {
            Assert.Equal(granule, h.T.UnmapPages(0x4000_0000 + (i * granule), granule, 1, gather));
        }

        Assert.Equal(0UL, h.T.UnmapPages(0x4000_0000, granule, 1, gather)); // now a hole
        Assert.Equal([(0x4000_0000UL, granule), (0x4000_0000UL + granule, granule), (0x4000_0000UL + (2 * granule), granule)], h.Flush.Pages);
        for (ulong i = 0; i < 3; i++)
        {
            Assert.Equal(0UL, h.T.IovaToPhys(0x4000_0000 + (i * granule)));
        }
    }

    [Fact]
    public void TablesOutsideTheLargestRegion_UnmapAndWalkThroughTheBus()
    {
        // The tables live in a small region below the large one, where the walk view has a hole
        // that reads as zero: single-leaf unmaps and fast walks must fall back, not miss the PTEs.
        var memory = new PhysicalMemory();
        memory.AddRam(0x10_0000, 1UL << 20);
        memory.AddRam(0x8000_0000, 1UL << 30);
        var allocator = new SimpleTablePageAllocator(memory, 0x10_0000, 1UL << 20);
        Assert.Equal(PageTableStatus.Ok, ArmLpaeIoPageTable.TryCreate(PageTableHarness.S1(), memory, allocator, new RecordingFlushOps(), out ArmLpaeIoPageTable? table));
        Assert.Equal(PageTableStatus.Ok, table!.MapPages(0x4000_0000, 0x8000_0000, Sizes.K4, 2, Rw, out _));
        ArmLpaeWalkConfig cfg = table.CreateWalkConfig(BusAccess.Snoop);

        ArmLpaeWalker.Walk(memory, in cfg, 0x4000_1008, ArmLpaeAccess.Write, out ArmLpaeWalkResult walked);
        ulong unmapped = table.UnmapPages(0x4000_0000, Sizes.K4, 1, null);
        ArmLpaeWalker.Walk(memory, in cfg, 0x4000_0008, ArmLpaeAccess.Read, out ArmLpaeWalkResult gone);

        Assert.Equal(0x8000_1008UL, walked.OutputAddress);
        Assert.Equal(Sizes.K4, unmapped);
        Assert.Equal(ArmLpaeFault.Translation, gone.Fault);
        Assert.Equal(0x8000_1000UL, table.IovaToPhys(0x4000_1000));
    }

    [Fact]
    public void UnmapPages_QueuedOrNullGather_NoTlbAddPage()
    {
        var h = new PageTableHarness(PageTableHarness.S1());
        Assert.Equal(PageTableStatus.Ok, h.MapRange(0x10_0000, 0x8000_0000, 2 * Sizes.K4, Sizes.K4, Rw));

        Assert.Equal(Sizes.K4, h.T.UnmapPages(0x10_0000, Sizes.K4, 1, new IotlbGather { Queued = true }));
        Assert.Equal(Sizes.K4, h.T.UnmapPages(0x10_1000, Sizes.K4, 1, null));
        Assert.Empty(h.Flush.Pages);
    }

    [Fact]
    public void UnmapPages_HoleInRange_StopsAtHole()
    {
        var h = new PageTableHarness(PageTableHarness.S1());
        Assert.Equal(PageTableStatus.Ok, h.MapRange(0x10_0000, 0x8000_0000, 2 * Sizes.K4, Sizes.K4, Rw));
        Assert.Equal(PageTableStatus.Ok, h.T.MapPages(0x10_3000, 0x8000_3000, Sizes.K4, 1, Rw, out _));

        Assert.Equal(2 * Sizes.K4, h.T.UnmapPages(0x10_0000, Sizes.K4, 4, new IotlbGather()));
        Assert.Equal(0x8000_3000UL, h.T.IovaToPhys(0x10_3000));
        Assert.Equal(0UL, h.T.UnmapPages(0x10_2000, Sizes.K4, 2, new IotlbGather())); // hole at the start
        Assert.Equal(0UL, h.T.UnmapPages(0x7000_0000, Sizes.K4, 1, null)); // no table at all
    }

    [Fact]
    public void UnmapPages_PartOfBlock_ReturnsZeroAndKeepsBlock()
    {
        var h = new PageTableHarness(PageTableHarness.S1());
        Assert.Equal(PageTableStatus.Ok, h.T.MapPages(0x40_0000, 0x8020_0000, Sizes.M2, 1, Rw, out _));

        Assert.Equal(0UL, h.T.UnmapPages(0x40_1000, Sizes.K4, 1, new IotlbGather()));

        Assert.Equal(0x8020_1000UL, h.T.IovaToPhys(0x40_1000));
        Assert.Empty(h.Flush.Pages);
        Assert.Equal(Sizes.M2, h.T.UnmapPages(0x40_0000, Sizes.M2, 1, new IotlbGather()));
        Assert.Equal([(0x40_0000UL, Sizes.M2)], h.Flush.Pages);
    }

    [Fact]
    public void UnmapPages_BlockSizeOverTable_FreesTable()
    {
        var h = new PageTableHarness(PageTableHarness.S1());
        Assert.Equal(PageTableStatus.Ok, h.T.MapPages(0x20_0000, 0x8000_0000, Sizes.K4, 8, Rw, out _));
        int tables = h.Allocator.AllocatedCount;

        Assert.Equal(Sizes.M2, h.T.UnmapPages(0x20_0000, Sizes.M2, 1, new IotlbGather()));

        Assert.Equal(tables - 1, h.Allocator.AllocatedCount);
        Assert.Equal([(0x20_0000UL, Sizes.M2, Sizes.K4)], h.Flush.Walks);
        Assert.Equal([(0x20_0000UL, Sizes.M2)], h.Flush.Pages);
        Assert.Equal(0UL, h.T.IovaToPhys(0x20_0000));
    }

    [Theory]
    [InlineData(0x10_0000UL, Sizes.K16, 1UL)]
    [InlineData(0x10_0000UL, 0UL, 1UL)]
    [InlineData(0x10_0000UL, Sizes.K4, 0UL)]
    [InlineData(0x10_0000UL | (1UL << 48), Sizes.K4, 1UL)]
    public void UnmapPages_BadArguments_Zero(ulong iova, ulong pgsize, ulong pgcount)
    {
        var h = new PageTableHarness(PageTableHarness.S1());
        Assert.Equal(PageTableStatus.Ok, h.T.MapPages(0x10_0000, 0x8000_0000, Sizes.K4, 1, Rw, out _));
        Assert.Equal(0UL, h.T.UnmapPages(iova, pgsize, pgcount, new IotlbGather()));
        Assert.Equal(0x8000_0000UL, h.T.IovaToPhys(0x10_0000));
    }

    [Fact]
    public void Ttbr1Quirk_UpperHalfOnly()
    {
        var h = new PageTableHarness(PageTableHarness.S1(quirks: ArmLpaeQuirks.ArmTtbr1));
        const ulong Iova = 0xFFFF_0000_1234_5000;

        Assert.Equal(PageTableStatus.Ok, h.T.MapPages(Iova, 0x8000_0000, Sizes.K4, 1, Rw, out _));
        Assert.Equal(PageTableStatus.Range, h.T.MapPages(0x0000_0000_1234_5000, 0x8000_0000, Sizes.K4, 1, Rw, out _));
        Assert.Equal(0x8000_0010UL, h.T.IovaToPhys(Iova + 0x10));
        Assert.Equal(Sizes.K4, h.T.UnmapPages(Iova, Sizes.K4, 1, null));
    }

    [Fact]
    public void NsQuirk_TablesCarryNsTableAndLeavesNs()
    {
        var h = new PageTableHarness(PageTableHarness.S1(quirks: ArmLpaeQuirks.ArmNs));
        Assert.Equal(PageTableStatus.Ok, h.T.MapPages(0, 0x8000_0000, Sizes.K4, 1, Rw, out _));
        Assert.Equal(ArmLpaePte.NsTable, h.ReadPte(h.T.PgdPa) & ArmLpaePte.NsTable);
        ArmLpaeWalkResult w = h.Walk(0);
        Assert.True(w.NonSecure);
        Assert.Equal(0x8000_0E63UL, w.Descriptor);
    }

    [Fact]
    public void Stage2_MapAndWalk()
    {
        var h = new PageTableHarness(PageTableHarness.S2(ias: 40, oas: 40));
        Assert.Equal(PageTableStatus.Ok, h.T.MapPages(0x12_3456_7000, 0x55_0000_0000, Sizes.K4, 1, IommuProt.Read | IommuProt.Cache, out _));

        ArmLpaeWalkResult r = h.Walk(0x12_3456_7ABC);
        Assert.Equal(ArmLpaeFault.None, r.Fault);
        Assert.Equal(0x55_0000_0ABCUL, r.OutputAddress);
        Assert.Equal(0x55_0000_077FUL, r.Descriptor);
        Assert.Equal(0xF, r.S2MemAttr);
        Assert.Equal(1, r.S2AccessPermissions);
        Assert.Equal(ArmLpaeFault.Permission, h.Walk(0x12_3456_7ABC, ArmLpaeAccess.Write).Fault);
    }

    [Theory]
    [InlineData(Sizes.Arm16K, 48, Sizes.K16, 3)]
    [InlineData(Sizes.Arm16K, 48, Sizes.M32, 2)]
    [InlineData(Sizes.Arm64K, 48, Sizes.K64, 3)]
    [InlineData(Sizes.Arm64K, 48, Sizes.M512, 2)]
    public void OtherGranules_MapUnmapWalk(ulong pgsizes, int ias, ulong size, int level)
    {
        var h = new PageTableHarness(PageTableHarness.S1(ias: ias, pgsizes: pgsizes));
        ulong iova = 0x0000_7654_0000_0000 & ((1UL << ias) - 1) & ~(size - 1);
        ulong pa = 0x0000_0012_0000_0000 & ~(size - 1);

        Assert.Equal(PageTableStatus.Ok, h.T.MapPages(iova, pa, size, 2, Rw, out ulong mapped));
        Assert.Equal(2 * size, mapped);
        ArmLpaeWalkResult w = h.Walk(iova + size + 0x123, ArmLpaeAccess.Write);
        Assert.Equal(ArmLpaeFault.None, w.Fault);
        Assert.Equal(level, w.Level);
        Assert.Equal(pa + size + 0x123, w.OutputAddress);
        Assert.Equal(pa + size + 0x123, h.T.IovaToPhys(iova + size + 0x123));
        Assert.Equal(2 * size, h.T.UnmapPages(iova, size, 2, new IotlbGather()));
        Assert.Equal(0UL, h.T.IovaToPhys(iova));
    }

    [Fact]
    public void Granule64K_52BitOutput_PackedAndWalked()
    {
        var h = new PageTableHarness(PageTableHarness.S1(ias: 52, oas: 52, pgsizes: Sizes.Arm64K | Sizes.T4));
        const ulong Pa = 0x000F_0123_4567_0000;
        const ulong Iova = 0x000A_0000_0000_0000;

        Assert.Equal(PageTableStatus.Ok, h.T.MapPages(Iova, Pa, Sizes.K64, 1, Rw, out _));
        Assert.Equal(Pa + 0x42, h.T.IovaToPhys(Iova + 0x42));
        ArmLpaeWalkResult w = h.Walk(Iova + 0x42);
        Assert.Equal(Pa + 0x42, w.OutputAddress);
        Assert.Equal(0x0000_0123_4567_F000UL, w.Descriptor & ArmLpaePte.AddrMask);

        Assert.Equal(PageTableStatus.Ok, h.T.MapPages(1UL << 42, 0x000C_0000_0000_0000, Sizes.T4, 1, Rw, out _));
        ArmLpaeWalkResult b = h.Walk((1UL << 42) + 0x1234_5678);
        Assert.Equal(1, b.Level);
        Assert.Equal(0x000C_0000_1234_5678UL, b.OutputAddress);
    }

    [Fact]
    public void NonCoherentWalker_PtesCleanedToRamAndTablesMarkedSwSync()
    {
        var h = new PageTableHarness(PageTableHarness.S1(coherent: false), new CpuCacheOptions());
        Assert.Equal(PageTableStatus.Ok, h.T.MapPages(0x1000, 0x8000_0000, Sizes.K4, 1, Rw, out _));

        ArmLpaeWalkResult w = h.Walk(0x1000, walkAccess: BusAccess.NoSnoop);
        Assert.Equal(ArmLpaeFault.None, w.Fault);
        Assert.Equal(0x8000_0000UL, w.OutputAddress);
        // The CPU's copy of a table PTE carries SW_SYNC, written after the clean; RAM has the PTE without it.
        ulong cpuView = h.ReadPte(h.T.PgdPa);
        Assert.Equal(BusStatus.Ok, h.Memory.Read64(h.T.PgdPa, BusAccess.NoSnoop, out ulong ramView));
        Assert.Equal(ArmLpaePte.SwSync, cpuView & ArmLpaePte.SwSync);
        Assert.Equal(cpuView & ~ArmLpaePte.SwSync, ramView);

        Assert.Equal(Sizes.K4, h.T.UnmapPages(0x1000, Sizes.K4, 1, null));
        Assert.Equal(ArmLpaeFault.Translation, h.Walk(0x1000, walkAccess: BusAccess.NoSnoop).Fault);
    }

    [Fact]
    public void CoherentTable_NonSnoopingWalker_SeesStaleRam()
    {
        // Declaring the walker coherent skips maintenance: a walker that does not snoop reads RAM
        // that still holds zeros, while a snooping walker sees the CPU's cached tables.
        var h = new PageTableHarness(PageTableHarness.S1(coherent: true), new CpuCacheOptions());
        Assert.Equal(PageTableStatus.Ok, h.T.MapPages(0x1000, 0x8000_0000, Sizes.K4, 1, Rw, out _));

        Assert.Equal(ArmLpaeFault.Translation, h.Walk(0x1000, walkAccess: BusAccess.NoSnoop).Fault);
        Assert.Equal(ArmLpaeFault.None, h.Walk(0x1000, walkAccess: BusAccess.Snoop).Fault);
        Assert.Equal(0UL, h.ReadPte(h.T.PgdPa) & ArmLpaePte.SwSync);
    }
}
