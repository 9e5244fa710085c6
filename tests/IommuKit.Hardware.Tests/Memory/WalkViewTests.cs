using IommuKit.Hardware.Memory;

namespace IommuKit.Hardware.Tests.Memory;

/// <summary>
/// The walk view table walkers load descriptors through: a naturally aligned power-of-two block of
/// physical addresses around the largest RAM region, RAM reading as the bus does and the rest as zero.
/// </summary>
public sealed unsafe class WalkViewTests
{
    [Theory]
    [InlineData(0UL, 64UL << 20, 0UL, 64UL << 20)] // W3's RAM: the view is the region
    [InlineData(0x8000_0000UL, 2UL << 30, 0x8000_0000UL, 2UL << 30)]
    [InlineData(0x8010_0000UL, 2UL << 20, 0x8000_0000UL, 4UL << 20)] // holes on both sides
    [InlineData(0x8000_0000UL, 64UL << 30, 0UL, 128UL << 30)] // 64 GiB above 2 GiB: a 128 GiB block
    [InlineData(0x1FF_0000_0000UL, 8UL << 30, 0x1FF_0000_0000UL, 4UL << 30)] // straddles 2 TiB: the largest block inside
    public void GetWalkView_Region_CoversTheSmallestAlignedBlockOrTheLargestInside(ulong ramBase, ulong ramSize, ulong viewBase, ulong viewSize)
    {
        var memory = new PhysicalMemory();
        memory.AddRam(ramBase, ramSize);

        memory.GetWalkView(BusAccess.Snoop, out ulong b, out ulong s);

        Assert.Equal((viewBase, viewSize), (b, s));
    }

    [Theory]
    [InlineData(BusAccess.Snoop)]
    [InlineData(BusAccess.NoSnoop)]
    public void GetWalkView_RegionWithHoles_ReadsRamAsTheBusAndHolesAsZero(BusAccess access)
    {
        var memory = new PhysicalMemory();
        memory.AddRam(0x8010_0000, 2UL << 20);
        memory.AddRam(0x8000_0000, 64 * 1024); // another, smaller region inside the hole
        Assert.Equal(BusStatus.Ok, memory.Write64(0x8010_0000, 0x1111, BusAccess.Cpu));
        Assert.Equal(BusStatus.Ok, memory.Write64(0x802F_FFF8, 0x2222, BusAccess.Cpu));
        Assert.Equal(BusStatus.Ok, memory.Write64(0x8000_0000, 0x3333, BusAccess.Cpu));

        byte* origin = memory.GetWalkView(access, out ulong viewBase, out ulong viewSize);

        Assert.Equal((0x8000_0000UL, 4UL << 20), (viewBase, viewSize));
        Assert.Equal(0x1111UL, *(ulong*)(origin + 0x8010_0000));
        Assert.Equal(0x2222UL, *(ulong*)(origin + 0x802F_FFF8));
        Assert.Equal(0UL, *(ulong*)(origin + 0x8000_0000)); // the other region is not in the view: the bus reads it
        Assert.Equal(0UL, *(ulong*)(origin + 0x803F_FFF8));
        GC.KeepAlive(memory);
    }

    [Fact]
    public void GetWalkView_CacheModel_OnlyNonSnoopingReadersGetAView()
    {
        var memory = new PhysicalMemory(new CpuCacheOptions());
        memory.AddRam(0, 1UL << 20);

        memory.GetWalkView(BusAccess.Snoop, out _, out ulong snoopSize);
        memory.GetWalkView(BusAccess.NoSnoop, out _, out ulong noSnoopSize);

        Assert.Equal(0UL, snoopSize);
        Assert.Equal(1UL << 20, noSnoopSize);
    }

    [Fact]
    public void GetWalkView_NoRam_IsEmpty()
    {
        var memory = new PhysicalMemory();

        memory.GetWalkView(BusAccess.NoSnoop, out _, out ulong size);

        Assert.Equal(0UL, size);
    }

    [Theory]
    [InlineData(0UL, 0x1000UL, 0UL, 0x1000UL)]
    [InlineData(0x1000UL, 0x3000UL, 0x2000UL, 0x2000UL)]
    [InlineData(0x3000UL, 0x5000UL, 0x4000UL, 0x4000UL)]
    [InlineData(0x1FF_0000_0000UL, 8UL << 30, 0x1FF_0000_0000UL, 4UL << 30)]
    [InlineData(0xFFFF_FFFF_FFFF_0000UL, 0x1_0000UL, 0xFFFF_FFFF_FFFF_0000UL, 0x1_0000UL)]
    public void LargestAlignedBlock_Vectors(ulong baseAddress, ulong size, ulong blockBase, ulong blockSize) =>
        Assert.Equal((blockBase, blockSize), SparseRam.LargestAlignedBlock(baseAddress, size));
}
