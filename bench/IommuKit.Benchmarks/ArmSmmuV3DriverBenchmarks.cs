using BenchmarkDotNet.Attributes;
using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables;
using IommuKit.Hardware.Smmu.V3;
using IommuKit.Kernel;
using IommuKit.Kernel.Base;
using IommuKit.Kernel.Drivers.ArmSmmuV3;
using IommuKit.Kernel.Iommu;

namespace IommuKit.Benchmarks;

/// <summary>
/// The arm-smmu-v3 driver through the IOMMU core on the SMMUv3 model, strict invalidation:
/// <see cref="MapUnmap4K_PerPage"/> maps one 4 KiB page then unmaps it (io-pgtable write and
/// clear, TLBI_NH_VA + CMD_SYNC through the Command queue, PROD/CONS MMIO), per page;
/// <see cref="MapUnmap4K_Range"/> maps 256 pages with one iommu_map and unmaps them with one
/// iommu_unmap (one range TLBI + CMD_SYNC), per page. The default DMA domain of one master, a
/// coherent SMMU, no CPU cache model.
/// </summary>
/// <remarks>
/// <c>dotnet run -c Release --project bench/IommuKit.Benchmarks -- --filter '*ArmSmmuV3DriverBenchmarks*'</c>
/// </remarks>
[MemoryDiagnoser]
public class ArmSmmuV3DriverBenchmarks
{
    private const int Pages = 256;
    private const ulong RamBase = 0x4000_0000;
    private const ulong Iova = 0x1000_0000;
    private const ulong DataBase = RamBase + (128UL << 20);

    private IommuSubsystem _kernel = null!;
    private IommuDomain _domain = null!;

    [GlobalSetup]
    public void Setup()
    {
        var memory = new PhysicalMemory();
        memory.AddRam(RamBase, 256UL << 20);
        var smmu = new SmmuV3(memory, new SmmuV3Features(), coherentWalk: true);
        memory.AddMmio(0x0905_0000, SmmuV3.MmioSize, smmu);
        var allocator = new SimpleTablePageAllocator(memory, RamBase, 64UL << 20);
        _kernel = new IommuSubsystem();
        object fwnode = new();
        var driver = new ArmSmmuV3Driver(_kernel, memory, allocator, new ArmSmmuV3Options { BaseAddress = 0x0905_0000, DmaCoherent = true, FwNode = fwnode });
        Check(driver.Probe());
        var dev = new Device("dma0");
        Check(driver.ConfigureMaster(dev, [7]));
        Check(_kernel.AddDevice(dev));
        _domain = dev.IommuGroup!.DefaultDomain!;

        // Warm up: the tables for the IOVA window exist after the first map.
        Check(_kernel.Map(_domain, Iova, DataBase, Pages * 4096UL, IommuProt.Read | IommuProt.Write));
        _kernel.Unmap(_domain, Iova, Pages * 4096UL);
    }

    [Benchmark(OperationsPerInvoke = Pages)]
    public ulong MapUnmap4K_PerPage()
    {
        ulong total = 0;
        for (ulong i = 0; i < Pages; i++)
        {
            ulong iova = Iova + (i << 12);
            _kernel.Map(_domain, iova, DataBase + (i << 12), 4096, IommuProt.Read | IommuProt.Write);
            total += _kernel.Unmap(_domain, iova, 4096);
        }

        return total;
    }

    [Benchmark(OperationsPerInvoke = Pages)]
    public ulong MapUnmap4K_Range()
    {
        _kernel.Map(_domain, Iova, DataBase, Pages * 4096UL, IommuProt.Read | IommuProt.Write);
        return _kernel.Unmap(_domain, Iova, Pages * 4096UL);
    }

    private static void Check(Errno e)
    {
        if (e != Errno.Ok)
        {
            throw new InvalidOperationException($"Benchmark setup failed: {e}");
        }
    }
}
