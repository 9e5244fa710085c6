using BenchmarkDotNet.Attributes;
using IommuKit.Hardware.Dma;
using IommuKit.Hardware.Memory;
using IommuKit.Hardware.Smmu.V3;

namespace IommuKit.Benchmarks;

/// <summary>
/// The SMMUv3 model's translation path: <see cref="SmmuV3.Translate"/> on a TLB hit, and on a TLB
/// miss that walks a 4-level stage-1 table (4K granule, 48-bit VA). The machine is programmed the
/// way a driver would: MMIO registers, a linear Stream table, one STE and CD, and page tables in RAM.
/// </summary>
/// <remarks>
/// Misses are forced by a 64-entry TLB and a working set of 65,536 pages visited in order, so
/// every lookup misses, walks and inserts. Run with
/// <c>dotnet run -c Release --project bench/IommuKit.Benchmarks -- --filter '*SmmuV3*'</c>.
/// </remarks>
[MemoryDiagnoser]
public class SmmuV3Benchmarks
{
    private const ulong Ram = 0x4000_0000;
    private const ulong IovaBase = 0x10_0000_0000;
    private const int Pages = 65_536;
    private const int Batch = 1024;
    private const uint Sid = 5;

    private SmmuV3 _hitSmmu = null!;
    private SmmuV3 _missSmmu = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _hitSmmu = Build(new SmmuV3Features());
        _missSmmu = Build(new SmmuV3Features { TlbEntries = 64 });
        if (!_hitSmmu.Translate(Sid, IovaBase, DmaAttributes.Coherent, false, out SmmuV3Translation t) || t.OutputAddress != Ram + 0x100_0000)
        {
            throw new InvalidOperationException($"SMMUv3 benchmark setup: translation failed ({t.Fault}).");
        }
    }

    /// <summary>One translation that hits the TLB.</summary>
    [Benchmark]
    public ulong TranslateTlbHit()
    {
        _hitSmmu.Translate(Sid, IovaBase + 0x123, DmaAttributes.Coherent, false, out SmmuV3Translation t);
        return t.OutputAddress;
    }

    /// <summary>Translations that each miss the TLB, walk four levels and insert the result.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public ulong TranslateTlbMiss4LevelWalk()
    {
        ulong sum = 0;
        int next = _next;
        for (int i = 0; i < Batch; i++)
        {
            _missSmmu.Translate(Sid, IovaBase + ((ulong)next << 12), DmaAttributes.Coherent, false, out SmmuV3Translation t);
            sum += t.OutputAddress;
            next = (next + 1) & (Pages - 1);
        }

        _next = next;
        return sum;
    }

    private static SmmuV3 Build(SmmuV3Features features)
    {
        var memory = new PhysicalMemory();
        memory.AddRam(Ram, 256UL << 20);
        var smmu = new SmmuV3(memory, features, coherentWalk: true);
        ulong next = Ram + 0x10_0000;
        ulong Alloc(ulong size)
        {
            ulong p = next;
            next += (size + 0xFFF) & ~0xFFFUL;
            return p;
        }

        void Mmio(ulong offset, ulong value, int size = 4)
        {
            if (smmu.MmioWrite(offset, size, value) != BusStatus.Ok)
            {
                throw new InvalidOperationException($"SMMUv3 benchmark setup: MMIO write to 0x{offset:x} refused.");
            }
        }

        ulong root = Alloc(4096);
        ulong cd = Alloc(64);
        ulong strtab = Alloc(64 << 4);
        ulong dataBase = Ram + 0x100_0000;
        for (int i = 0; i < Pages; i++)
        {
            ulong iova = IovaBase + ((ulong)i << 12);
            ulong table = root;
            for (int level = 0; level < 3; level++)
            {
                ulong slot = table + (((iova >> (39 - (9 * level))) & 511) * 8);
                memory.Read64(slot, BusAccess.Cpu, out ulong desc);
                if ((desc & 3) != 3)
                {
                    desc = Alloc(4096) | 3;
                    memory.Write64(slot, desc, BusAccess.Cpu);
                }

                table = desc & 0x0000_FFFF_FFFF_F000;
            }

            // Page: AF, SH = ISH, AttrIndx 1 (WB), AP[1] (EL0), nG.
            memory.Write64(table + (((iova >> 12) & 511) * 8), (dataBase + ((ulong)(i & 4095) << 12)) | 0xF47 | (1UL << 11), BusAccess.Cpu);
        }

        // CD: T0SZ 16, 4K, WBWA ISH walks, EPD1, V, IPS 48, AA64, R, A, ASID 1; TTB0; MAIR.
        memory.Write64(cd, 0x0001_E205_C000_3510, BusAccess.Cpu);
        memory.Write64(cd + 8, root, BusAccess.Cpu);
        memory.Write64(cd + 24, 0xF404FF44, BusAccess.Cpu);

        // STE: V, Config = S1, S1ContextPtr; S1CIR/S1COR WB, S1CSH ISH.
        ulong ste = strtab + (Sid * 64);
        memory.Write64(ste, 1 | (0b101UL << 1) | cd, BusAccess.Cpu);
        memory.Write64(ste + 8, (1UL << 2) | (1UL << 4) | (3UL << 6), BusAccess.Cpu);

        Mmio(0x28, 1 | (1 << 2) | (3 << 4) | (1 << 6) | (1 << 8) | (3 << 10)); // CR1
        Mmio(0x80, strtab, 8); // STRTAB_BASE
        Mmio(0x88, 4); // STRTAB_BASE_CFG: linear, 16 STEs
        Mmio(0x20, 1); // CR0.SMMUEN
        return smmu;
    }
}
