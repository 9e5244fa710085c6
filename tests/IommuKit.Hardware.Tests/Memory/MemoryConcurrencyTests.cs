using IommuKit.Hardware.Memory;

namespace IommuKit.Hardware.Tests.Memory;

/// <summary>
/// Two agents on two threads, as a device DMAs while the CPU edits page tables: disjoint writes
/// are never lost (including while the chunks they land in are being allocated), and atomic
/// increments through any mix of coherent paths count exactly.
/// </summary>
public sealed class MemoryConcurrencyTests
{
    private const ulong Base = 0x4000_0000;
    private const int Words = 8 * 64 * 1024 / 8; // 8 chunks of 64 KiB

    public static TheoryData<int, BusAccess, BusAccess> Agents => new()
    {
        { 0, BusAccess.Cpu, BusAccess.Snoop },
        { 0, BusAccess.NoSnoop, BusAccess.NoSnoop },
        { 64, BusAccess.Cpu, BusAccess.Cpu },
        { 64, BusAccess.Cpu, BusAccess.Snoop },
        { 64, BusAccess.NoSnoop, BusAccess.NoSnoop },
    };

    [Theory]
    [MemberData(nameof(Agents))]
    public void DisjointWords_TwoThreadsOnFreshChunks_NoWriteIsLost(int cacheLines, BusAccess first, BusAccess second)
    {
        for (int round = 0; round < 8; round++)
        {
            PhysicalMemory mem = NewMemory(cacheLines);
            int failures = 0;
            using var start = new Barrier(2);
            void Agent(int parity, BusAccess access)
            {
                start.SignalAndWait();
                for (int w = parity; w < Words; w += 2)
                {
                    ulong pa = Base + ((ulong)w * 8);
                    if (mem.Write64(pa, Stamp(pa), access) != BusStatus.Ok
                        || mem.Read64(pa, access, out ulong back) != BusStatus.Ok || back != Stamp(pa))
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
            }

            RunTogether(() => Agent(0, first), () => Agent(1, second));

            Assert.Equal(0, failures);
            mem.Cache?.WriteBackInvalidateAll();
            for (int w = 0; w < Words; w++)
            {
                ulong pa = Base + ((ulong)w * 8);
                Assert.Equal(BusStatus.Ok, mem.Read64(pa, BusAccess.NoSnoop, out ulong v));
                Assert.Equal(Stamp(pa), v);
            }

            Assert.Equal(8 * 64 * 1024, mem.BackedBytes);
        }
    }

    [Theory]
    [MemberData(nameof(Agents))]
    public void CompareExchange64_ConcurrentIncrements_CountExactly(int cacheLines, BusAccess first, BusAccess second)
    {
        const int PerThread = 20_000;
        PhysicalMemory mem = NewMemory(cacheLines);
        const ulong Counter = Base + 0x1_0000 - 8; // last word of a chunk: first touch happens under contention
        using var start = new Barrier(2);
        void Agent(BusAccess access)
        {
            start.SignalAndWait();
            for (int i = 0; i < PerThread; i++)
            {
                mem.Read64(Counter, access, out ulong seen);
                while (mem.CompareExchange64(Counter, seen, seen + 1, access, out ulong original) == BusStatus.Ok && original != seen)
                {
                    seen = original;
                }
            }
        }

        RunTogether(() => Agent(first), () => Agent(second));

        mem.Cache?.WriteBackInvalidateAll();
        Assert.Equal(BusStatus.Ok, mem.Read64(Counter, BusAccess.NoSnoop, out ulong total));
        Assert.Equal(2UL * PerThread, total);
    }

    [Fact]
    public void LineWriteBack_RacingNoSnoopReads_NeverTearsAWord()
    {
        PhysicalMemory mem = NewMemory(64);
        const ulong Word = Base + 0x18;
        int torn = 0;
        int done = 0;
        RunTogether(
            () =>
            {
                while (Volatile.Read(ref done) == 0)
                {
                    mem.Read64(Word, BusAccess.NoSnoop, out ulong v);
                    if (v != (byte)v * 0x0101_0101_0101_0101UL)
                    {
                        Interlocked.Increment(ref torn);
                    }
                }
            },
            () =>
            {
                for (int i = 0; i < 50_000; i++)
                {
                    mem.Write64(Word, (byte)i * 0x0101_0101_0101_0101UL, BusAccess.Cpu);
                    mem.Cache!.Clean(Word, 8);
                }

                Volatile.Write(ref done, 1);
            });

        Assert.Equal(0, torn);
    }

    [Fact]
    public void EightByteSpanRead_RacingValueWrites_NeverTearsAWord()
    {
        PhysicalMemory mem = NewMemory(0);
        const ulong Word = Base + 0x40;
        int torn = 0;
        int done = 0;
        RunTogether(
            () =>
            {
                Span<byte> descriptor = stackalloc byte[8];
                while (Volatile.Read(ref done) == 0)
                {
                    mem.Read(Word, descriptor, BusAccess.Snoop);
                    if (descriptor.IndexOfAnyExcept(descriptor[0]) >= 0)
                    {
                        Interlocked.Increment(ref torn);
                    }
                }
            },
            () =>
            {
                for (int i = 0; i < 200_000; i++)
                {
                    mem.Write64(Word, (byte)i * 0x0101_0101_0101_0101UL, BusAccess.Cpu);
                }

                Volatile.Write(ref done, 1);
            });

        Assert.Equal(0, torn);
    }

    /// <summary>Runs two agents on two dedicated threads and waits for both.</summary>
    private static void RunTogether(Action a, Action b)
    {
        var threads = new[] { new Thread(() => a()), new Thread(() => b()) };
        foreach (Thread t in threads)
        {
            t.Start();
        }

        foreach (Thread t in threads)
        {
            t.Join();
        }
    }

    private static ulong Stamp(ulong pa) => (pa * 0x9E37_79B9_7F4A_7C15) | 1;

    private static PhysicalMemory NewMemory(int cacheLines)
    {
        PhysicalMemory mem = cacheLines == 0 ? new PhysicalMemory() : new PhysicalMemory(new CpuCacheOptions { CapacityLines = cacheLines });
        mem.AddRam(Base, 0x100_0000);
        return mem;
    }
}
