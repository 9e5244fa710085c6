using IommuKit.Hardware.Memory;

namespace IommuKit.Hardware.Tests.Memory;

public sealed class PhysicalMemoryTests
{
    private const ulong Chunk = 64 * 1024;

    public static TheoryData<BusAccess, bool> AccessesAndCache => new()
    {
        { BusAccess.Cpu, false },
        { BusAccess.Snoop, false },
        { BusAccess.NoSnoop, false },
        { BusAccess.Cpu, true },
        { BusAccess.Snoop, true },
        { BusAccess.NoSnoop, true },
    };

    [Fact]
    public void Read64_UntouchedRam_ReadsZeroAndAllocatesNothing()
    {
        var mem = new PhysicalMemory();
        mem.AddRam(0x8000_0000, 64UL << 30);

        Assert.Equal(BusStatus.Ok, mem.Read64(0x8_0000_0000, BusAccess.Cpu, out ulong v));
        Assert.Equal(0UL, v);
        Assert.Equal(0, mem.BackedBytes);
    }

    [Fact]
    public void Write64_ThenRead_LittleEndianAndSparse()
    {
        var mem = new PhysicalMemory();
        mem.AddRam(0x8000_0000, 64UL << 30);

        Assert.Equal(BusStatus.Ok, mem.Write64(0x10_0000_0000, 0x1122334455667788, BusAccess.Cpu));
        Assert.Equal(BusStatus.Ok, mem.Read8(0x10_0000_0000, BusAccess.Snoop, out byte b0));
        Assert.Equal(0x88, b0);
        Assert.Equal(BusStatus.Ok, mem.Read16(0x10_0000_0002, BusAccess.Cpu, out ushort h));
        Assert.Equal(0x5566, h);
        Assert.Equal(BusStatus.Ok, mem.Read32(0x10_0000_0004, BusAccess.NoSnoop, out uint hi));
        Assert.Equal(0x11223344u, hi);
        Assert.Equal(64 * 1024, mem.BackedBytes);
    }

    [Fact]
    public void Write_AtBothEndsOf64GiB_BacksTwoChunksOnly()
    {
        var mem = new PhysicalMemory();
        mem.AddRam(0x8000_0000, 64UL << 30);

        Assert.Equal(BusStatus.Ok, mem.Write8(0x8000_0000, 1, BusAccess.Cpu));
        Assert.Equal(BusStatus.Ok, mem.Write64(0x8000_0000 + (64UL << 30) - 8, 2, BusAccess.Cpu));

        Assert.Equal(2 * 64 * 1024, mem.BackedBytes);
        Assert.Equal(BusStatus.Ok, mem.Read64(0x8000_0000 + (64UL << 30) - 8, BusAccess.Cpu, out ulong v));
        Assert.Equal(2UL, v);
    }

    [Fact]
    public void AddRam_ThreeThousandDropped64GiBMachines_ReclaimsTheirAddressSpace()
    {
        // 3,000 x 64 GiB is 192 TiB: more than a 47-bit host address space holds at once, so
        // this passes only if dropped machines give their reservations back.
        for (int i = 0; i < 3000; i++)
        {
            var mem = new PhysicalMemory();
            mem.AddRam(0x8000_0000, 64UL << 30);
            Assert.Equal(BusStatus.Ok, mem.Write64(0x8000_0000 + ((ulong)i << 24), (ulong)i, BusAccess.Cpu));
            Assert.Equal(BusStatus.Ok, mem.Read64(0x8000_0000 + ((ulong)i << 24), BusAccess.NoSnoop, out ulong v));
            Assert.Equal((ulong)i, v);
        }
    }

    [Fact]
    public void BackedBytes_RegionAbove1TiB_CountsLargerUnits()
    {
        var mem = new PhysicalMemory();
        mem.AddRam(0, 4UL << 40);

        Assert.Equal(BusStatus.Ok, mem.Write8((4UL << 40) - 1, 1, BusAccess.Cpu));

        Assert.Equal(256 * 1024, mem.BackedBytes); // 4 TiB / 2^24 units
    }

    [Fact]
    public void Access_OutsideTheMap_IsADecodeError()
    {
        var mem = new PhysicalMemory();
        mem.AddRam(0x1000, 0x1000);

        Assert.Equal(BusStatus.DecodeError, mem.Read64(0x2000, BusAccess.Cpu, out _));
        Assert.Equal(BusStatus.DecodeError, mem.Write32(0x1FFE, 1, BusAccess.Snoop));
        Assert.Equal(BusStatus.DecodeError, mem.Write(0x1F00, new byte[0x200], BusAccess.Cpu));
        Assert.Equal(BusStatus.Ok, mem.Read64(0x1FF8, BusAccess.Cpu, out ulong v));
        Assert.Equal(0UL, v); // the refused span write changed nothing
    }

    [Fact]
    public void Read_FailedAccess_ReturnsZeroValue()
    {
        var mem = new PhysicalMemory();
        mem.AddRam(0x1000, 0x1000);
        mem.Write64(0x1FF8, ulong.MaxValue, BusAccess.Cpu);

        Assert.Equal(BusStatus.DecodeError, mem.Read64(0x1FFC, BusAccess.Cpu, out ulong v));
        Assert.Equal(0UL, v);
    }

    [Fact]
    public void Read_EmptySpan_SucceedsAnywhere()
    {
        var mem = new PhysicalMemory();

        Assert.Equal(BusStatus.Ok, mem.Read(0xDEAD_0000, Span<byte>.Empty, BusAccess.Cpu));
        Assert.Equal(BusStatus.Ok, mem.Write(ulong.MaxValue, ReadOnlySpan<byte>.Empty, BusAccess.NoSnoop));
    }

    [Theory]
    [MemberData(nameof(AccessesAndCache))]
    public void Write64_UnalignedAcrossChunkBoundary_LandsInBothChunks(BusAccess access, bool cache)
    {
        PhysicalMemory mem = NewMemory(cache);
        mem.AddRam(0x10_0000, 0x10_0000);
        ulong boundary = 0x10_0000 + Chunk;

        Assert.Equal(BusStatus.Ok, mem.Write64(boundary - 3, 0x8877665544332211, access));
        mem.Cache?.WriteBackInvalidateAll();

        Assert.Equal(2 * (long)Chunk, mem.BackedBytes);
        Assert.Equal(BusStatus.Ok, mem.Read64(boundary - 3, access, out ulong v));
        Assert.Equal(0x8877665544332211UL, v);
        Assert.Equal(BusStatus.Ok, mem.Read8(boundary - 1, BusAccess.NoSnoop, out byte last));
        Assert.Equal(0x33, last);
        Assert.Equal(BusStatus.Ok, mem.Read32(boundary, BusAccess.NoSnoop, out uint next));
        Assert.Equal(0x77665544u, next);
    }

    [Theory]
    [MemberData(nameof(AccessesAndCache))]
    public void Read_SpanAcrossChunks_MatchesByteWrites(BusAccess access, bool cache)
    {
        PhysicalMemory mem = NewMemory(cache);
        mem.AddRam(0, 4 * Chunk);
        for (ulong a = Chunk - 100; a < Chunk + 100; a++)
        {
            mem.Write8(a, (byte)a, access);
        }

        byte[] buffer = new byte[200];
        Assert.Equal(BusStatus.Ok, mem.Read(Chunk - 100, buffer, access));

        for (int i = 0; i < buffer.Length; i++)
        {
            Assert.Equal((byte)(Chunk - 100 + (ulong)i), buffer[i]);
        }
    }

    [Theory]
    [InlineData(3, 0x0FFE)]
    [InlineData(5, 0x0FFD)]
    [InlineData(6, 0x0FFC)]
    [InlineData(7, 0xFFFC)]
    [InlineData(3, 0x0100)]
    [InlineData(5, 0x0101)]
    [InlineData(6, 0x0202)]
    [InlineData(7, 0x0303)]
    public void Write_OddSizes_RoundTripLittleEndianAndTouchOnlyTheirBytes(int size, int offset)
    {
        foreach (bool cache in new[] { false, true })
        {
            PhysicalMemory mem = NewMemory(cache);
            mem.AddRam(0, 2 * Chunk);
            ulong pa = (ulong)offset;
            mem.Write(pa - 8, Enumerable.Repeat((byte)0xEE, size + 16).ToArray(), BusAccess.Cpu);

            Assert.Equal(BusStatus.Ok, mem.Write(pa, size, 0xFFEE_DDCC_BBAA_9988, BusAccess.Cpu));

            Assert.Equal(BusStatus.Ok, mem.Read(pa, size, BusAccess.Cpu, out ulong v));
            Assert.Equal(0xFFEE_DDCC_BBAA_9988UL & ((1UL << (8 * size)) - 1), v);
            byte[] around = new byte[size + 16];
            Assert.Equal(BusStatus.Ok, mem.Read(pa - 8, around, BusAccess.Snoop));
            Assert.Equal(Enumerable.Repeat((byte)0xEE, 8), around[..8]);
            Assert.Equal(new byte[] { 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE }[..size], around[8..(8 + size)]);
            Assert.Equal(Enumerable.Repeat((byte)0xEE, 8), around[(8 + size)..]);
        }
    }

    [Fact]
    public void Read_SizeOutsideOneToEight_Throws()
    {
        var mem = new PhysicalMemory();
        mem.AddRam(0, 0x1000);

        Assert.Throws<ArgumentOutOfRangeException>(() => mem.Read(0, 0, BusAccess.Cpu, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => mem.Write(0, 9, 0, BusAccess.Cpu));
    }

    [Fact]
    public void Access_AtTopOfAddressSpace_WorksUpToTheLastByteAndNeverWraps()
    {
        foreach (bool cache in new[] { false, true })
        {
            PhysicalMemory mem = NewMemory(cache);
            mem.AddRam(0, 0x1000);
            mem.AddRam(0xFFFF_FFFF_FFFF_F000, 0x1000);

            Assert.Equal(BusStatus.Ok, mem.Write64(ulong.MaxValue - 7, 0x0102030405060708, BusAccess.Cpu));
            Assert.Equal(BusStatus.Ok, mem.Read8(ulong.MaxValue, BusAccess.Cpu, out byte top));
            Assert.Equal(0x01, top);

            Assert.Equal(BusStatus.DecodeError, mem.Write64(ulong.MaxValue - 3, 1, BusAccess.Cpu));
            Assert.Equal(BusStatus.DecodeError, mem.Read32(ulong.MaxValue - 1, BusAccess.Snoop, out _));
            Assert.Equal(BusStatus.DecodeError, mem.Write(ulong.MaxValue - 1, new byte[4], BusAccess.NoSnoop));
            Assert.Equal(BusStatus.DecodeError, mem.Read(ulong.MaxValue, new byte[2], BusAccess.Cpu));
            mem.Cache?.WriteBackInvalidateAll();

            Assert.Equal(BusStatus.Ok, mem.Read64(0, BusAccess.NoSnoop, out ulong bottom));
            Assert.Equal(0UL, bottom); // nothing wrapped around to address 0
            Assert.Equal(BusStatus.Ok, mem.Read64(ulong.MaxValue - 7, BusAccess.NoSnoop, out ulong v));
            Assert.Equal(0x0102030405060708UL, v);
        }
    }

    [Fact]
    public void Read64_AcrossTwoAdjacentRamRegions_ReadsBoth()
    {
        var mem = new PhysicalMemory();
        mem.AddRam(0x1000, 0x1000);
        mem.AddRam(0x2000, 0x1000);

        Assert.Equal(BusStatus.Ok, mem.Write64(0x1FFC, 0xAABBCCDD_11223344, BusAccess.Cpu));

        Assert.Equal(BusStatus.Ok, mem.Read32(0x1FFC, BusAccess.Cpu, out uint low));
        Assert.Equal(0x11223344u, low);
        Assert.Equal(BusStatus.Ok, mem.Read32(0x2000, BusAccess.Cpu, out uint high));
        Assert.Equal(0xAABBCCDDu, high);
    }

    [Fact]
    public void Mmio_AlignedSingleAccess_DispatchesOnceWithOffsetAndWidth()
    {
        var mem = new PhysicalMemory();
        var dev = new RegisterFileDevice(0x100);
        mem.AddMmio(0x900_0000, 0x100, dev);

        Assert.Equal(BusStatus.Ok, mem.Write32(0x900_0010, 0xCAFEF00D, BusAccess.Cpu));
        Assert.Equal(BusStatus.Ok, mem.Read32(0x900_0010, BusAccess.Cpu, out uint v));

        Assert.Equal(0xCAFEF00Du, v);
        Assert.Equal([('W', 0x10UL, 4, 0xCAFEF00DUL), ('R', 0x10UL, 4, 0xCAFEF00DUL)], dev.Log);
    }

    [Fact]
    public void Mmio_WriteOfNarrowValue_PassesOnlyItsBytes()
    {
        var mem = new PhysicalMemory();
        var dev = new RegisterFileDevice(0x100);
        mem.AddMmio(0x900_0000, 0x100, dev);

        Assert.Equal(BusStatus.Ok, mem.Write(0x900_0002, 2, 0xFFFF_FFFF_FFFF_1234, BusAccess.Cpu));

        Assert.Equal([('W', 2UL, 2, 0x1234UL)], dev.Log);
    }

    [Fact]
    public void Mmio_ReadGarbageAboveWidth_IsMaskedOff()
    {
        var mem = new PhysicalMemory();
        var dev = new RegisterFileDevice(0x100) { ReadGarbage = 0xDEAD_BEEF_DEAD_BEEF };
        mem.AddMmio(0x900_0000, 0x100, dev);
        dev.Bytes[4] = 0x5A;

        Assert.Equal(BusStatus.Ok, mem.Read(0x900_0004, 1, BusAccess.Cpu, out ulong v1));
        Assert.Equal(0x5AUL, v1);
        Assert.Equal(BusStatus.Ok, mem.Read(0x900_0004, 3, BusAccess.Cpu, out ulong v3));
        Assert.Equal(0x5AUL, v3);
    }

    [Theory]
    [InlineData(0x10, 4, new[] { 4 })]
    [InlineData(0x12, 4, new[] { 2, 2 })]
    [InlineData(0x11, 8, new[] { 1, 2, 4, 1 })]
    [InlineData(0x10, 3, new[] { 2, 1 })]
    [InlineData(0x13, 5, new[] { 1, 4 })]
    [InlineData(0x18, 7, new[] { 4, 2, 1 })]
    [InlineData(0x17, 2, new[] { 1, 1 })]
    public void Mmio_OddSizeOrUnalignedSingleAccess_SplitsIntoNaturalPieces(ulong offset, int size, int[] pieces)
    {
        var mem = new PhysicalMemory();
        var dev = new RegisterFileDevice(0x100);
        mem.AddMmio(0x900_0000, 0x100, dev);

        Assert.Equal(BusStatus.Ok, mem.Write(0x900_0000 + offset, size, 0x0807060504030201, BusAccess.Cpu));
        Assert.Equal(BusStatus.Ok, mem.Read(0x900_0000 + offset, size, BusAccess.Snoop, out ulong v));

        Assert.Equal(0x0807060504030201UL & (size == 8 ? ulong.MaxValue : (1UL << (8 * size)) - 1), v);
        Assert.Equal(pieces.Concat(pieces), dev.Log.Select(e => e.Size));
        ulong expectedOffset = offset;
        foreach ((char _, ulong o, int s, ulong _) in dev.Log.Take(pieces.Length))
        {
            Assert.Equal(expectedOffset, o);
            expectedOffset += (ulong)s;
        }
    }

    [Fact]
    public void Mmio_RegionAtUnalignedBase_PiecesAreAlignedToTheRegionOffset()
    {
        var mem = new PhysicalMemory();
        var dev = new RegisterFileDevice(0x10);
        mem.AddMmio(0x900_0003, 0x10, dev);

        Assert.Equal(BusStatus.Ok, mem.Write64(0x900_0003, 0x1122334455667788, BusAccess.Cpu));

        Assert.Equal([('W', 0UL, 8, 0x1122334455667788UL)], dev.Log);
    }

    [Fact]
    public void Mmio_RegionSizeNotAMultipleOfEight_PiecesStayInsideTheRegion()
    {
        var mem = new PhysicalMemory();
        var dev = new RegisterFileDevice(6);
        var next = new RegisterFileDevice(8);
        mem.AddMmio(0x900_0000, 6, dev);
        mem.AddMmio(0x900_0006, 8, next);

        Assert.Equal(BusStatus.Ok, mem.Write(0x900_0000, [1, 2, 3, 4, 5, 6, 7, 8], BusAccess.Cpu));
        Assert.Equal(BusStatus.Ok, mem.Read64(0x900_0000, BusAccess.Cpu, out ulong v));

        Assert.Equal(0x0807060504030201UL, v);
        Assert.Equal([(0UL, 4), (4UL, 2)], dev.Log.Where(e => e.Op == 'W').Select(e => (e.Offset, e.Size)));
        Assert.Equal([(0UL, 2)], next.Log.Where(e => e.Op == 'W').Select(e => (e.Offset, e.Size)));
    }

    [Fact]
    public void Span_RamMmioHole_IsRefusedAsAWhole()
    {
        foreach (bool cache in new[] { false, true })
        {
            PhysicalMemory mem = NewMemory(cache);
            var dev = new RegisterFileDevice(0x20);
            mem.AddRam(0x1000, 0x1000);
            mem.AddMmio(0x2000, 0x20, dev);
            mem.AddRam(0x3000, 0x1000); // hole at 0x2020..0x2FFF

            Assert.Equal(BusStatus.DecodeError, mem.Write(0x1FF0, new byte[0x40], BusAccess.Snoop));
            Assert.Equal(BusStatus.DecodeError, mem.Read(0x1FF0, new byte[0x1020], BusAccess.Cpu));

            Assert.Empty(dev.Log);
            Assert.Equal(0, mem.BackedBytes);
        }
    }

    [Fact]
    public void Span_RamMmioRam_ReachesAllThreeWithNaturalPieces()
    {
        foreach (bool cache in new[] { false, true })
        {
            PhysicalMemory mem = NewMemory(cache);
            var dev = new RegisterFileDevice(0x1000);
            mem.AddRam(0x1000, 0x1000);
            mem.AddMmio(0x2000, 0x1000, dev);
            mem.AddRam(0x3000, 0x1000);
            byte[] data = Enumerable.Range(0, 0x1000 + 0x20).Select(i => (byte)(i * 7)).ToArray();

            Assert.Equal(BusStatus.Ok, mem.Write(0x1FFB, data, BusAccess.Snoop));

            Assert.Equal(data.AsSpan(5, 0x1000).ToArray(), dev.Bytes);
            Assert.Equal(0x200, dev.Log.Count);
            Assert.All(dev.Log, e => Assert.Equal(8, e.Size));
            byte[] back = new byte[data.Length];
            Assert.Equal(BusStatus.Ok, mem.Read(0x1FFB, back, BusAccess.Cpu));
            Assert.Equal(data, back);
            Assert.Equal(BusStatus.Ok, mem.Read8(0x1FFB, BusAccess.NoSnoop, out byte firstRam));
            Assert.Equal(data[0], firstRam); // snooping writes land in RAM even with a cache
        }
    }

    [Fact]
    public void Span_StartingInsideMmioAtAnOddOffset_UsesGrowingPiecesThenRam()
    {
        var mem = new PhysicalMemory();
        var dev = new RegisterFileDevice(0x1000);
        mem.AddMmio(0x2000, 0x1000, dev);
        mem.AddRam(0x3000, 0x1000);

        Assert.Equal(BusStatus.Ok, mem.Write(0x2FFD, [1, 2, 3, 4, 5, 6, 7, 8], BusAccess.Cpu));

        Assert.Equal([('W', 0xFFDUL, 1, 1UL), ('W', 0xFFEUL, 2, 0x0302UL)], dev.Log);
        Assert.Equal(BusStatus.Ok, mem.Read(0x3000, 5, BusAccess.Cpu, out ulong ram));
        Assert.Equal(0x08_0706_0504UL, ram);
    }

    [Fact]
    public void Span_DeviceRefusesAPiece_StopsWithSlaveError()
    {
        var mem = new PhysicalMemory();
        var dev = new RegisterFileDevice(0x40) { RefusedOffset = 0x10 };
        mem.AddMmio(0x2000, 0x40, dev);

        Assert.Equal(BusStatus.SlaveError, mem.Write(0x2000, new byte[0x40], BusAccess.Cpu));
        Assert.Equal([0x0UL, 0x8UL, 0x10UL], dev.Log.Select(e => e.Offset));
        Assert.Equal(BusStatus.SlaveError, mem.Read(0x2010, new byte[8], BusAccess.Cpu));
    }

    [Fact]
    public void Mmio_UnsupportedWidth_IsSlaveError()
    {
        var mem = new PhysicalMemory();
        var dev = new RegisterFileDevice(0x40) { AcceptedSizes = [4] };
        mem.AddMmio(0x2000, 0x40, dev);

        Assert.Equal(BusStatus.SlaveError, mem.Write64(0x2000, 1, BusAccess.Cpu));
        Assert.Equal(BusStatus.SlaveError, mem.Read16(0x2004, BusAccess.Cpu, out ushort v));
        Assert.Equal(0, v);
        Assert.Equal(BusStatus.Ok, mem.Write32(0x2004, 7, BusAccess.Cpu));
    }

    [Fact]
    public void CompareExchange64_Ram_SwapsOnlyOnMatch()
    {
        var mem = new PhysicalMemory();
        mem.AddRam(0x4000_0000, 0x10_0000);

        Assert.Equal(BusStatus.Ok, mem.CompareExchange64(0x4000_0008, 0, 0x1003, BusAccess.Cpu, out ulong first));
        Assert.Equal(BusStatus.Ok, mem.CompareExchange64(0x4000_0008, 0, 0x2003, BusAccess.Cpu, out ulong second));

        Assert.Equal(0UL, first);
        Assert.Equal(0x1003UL, second);
        Assert.Equal(BusStatus.Ok, mem.Read64(0x4000_0008, BusAccess.NoSnoop, out ulong v));
        Assert.Equal(0x1003UL, v);
    }

    [Fact]
    public void CompareExchange64_MmioOrHole_IsABusErrorAndMisalignmentThrows()
    {
        var mem = new PhysicalMemory();
        mem.AddRam(0, 0x1000);
        mem.AddMmio(0x1000, 0x100, new RegisterFileDevice(0x100));

        Assert.Equal(BusStatus.SlaveError, mem.CompareExchange64(0x1000, 0, 1, BusAccess.Cpu, out _));
        Assert.Equal(BusStatus.DecodeError, mem.CompareExchange64(0x8000, 0, 1, BusAccess.Cpu, out _));
        Assert.Throws<ArgumentException>(() => mem.CompareExchange64(4, 0, 1, BusAccess.Cpu, out _));
    }

    [Fact]
    public void AddRam_BadRegions_Throw()
    {
        var mem = new PhysicalMemory();
        mem.AddRam(0x10_0000, 0x10_0000);
        mem.AddMmio(0x30_0000, 0x1000, new RegisterFileDevice(0x1000));

        Assert.Throws<ArgumentException>(() => mem.AddRam(0x1_0800, 0x1000));
        Assert.Throws<ArgumentException>(() => mem.AddRam(0x1000, 0x800));
        Assert.Throws<ArgumentException>(() => mem.AddRam(0x1000, 0));
        Assert.Throws<ArgumentException>(() => mem.AddRam(0x1F_F000, 0x2000));
        Assert.Throws<ArgumentException>(() => mem.AddRam(0x30_0000, 0x1000));
        Assert.Throws<ArgumentException>(() => mem.AddRam(0xFFFF_FFFF_FFFF_F000, 0x2000));
        Assert.Throws<ArgumentException>(() => mem.AddRam(0x1000_0000_0000, (1UL << 46) + 0x1000));
        Assert.Throws<ArgumentException>(() => mem.AddMmio(0x30_0800, 0x10, new RegisterFileDevice(0x10)));
        Assert.Throws<ArgumentException>(() => mem.AddMmio(0x40_0000, 0, new RegisterFileDevice(0x10)));
        Assert.Equal(2, mem.Regions.Count);
    }

    [Fact]
    public void Regions_ListsRamAndMmioSortedByBase()
    {
        var mem = new PhysicalMemory();
        var dev = new RegisterFileDevice(0x1000);
        mem.AddRam(0x8000_0000, 0x1000_0000);
        mem.AddMmio(0x0900_0000, 0x1000, dev);

        Assert.Equal(
            [new MemoryRegionInfo(0x0900_0000, 0x1000, dev), new MemoryRegionInfo(0x8000_0000, 0x1000_0000, null)],
            mem.Regions);
        Assert.False(mem.Regions[0].IsRam);
        Assert.True(mem.Regions[1].IsRam);
        Assert.True(mem.IsRam(0x8FFF_F000, 0x1000));
        Assert.False(mem.IsRam(0x8FFF_F000, 0x1001));
    }

    private static PhysicalMemory NewMemory(bool cache) =>
        cache ? new PhysicalMemory(new CpuCacheOptions { CapacityLines = 16 }) : new PhysicalMemory();
}
