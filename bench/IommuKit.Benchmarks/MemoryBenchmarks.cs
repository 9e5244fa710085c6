using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using IommuKit.Hardware.Dma;
using IommuKit.Hardware.Memory;

namespace IommuKit.Benchmarks;

/// <summary>
/// Simulated physical memory: the cost of one 8-byte access on a coherent-only machine (no cache
/// model) against the same load or store on a plain host array (the floor: no memory map, no
/// checks, no RAM store), the cost with a CPU cache model (for information), a 4 KiB page copy,
/// and one 8-byte DMA read through a <see cref="DmaEndpoint"/> wired to
/// <see cref="DirectDmaTarget"/>. Each figure is per access: every invocation does
/// <see cref="Ops"/> accesses to aligned words of a 64 KiB window that is already backed, so the
/// host's own caches hold it and what is measured is the simulation. Each access pattern is
/// written once (the loops below); the benchmarks differ only in the memory they run it on.
/// Only the public <see cref="PhysicalMemory"/> API is used.
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
    private const ulong RamSize = 1UL << 30;
    private const ulong Window = 64 * 1024;
    private const ulong Stride = 8 * 7; // visits every word of the window over 8 Ki accesses
    private const int Page = 4096;

    private readonly byte[] _page = new byte[Page];
    private readonly byte[] _host = new byte[Window];
    private PhysicalMemory _coherent = null!;
    private PhysicalMemory _cached = null!;
    private DmaEndpoint _endpoint = null!;
    private ulong _cursor;

    [GlobalSetup]
    public void Setup()
    {
        _coherent = NewMachineMemory(cacheModel: false);
        _cached = NewMachineMemory(cacheModel: true);
        for (ulong off = 0; off < Window; off += 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(_host.AsSpan((int)off), off);
        }

        _endpoint = new DmaEndpoint("bench", 0x10, coherent: true, new DirectDmaTarget(_coherent));
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Ops)]
    [BenchmarkCategory("Read64")]
    public ulong Read64_HostArray() => ReadHostArray();

    [Benchmark(OperationsPerInvoke = Ops)]
    [BenchmarkCategory("Read64")]
    public ulong Read64_CoherentOnly() => ReadWords(_coherent);

    [Benchmark(OperationsPerInvoke = Ops)]
    [BenchmarkCategory("Read64")]
    public ulong Read64_WithCpuCache() => ReadWords(_cached);

    [Benchmark(OperationsPerInvoke = Ops)]
    [BenchmarkCategory("Read64")]
    public ulong Read64_DmaEndpointDirect() => DmaReadWords(_endpoint);

    [Benchmark(Baseline = true, OperationsPerInvoke = Ops)]
    [BenchmarkCategory("Write64")]
    public ulong Write64_HostArray() => WriteHostArray();

    [Benchmark(OperationsPerInvoke = Ops)]
    [BenchmarkCategory("Write64")]
    public ulong Write64_CoherentOnly() => WriteWords(_coherent);

    [Benchmark(OperationsPerInvoke = Ops)]
    [BenchmarkCategory("Write64")]
    public ulong Write64_WithCpuCache() => WriteWords(_cached);

    /// <summary>A guest memcpy of one 4 KiB page: span read into a host buffer, span write to the next page (per page).</summary>
    [Benchmark]
    [BenchmarkCategory("Copy4K")]
    public byte Copy4K_CoherentOnly() => CopyPage(_coherent);

    /// <summary>The same page copy, every line going through the CPU cache model.</summary>
    [Benchmark]
    [BenchmarkCategory("Copy4K")]
    public byte Copy4K_WithCpuCache() => CopyPage(_cached);

    /// <summary>1 GiB of RAM at <see cref="RamBase"/>, with the window already written (backed).</summary>
    private static PhysicalMemory NewMachineMemory(bool cacheModel)
    {
        PhysicalMemory mem = cacheModel ? new PhysicalMemory(new CpuCacheOptions()) : new PhysicalMemory();
        mem.AddRam(RamBase, RamSize);
        for (ulong off = 0; off < Window; off += 8)
        {
            mem.Write64(RamBase + off, off, BusAccess.Cpu);
        }

        return mem;
    }

    /// <summary>The next word of the walk; every access pattern below advances the same cursor.</summary>
    private static ulong Next(ulong off) => (off + Stride) & (Window - 8);

    private ulong ReadHostArray()
    {
        ulong sum = 0;
        ulong off = _cursor;
        byte[] host = _host;
        for (int i = 0; i < Ops; i++)
        {
            off = Next(off);
            sum += BinaryPrimitives.ReadUInt64LittleEndian(host.AsSpan((int)off));
        }

        _cursor = off;
        return sum;
    }

    private ulong WriteHostArray()
    {
        ulong off = _cursor;
        byte[] host = _host;
        for (int i = 0; i < Ops; i++)
        {
            off = Next(off);
            BinaryPrimitives.WriteUInt64LittleEndian(host.AsSpan((int)off), off);
        }

        _cursor = off;
        return off;
    }

    private ulong ReadWords(PhysicalMemory mem)
    {
        ulong sum = 0;
        ulong off = _cursor;
        for (int i = 0; i < Ops; i++)
        {
            off = Next(off);
            mem.Read64(RamBase + off, BusAccess.Cpu, out ulong v);
            sum += v;
        }

        _cursor = off;
        return sum;
    }

    private ulong WriteWords(PhysicalMemory mem)
    {
        ulong off = _cursor;
        for (int i = 0; i < Ops; i++)
        {
            off = Next(off);
            mem.Write64(RamBase + off, off, BusAccess.Cpu);
        }

        _cursor = off;
        return off;
    }

    private ulong DmaReadWords(DmaEndpoint endpoint)
    {
        ulong sum = 0;
        ulong off = _cursor;
        for (int i = 0; i < Ops; i++)
        {
            off = Next(off);
            endpoint.Read64(RamBase + off, out ulong v);
            sum += v;
        }

        _cursor = off;
        return sum;
    }

    private byte CopyPage(PhysicalMemory mem)
    {
        _cursor = (_cursor + Page) & (Window - Page);
        mem.Read(RamBase + _cursor, _page, BusAccess.Cpu);
        mem.Write(RamBase + ((_cursor + Page) & (Window - Page)), _page, BusAccess.Cpu);
        return _page[17];
    }
}
