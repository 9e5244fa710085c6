using System.Diagnostics;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables;
using IommuKit.Hardware.PageTables.ArmLpae;

namespace IommuKit.Benchmarks;

/// <summary>
/// W3 (benchmark-workloads.md): 1,000,000 4K pages mapped one call each through
/// <see cref="ArmLpaeIoPageTable.MapPages"/>, 10,000,000 random hardware walks with
/// <see cref="ArmLpaeWalker.Walk"/>, then the pages unmapped one call each with
/// <see cref="ArmLpaeIoPageTable.UnmapPages"/>, on a 64 MiB <see cref="PhysicalMemory"/> without
/// a cache model whose tables come from a bump allocator (root at PA 0).
/// </summary>
/// <remarks>Run with <c>dotnet run -c Release --project bench/IommuKit.Benchmarks -- w3</c> (plain timed driver) or
/// <c>-- --filter '*ArmLpaeW3*'</c> (BenchmarkDotNet).</remarks>
public static class ArmLpaeW3
{
    public const int N = 1_000_000;
    public const int Walks = 10_000_000;
    public const ulong IovaBase = 0x4000_0000_0000;
    public const ulong PaBase = 0x8000_0000;
    public const ulong Seed = 0x9E3779B97F4A7C15;
    public const int ExpectedTables = 1960;
    public const ulong ExpectedChecksum = 0x00950ac4ffdafb79;
    public const ulong ExpectedPrngState = 0x287db4fc7cfc2623;
    public const ulong ExpectedFirstIova = 0x4000cdced076;
    public const ulong ExpectedFirstPa = 0x14dced076;
    private const ulong Page = 4096;
    private const int SteadyPasses = 5;
    private const IommuProt Prot = IommuProt.Read | IommuProt.Write | IommuProt.Cache; // → 0xF47 leaves

    /// <summary>xorshift64 (13/7/17); the output is the new state.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Next(ref ulong state)
    {
        ulong x = state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        state = x;
        return x;
    }

    /// <summary>The W3 machine: 64 MiB of RAM at PA 0, a bump/free-list allocator over all of it, an empty stage-1 table.</summary>
    public static (PhysicalMemory Memory, SimpleTablePageAllocator Allocator, ArmLpaeIoPageTable Table, ArmLpaeWalkConfig Walk) Create()
    {
        var memory = new PhysicalMemory();
        memory.AddRam(0, 64UL << 20);
        var allocator = new SimpleTablePageAllocator(memory, 0, 64UL << 20);
        ArmLpaeIoPageTable table = CreateTable(memory, allocator);
        if (table.PgdPa != 0)
        {
            throw new InvalidOperationException("W3: could not create the table with its root at PA 0.");
        }

        return (memory, allocator, table, table.CreateWalkConfig(BusAccess.Snoop));
    }

    /// <summary>An empty W3 stage-1 table (4K granule, 48-bit, coherent walker) on <paramref name="memory"/>.</summary>
    private static ArmLpaeIoPageTable CreateTable(PhysicalMemory memory, SimpleTablePageAllocator allocator)
    {
        var cfg = new IoPageTableConfig
        {
            Format = ArmLpaeFormat.Arm64LpaeS1,
            PgsizeBitmap = (1UL << 12) | (1UL << 21) | (1UL << 30),
            Ias = 48,
            Oas = 48,
            CoherentWalk = true,
        };
        return ArmLpaeIoPageTable.TryCreate(cfg, memory, allocator, new NoFlush(), out ArmLpaeIoPageTable? table) == PageTableStatus.Ok
            ? table!
            : throw new InvalidOperationException("W3: could not create the table.");
    }

    public static void MapAll(ArmLpaeIoPageTable table) => MapRange(table, 0, N);

    /// <summary>Maps W3's pages <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/> − 1, one call each.</summary>
    public static void MapRange(ArmLpaeIoPageTable table, ulong first, ulong count)
    {
        for (ulong i = first; i < first + count; i++)
        {
            if (table.MapPages(IovaBase + (i * Page), PaBase + (i * Page), Page, 1, Prot, out _) != PageTableStatus.Ok)
            {
                throw new InvalidOperationException($"W3: map {i} failed.");
            }
        }
    }

    /// <summary>The walk phase; returns the checksum and leaves the PRNG state in <paramref name="state"/>.</summary>
    public static ulong WalkAll(PhysicalMemory memory, in ArmLpaeWalkConfig cfg, ref ulong state, int walks)
    {
        ulong sum = 0;
        ulong s = state; // in a register, as the C program's compiler keeps it
        for (int k = walks; k > 0; k--) // one register for the count, as the C loop's constant bound allows
        {
            ulong r = Next(ref s);
            ulong r2 = Next(ref s);
            ulong iova = IovaBase + ((r % N) * Page) + (r2 % Page);
            ArmLpaeWalker.Walk(memory, in cfg, iova, ArmLpaeAccess.Read, out ArmLpaeWalkResult w);
            if (!w.IsOk)
            {
                throw WalkFaulted(memory, in cfg, iova);
            }

            sum += w.OutputAddress;
        }

        state = s;
        return sum;
    }

    /// <summary>The failure of a walk that should have succeeded, with its fault (walked again: the loop keeps only what it sums).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static InvalidOperationException WalkFaulted(PhysicalMemory memory, in ArmLpaeWalkConfig cfg, ulong iova)
    {
        ArmLpaeWalker.Walk(memory, in cfg, iova, ArmLpaeAccess.Read, out ArmLpaeWalkResult w);
        return new InvalidOperationException($"W3: walk of 0x{iova:x} faulted ({w.Fault}).");
    }

    public static void UnmapAll(ArmLpaeIoPageTable table) => UnmapRange(table, 0, N);

    /// <summary>Unmaps W3's pages <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/> − 1, one call each.</summary>
    public static void UnmapRange(ArmLpaeIoPageTable table, ulong first, ulong count)
    {
        for (ulong i = first; i < first + count; i++)
        {
            if (table.UnmapPages(IovaBase + (i * Page), Page, 1, null) != Page)
            {
                throw new InvalidOperationException($"W3: unmap {i} failed.");
            }
        }
    }

    /// <summary>
    /// The C reference's walk written in plain C# over the same simulated RAM (one load per level,
    /// W3's checks only): the floor the .NET runtime and this memory give, without the hardware
    /// walker's checks and result.
    /// </summary>
    public static unsafe ulong WalkFloor(PhysicalMemory memory, ref ulong state, int walks)
    {
        if (!memory.TryGetReadView(BusAccess.Snoop, out byte* ram, out ulong ramBase, out ulong ramSize) || ramBase != 0)
        {
            throw new InvalidOperationException("W3: RAM must start at PA 0 without a cache model.");
        }

        ulong sum = 0;
        ulong s = state;
        for (int k = 0; k < walks; k++)
        {
            ulong r = Next(ref s);
            ulong r2 = Next(ref s);
            ulong iova = IovaBase + ((r % N) * Page) + (r2 % Page);
            ulong table = 0;
            for (int level = 0; level < 4; level++)
            {
                ulong off = table + (((iova >> (39 - (9 * level))) & 511) << 3);
                ulong d = off < ramSize ? *(ulong*)(ram + off) : 0;
                if ((d & 3) != 3 || (level == 3 && (d & ArmLpaePte.Af) == 0))
                {
                    throw new InvalidOperationException($"W3: floor walk of 0x{iova:x} faulted.");
                }

                table = d & ArmLpaePte.AddrMask;
            }

            sum += table | (iova & 0xFFF);
        }

        GC.KeepAlive(memory);
        state = s;
        return sum;
    }

    /// <summary>The walk loop's PRNG and address computation alone (same stream).</summary>
    public static ulong AddrGen(ref ulong state, int walks)
    {
        ulong sum = 0;
        ulong s = state;
        for (int k = 0; k < walks; k++)
        {
            ulong r = Next(ref s);
            ulong r2 = Next(ref s);
            sum += IovaBase + ((r % N) * Page) + (r2 % Page);
        }

        state = s;
        return sum;
    }

    /// <summary>
    /// Runs the whole workload untimed and throws unless it produces W3's expected values (tables,
    /// checksum, PRNG state, every page faulting after the unmaps).
    /// </summary>
    public static void Verify()
    {
        (PhysicalMemory memory, SimpleTablePageAllocator allocator, ArmLpaeIoPageTable table, ArmLpaeWalkConfig cfg) = Create();
        MapAll(table);
        ulong state = Seed;
        ulong sum = WalkAll(memory, in cfg, ref state, Walks);
        UnmapAll(table);
        for (ulong i = 0; i < N; i += 997)
        {
            ArmLpaeWalker.Walk(memory, in cfg, IovaBase + (i * Page), ArmLpaeAccess.Read, out ArmLpaeWalkResult w);
            if (w.Fault != ArmLpaeFault.Translation)
            {
                throw new InvalidOperationException($"W3: page {i} still translates after unmap.");
            }
        }

        if (allocator.AllocatedCount != ExpectedTables || sum != ExpectedChecksum || state != ExpectedPrngState)
        {
            throw new InvalidOperationException(
                $"W3: tables {allocator.AllocatedCount}, checksum 0x{sum:x16}, PRNG state 0x{state:x16} differ from the expected values.");
        }
    }

    /// <summary>The plain timed driver: prints ns/op like bench/reference/w3_lpae.c and checks the expected values; returns 0 if they match.</summary>
    public static int Run(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        WarmUp();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        (PhysicalMemory memory, SimpleTablePageAllocator allocator, ArmLpaeIoPageTable table, ArmLpaeWalkConfig cfg) = Create();

        long t0 = Stopwatch.GetTimestamp();
        MapAll(table);
        long t1 = Stopwatch.GetTimestamp();

        ulong state = Seed;
        ulong r0 = Seed;
        ulong firstIova = IovaBase + ((Next(ref r0) % N) * Page) + (Next(ref r0) % Page);
        ArmLpaeWalker.Walk(memory, in cfg, firstIova, ArmLpaeAccess.Read, out ArmLpaeWalkResult first);
        long t2 = Stopwatch.GetTimestamp();
        ulong sum = WalkAll(memory, in cfg, ref state, Walks);
        long t3 = Stopwatch.GetTimestamp();
        ulong stateAfterWalks = state;

        ulong floorState = Seed;
        long f0 = Stopwatch.GetTimestamp();
        ulong floorSum = WalkFloor(memory, ref floorState, Walks);
        long f1 = Stopwatch.GetTimestamp();

        // Steady state: more walk passes over the same tables (same stream), the walker and the
        // floor alternately; the first pass above is W3's figure, these show the memory warmed up.
        // With W3_C_LIBRARY naming the C reference built as a library (run-w3.sh does), its own walk
        // phase also runs here, in this process, over these same tables: the C reference timed
        // beside the walker with nothing between them but the order of the passes.
        using var reference = InProcessReference.Load(Environment.GetEnvironmentVariable("W3_C_LIBRARY"));
        double walkBest = double.MaxValue, floorBest = double.MaxValue, cBest = double.MaxValue;
        for (int pass = 0; pass < SteadyPasses; pass++)
        {
            ulong ps = Seed;
            long p0 = Stopwatch.GetTimestamp();
            ulong psum = WalkAll(memory, in cfg, ref ps, Walks);
            long p1 = Stopwatch.GetTimestamp();
            ps = Seed;
            ulong fsum = WalkFloor(memory, ref ps, Walks);
            long p2 = Stopwatch.GetTimestamp();
            ulong csum = reference?.WalkPhase(memory, Seed, Walks) ?? ExpectedChecksum;
            long p3 = Stopwatch.GetTimestamp();
            if (psum != ExpectedChecksum || fsum != ExpectedChecksum || csum != ExpectedChecksum)
            {
                throw new InvalidOperationException("W3: a steady-state pass gave another checksum.");
            }

            walkBest = Math.Min(walkBest, Ns(p0, p1, Walks));
            floorBest = Math.Min(floorBest, Ns(p1, p2, Walks));
            cBest = Math.Min(cBest, Ns(p2, p3, Walks));
        }

        long t4 = Stopwatch.GetTimestamp();
        UnmapAll(table);
        long t5 = Stopwatch.GetTimestamp();

        state = Seed;
        long t6 = Stopwatch.GetTimestamp();
        ulong asum = AddrGen(ref state, Walks);
        long t7 = Stopwatch.GetTimestamp();
        GC.KeepAlive(asum);

        int stillMapped = 0;
        for (ulong i = 0; i < N; i++)
        {
            ArmLpaeWalker.Walk(memory, in cfg, IovaBase + (i * Page), ArmLpaeAccess.Read, out ArmLpaeWalkResult w);
            if (w.Fault == ArmLpaeFault.None)
            {
                stillMapped++;
            }
        }

        output.WriteLine($"w3.cs.tables {allocator.AllocatedCount}");
        output.WriteLine($"w3.cs.first_walk 0x{firstIova:x} -> 0x{first.OutputAddress:x}");
        output.WriteLine($"w3.cs.checksum 0x{sum:x16}");
        output.WriteLine($"w3.cs.prng_state 0x{stateAfterWalks:x16}");
        output.WriteLine($"w3.cs.map {Ns(t0, t1, N):F2} ns/op");
        output.WriteLine($"w3.cs.walk {Ns(t2, t3, Walks):F2} ns/op");
        output.WriteLine($"w3.cs.unmap {Ns(t4, t5, N):F2} ns/op");
        output.WriteLine($"w3.cs.addrgen {Ns(t6, t7, Walks):F2} ns/op");
        output.WriteLine($"w3.cs.walk_floor {Ns(f0, f1, Walks):F2} ns/op");
        output.WriteLine($"w3.cs.walk_steady {walkBest:F2} ns/op");
        output.WriteLine($"w3.cs.walk_floor_steady {floorBest:F2} ns/op");
        if (reference is not null)
        {
            output.WriteLine($"w3.cs.c_inprocess_steady {cBest:F2} ns/op");
        }

        bool ok = allocator.AllocatedCount == ExpectedTables && sum == ExpectedChecksum && stateAfterWalks == ExpectedPrngState
            && firstIova == ExpectedFirstIova && first.OutputAddress == ExpectedFirstPa && stillMapped == 0
            && floorSum == ExpectedChecksum;
        output.WriteLine($"w3.cs.check {(ok ? "ok" : "FAILED")}");
        return ok ? 0 : 1;
    }

    /// <summary>
    /// Runs every phase on a throw-away machine in many short calls, so that call counting promotes
    /// each loop to tier-1 code with its inlinees, then waits for the background JIT: the timed run
    /// measures the steady-state code a long-running process has, as the AOT-compiled C program does.
    /// </summary>
    private static void WarmUp()
    {
        const int Calls = 60;
        const int PerCall = N / Calls;
        (PhysicalMemory memory, SimpleTablePageAllocator allocator, ArmLpaeIoPageTable table, ArmLpaeWalkConfig cfg) = Create();

        // The maps build tables only the first time round, too rarely for that code (the general
        // map path, the allocator, the table install) to reach tier 1: build some on the side, one
        // new last-level table per map, a few times over.
        for (int round = 0; round < 4; round++)
        {
            ArmLpaeIoPageTable scratch = CreateTable(memory, allocator);
            for (ulong i = 0; i < 64; i++)
            {
                if (scratch.MapPages(IovaBase + (i << 21), PaBase, Page, 1, Prot, out _) != PageTableStatus.Ok)
                {
                    throw new InvalidOperationException("W3: warm-up map failed.");
                }
            }

            Thread.Sleep(150); // past the tiering delay, so the calls count
        }

        for (int round = 0; round < 4; round++)
        {
            MapRange(table, 0, N - ((ulong)Calls * PerCall));
            for (int c = 0; c < Calls; c++)
            {
                MapRange(table, (ulong)(N - ((Calls - c) * PerCall)), PerCall);
            }

            ulong state = Seed;
            for (int c = 0; c < Calls; c++)
            {
                WalkAll(memory, in cfg, ref state, PerCall);
                WalkFloor(memory, ref state, PerCall);
                AddrGen(ref state, PerCall);
            }

            UnmapRange(table, 0, N - ((ulong)Calls * PerCall));
            for (int c = 0; c < Calls; c++)
            {
                UnmapRange(table, (ulong)(N - ((Calls - c) * PerCall)), PerCall);
            }

            Thread.Sleep(500); // let the background JIT finish tier-1 code
        }
    }

    private static double Ns(long start, long end, int ops) => (end - start) * (1e9 / Stopwatch.Frequency) / ops;

    /// <summary>The C reference's <c>w3_walk_phase</c>, loaded from its shared-library build.</summary>
    private sealed unsafe class InProcessReference : IDisposable
    {
        private readonly nint _library;
        private readonly delegate* unmanaged<byte*, ulong*, ulong, ulong> _walkPhase;

        private InProcessReference(nint library, nint walkPhase)
        {
            _library = library;
            _walkPhase = (delegate* unmanaged<byte*, ulong*, ulong, ulong>)walkPhase;
        }

        public static InProcessReference? Load(string? path)
        {
            if (string.IsNullOrEmpty(path))
            {
                return null;
            }

            nint library = System.Runtime.InteropServices.NativeLibrary.Load(path);
            return new InProcessReference(library, System.Runtime.InteropServices.NativeLibrary.GetExport(library, "w3_walk_phase"));
        }

        /// <summary>Runs the C walk phase over <paramref name="memory"/>'s RAM (root table at PA 0) and returns its checksum.</summary>
        public ulong WalkPhase(PhysicalMemory memory, ulong seed, int walks)
        {
            if (!memory.TryGetReadView(BusAccess.Snoop, out byte* ram, out ulong ramBase, out _) || ramBase != 0)
            {
                throw new InvalidOperationException("W3: RAM must start at PA 0 without a cache model.");
            }

            ulong state = seed;
            ulong sum = _walkPhase(ram, &state, (ulong)walks);
            GC.KeepAlive(memory);
            return sum;
        }

        public void Dispose() => System.Runtime.InteropServices.NativeLibrary.Free(_library);
    }

    /// <summary>W3 does no TLB maintenance (unmap passes no gather; tables are never freed).</summary>
    private sealed class NoFlush : IIoPageTableFlushOps
    {
        public void TlbFlushAll()
        {
        }

        public void TlbFlushWalk(ulong iova, ulong size, ulong granule)
        {
        }

        public void TlbAddPage(IotlbGather gather, ulong iova, ulong granule)
        {
        }
    }
}

/// <summary>W3 phases under BenchmarkDotNet; each figure is per operation.</summary>
[MemoryDiagnoser]
public class ArmLpaeW3Benchmarks
{
    private PhysicalMemory _memory = null!;
    private ArmLpaeIoPageTable _table = null!;
    private ArmLpaeWalkConfig _walk;

    /// <summary>Proves the benchmarked code does W3's work before timing it.</summary>
    [GlobalSetup]
    public void VerifyWorkload() => ArmLpaeW3.Verify();

    [IterationSetup(Targets = [nameof(Map)])]
    public void SetupEmpty() => (_memory, _, _table, _walk) = ArmLpaeW3.Create();

    [IterationSetup(Targets = [nameof(Walk), nameof(WalkFloor), nameof(Unmap)])]
    public void SetupMapped()
    {
        SetupEmpty();
        ArmLpaeW3.MapAll(_table);
    }

    [Benchmark(OperationsPerInvoke = ArmLpaeW3.N)]
    public void Map() => ArmLpaeW3.MapAll(_table);

    [Benchmark(OperationsPerInvoke = ArmLpaeW3.N)]
    public ulong Walk()
    {
        ulong state = ArmLpaeW3.Seed;
        return ArmLpaeW3.WalkAll(_memory, in _walk, ref state, ArmLpaeW3.N);
    }

    [Benchmark(OperationsPerInvoke = ArmLpaeW3.N)]
    public ulong WalkFloor()
    {
        ulong state = ArmLpaeW3.Seed;
        return ArmLpaeW3.WalkFloor(_memory, ref state, ArmLpaeW3.N);
    }

    [Benchmark(OperationsPerInvoke = ArmLpaeW3.N)]
    public void Unmap() => ArmLpaeW3.UnmapAll(_table);

    [Benchmark(OperationsPerInvoke = ArmLpaeW3.N)]
    public ulong AddrGen()
    {
        ulong state = ArmLpaeW3.Seed;
        return ArmLpaeW3.AddrGen(ref state, ArmLpaeW3.N);
    }
}
