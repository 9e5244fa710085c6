using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using IommuKit.Hardware.Dma;
using IommuKit.Hardware.Memory;

namespace IommuKit.Benchmarks;

/// <summary>
/// Simulated physical memory: the cost of one 8-byte access on a coherent-only machine (no cache
/// model) against the same access done directly on the sparse RAM store (the floor: chunk lookup
/// and load, from the same physical address, without the memory map's checks), the cost
/// with a CPU cache model (for information), a 4 KiB page copy, and one 8-byte DMA read through
/// a <see cref="DmaEndpoint"/> wired to <see cref="DirectDmaTarget"/>. Each figure is per access:
/// every invocation does <see cref="Ops"/> accesses to aligned words of a 64 KiB window that is
/// already backed, so the host's own caches hold it and what is measured is the simulation.
/// </summary>
/// <remarks>
/// <c>dotnet run -c Release --project bench/IommuKit.Benchmarks -- --filter '*MemoryBenchmarks*'</c>
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class MemoryBenchmarks
{
    private const int Ops = 1024;
    private const ulong RamBase = 0x8000_0000;
    private const ulong Window = 64 * 1024;
    private const ulong Stride = 8 * 7; // visits every word of the window over 8 Ki accesses

    private readonly byte[] _page = new byte[4096];
    private PhysicalMemory _coherent = null!;
    private PhysicalMemory _cached = null!;
    private SparseRam _raw = null!;
    private DmaEndpoint _endpoint = null!;
    private ulong _cursor;

    [GlobalSetup]
    public void Setup()
    {
        _coherent = new PhysicalMemory();
        _coherent.AddRam(RamBase, 1UL << 30);
        _cached = new PhysicalMemory(new CpuCacheOptions());
        _cached.AddRam(RamBase, 1UL << 30);
        _raw = new SparseRam(RamBase, 1UL << 30);
        for (ulong off = 0; off < Window; off += 8)
        {
            _coherent.Write64(RamBase + off, off, BusAccess.Cpu);
            _cached.Write64(RamBase + off, off, BusAccess.Cpu);
            _raw.WriteValue(off, 8, off);
        }

        _endpoint = new DmaEndpoint("bench", 0x10, coherent: true, new DirectDmaTarget(_coherent));
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Ops)]
    [BenchmarkCategory("Read64")]
    public ulong Read64_RawSparseRam()
    {
        ulong sum = 0;
        ulong off = _cursor;
        SparseRam raw = _raw;
        for (int i = 0; i < Ops; i++)
        {
            off = (off + Stride) & (Window - 8);
            ulong ramOffset = RamBase + off - raw.Base; // the same physical address the other methods pass
            unsafe
            {
                sum += SparseRam.ReadAt(raw.Pointer + ramOffset, 8);
            }
        }

        _cursor = off;
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    [BenchmarkCategory("Read64")]
    public ulong Read64_CoherentOnly()
    {
        ulong sum = 0;
        ulong off = _cursor;
        PhysicalMemory mem = _coherent;
        for (int i = 0; i < Ops; i++)
        {
            off = (off + Stride) & (Window - 8);
            mem.Read64(RamBase + off, BusAccess.Cpu, out ulong v);
            sum += v;
        }

        _cursor = off;
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    [BenchmarkCategory("Read64")]
    public ulong Read64_WithCpuCache()
    {
        ulong sum = 0;
        ulong off = _cursor;
        PhysicalMemory mem = _cached;
        for (int i = 0; i < Ops; i++)
        {
            off = (off + Stride) & (Window - 8);
            mem.Read64(RamBase + off, BusAccess.Cpu, out ulong v);
            sum += v;
        }

        _cursor = off;
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    [BenchmarkCategory("Read64")]
    public ulong Read64_DmaEndpointDirect()
    {
        ulong sum = 0;
        ulong off = _cursor;
        DmaEndpoint endpoint = _endpoint;
        for (int i = 0; i < Ops; i++)
        {
            off = (off + Stride) & (Window - 8);
            endpoint.Read64(RamBase + off, out ulong v);
            sum += v;
        }

        _cursor = off;
        return sum;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Ops)]
    [BenchmarkCategory("Write64")]
    public ulong Write64_RawSparseRam()
    {
        ulong off = _cursor;
        SparseRam raw = _raw;
        for (int i = 0; i < Ops; i++)
        {
            off = (off + Stride) & (Window - 8);
            ulong ramOffset = RamBase + off - raw.Base;
            unsafe
            {
                SparseRam.WriteAt(raw.Pointer + ramOffset, 8, off);
            }
        }

        _cursor = off;
        return off;
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    [BenchmarkCategory("Write64")]
    public ulong Write64_CoherentOnly()
    {
        ulong off = _cursor;
        PhysicalMemory mem = _coherent;
        for (int i = 0; i < Ops; i++)
        {
            off = (off + Stride) & (Window - 8);
            mem.Write64(RamBase + off, off, BusAccess.Cpu);
        }

        _cursor = off;
        return off;
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    [BenchmarkCategory("Write64")]
    public ulong Write64_WithCpuCache()
    {
        ulong off = _cursor;
        PhysicalMemory mem = _cached;
        for (int i = 0; i < Ops; i++)
        {
            off = (off + Stride) & (Window - 8);
            mem.Write64(RamBase + off, off, BusAccess.Cpu);
        }

        _cursor = off;
        return off;
    }

    /// <summary>A guest memcpy of one 4 KiB page: span read into a host buffer, span write to the next page (per page).</summary>
    [Benchmark]
    [BenchmarkCategory("Copy4K")]
    public byte Copy4K_CoherentOnly()
    {
        _cursor = (_cursor + 4096) & (Window - 4096);
        _coherent.Read(RamBase + _cursor, _page, BusAccess.Cpu);
        _coherent.Write(RamBase + ((_cursor + 4096) & (Window - 4096)), _page, BusAccess.Cpu);
        return _page[17];
    }

    [Benchmark]
    [BenchmarkCategory("Copy4K")]
    public byte Copy4K_WithCpuCache()
    {
        _cursor = (_cursor + 4096) & (Window - 4096);
        _cached.Read(RamBase + _cursor, _page, BusAccess.Cpu);
        _cached.Write(RamBase + ((_cursor + 4096) & (Window - 4096)), _page, BusAccess.Cpu);
        return _page[17];
    }
}
