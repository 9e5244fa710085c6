using IommuKit.Hardware.Memory;

namespace IommuKit.Hardware.Tests.Memory;

/// <summary>
/// The walk view table walkers load descriptors through: physical addresses from 0 to a power of two
/// above the largest RAM region, RAM reading as the bus does and the rest as zero.
/// </summary>
public sealed unsafe class WalkViewTests
{
    [Theory]
    [InlineData(0UL, 64UL << 20, 64UL << 20)] // W3's RAM: the view is the region
    [InlineData(0x8000_0000UL, 2UL << 30, 4UL << 30)] // a 2 GiB hole below
    [InlineData(0x8010_0000UL, 2UL << 20, 4UL << 30)]
    [InlineData(0x8000_0000UL, 64UL << 30, 128UL << 30)]
    [InlineData(0xFFF_0000_0000UL, 1UL << 30, 16UL << 40)] // ends just below 16 TiB: the largest view
    [InlineData(0x1000_0000_0000UL, 1UL << 30, 0UL)] // beyond it: none, every walk takes the bus
    public void GetWalkView_Region_CoversZeroToThePowerOfTwoAboveItsEnd(ulong ramBase, ulong ramSize, ulong viewSize)
    {
        var memory = new PhysicalMemory();
        memory.AddRam(ramBase, ramSize);

        memory.GetWalkView(BusAccess.Snoop, out ulong size);

        Assert.Equal(viewSize, size);
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

        byte* origin = memory.GetWalkView(access, out ulong viewSize);

        Assert.Equal(4UL << 30, viewSize);
        Assert.Equal(0UL, *(ulong*)origin);
        Assert.Equal(0UL, *(ulong*)(origin + viewSize - 8));
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

        memory.GetWalkView(BusAccess.Snoop, out ulong snoopSize);
        memory.GetWalkView(BusAccess.NoSnoop, out ulong noSnoopSize);

        Assert.Equal(0UL, snoopSize);
        Assert.Equal(1UL << 20, noSnoopSize);
    }

    [Fact]
    public void GetWalkView_NoRam_IsEmpty()
    {
        var memory = new PhysicalMemory();

        memory.GetWalkView(BusAccess.NoSnoop, out ulong size);

        Assert.Equal(0UL, size);
    }
}
