using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables;
using IommuKit.Hardware.PageTables.ArmLpae;

namespace IommuKit.Hardware.Tests.PageTables;

/// <summary>The W3 workload of benchmark-workloads.md, untimed: its expected values pin the format and the walk.</summary>
public sealed class ArmLpaeW3Tests
{
    private const int N = 1_000_000;
    private const ulong IovaBase = 0x4000_0000_0000;
    private const ulong PaBase = 0x8000_0000;

    [Fact]
    public void Prng_FirstOutputs_MatchReference()
    {
        ulong state = 0x9E3779B97F4A7C15;
        Assert.Equal(0xdc1b77ae0bf34dadUL, Next(ref state));
        Assert.Equal(0x64f0eeb9026e6076UL, Next(ref state));
        Assert.Equal(0x7b07ce91e5906136UL, Next(ref state));
    }

    [Fact]
    public void W3_MapWalkUnmap_ExpectedValues()
    {
        var memory = new PhysicalMemory();
        memory.AddRam(0, 64UL << 20);
        var allocator = new SimpleTablePageAllocator(memory, 0, 64UL << 20);
        var cfg = new IoPageTableConfig { Format = ArmLpaeFormat.Arm64LpaeS1, PgsizeBitmap = Sizes.Arm4K, Ias = 48, Oas = 48, CoherentWalk = true };
        Assert.Equal(PageTableStatus.Ok, ArmLpaeIoPageTable.TryCreate(cfg, memory, allocator, new RecordingFlushOps(), out ArmLpaeIoPageTable? t));
        ArmLpaeIoPageTable table = t!;
        Assert.Equal(0UL, table.PgdPa);

        for (ulong i = 0; i < N; i++)
        {
            Assert.Equal(PageTableStatus.Ok, table.MapPages(IovaBase + (i * 4096), PaBase + (i * 4096), 4096, 1, IommuProt.Read | IommuProt.Write | IommuProt.Cache, out _));
        }

        Assert.Equal(1960, allocator.AllocatedCount); // 1 L0, 1 L1, 4 L2, 1954 L3
        Assert.Equal(PaBase | 0xF47, ReadLeaf(memory, table, IovaBase));

        ArmLpaeWalkConfig walk = table.CreateWalkConfig(BusAccess.Snoop);
        ulong state = 0x9E3779B97F4A7C15;
        ulong sum = 0;
        for (int k = 0; k < 10_000_000; k++)
        {
            ulong r = Next(ref state);
            ulong r2 = Next(ref state);
            ulong iova = IovaBase + ((r % N) * 4096) + (r2 % 4096);
            ArmLpaeWalker.Walk(memory, in walk, iova, ArmLpaeAccess.Read, out ArmLpaeWalkResult w);
            if (k == 0)
            {
                Assert.Equal(0x4000cdced076UL, iova);
                Assert.Equal(0x14dced076UL, w.OutputAddress);
            }

            sum += w.OutputAddress;
        }

        Assert.Equal(0x00950ac4ffdafb79UL, sum);
        Assert.Equal(0x287db4fc7cfc2623UL, state);

        for (ulong i = 0; i < N; i++)
        {
            Assert.Equal(4096UL, table.UnmapPages(IovaBase + (i * 4096), 4096, 1, null));
        }

        for (ulong i = 0; i < N; i += 101)
        {
            ArmLpaeWalker.Walk(memory, in walk, IovaBase + (i * 4096), ArmLpaeAccess.Read, out ArmLpaeWalkResult w);
            Assert.Equal(ArmLpaeFault.Translation, w.Fault);
        }
    }

    private static ulong Next(ref ulong state)
    {
        ulong x = state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        state = x;
        return x;
    }

    private static ulong ReadLeaf(PhysicalMemory memory, ArmLpaeIoPageTable table, ulong iova)
    {
        ulong t = table.PgdPa;
        ulong d = 0;
        for (int level = 0; level < 4; level++)
        {
            Assert.Equal(BusStatus.Ok, memory.Read64(t + (((iova >> (39 - (9 * level))) & 511) * 8), BusAccess.Cpu, out d));
            t = d & 0x0000_FFFF_FFFF_F000;
        }

        return d;
    }
}
