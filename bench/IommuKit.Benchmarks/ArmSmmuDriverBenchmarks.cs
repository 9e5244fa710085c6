using BenchmarkDotNet.Attributes;
using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables;
using IommuKit.Hardware.Smmu.V2;
using IommuKit.Kernel;
using IommuKit.Kernel.Base;
using IommuKit.Kernel.Drivers.ArmSmmu;
using IommuKit.Kernel.Iommu;

namespace IommuKit.Benchmarks;

/// <summary>
/// The arm-smmu driver under the IOMMU core with strict invalidation: map and unmap of 4 KiB pages
/// on a stage-1 DMA domain of a probed SMMUv2 model. <c>PerPage</c> is iommu_map + iommu_unmap of
/// one page at a time (each unmap posts one TLBIVAL and waits for TLBSYNC/TLBSTATUS);
/// <c>Batched</c> maps <see cref="Pages"/> pages in one call and unmaps them in one call (one
/// TLBIVAL per page, one sync). Figures are per page.
/// </summary>
/// <remarks>
/// <c>dotnet run -c Release --project bench/IommuKit.Benchmarks -- --filter '*ArmSmmuDriverBenchmarks*'</c>
/// </remarks>
[MemoryDiagnoser]
public class ArmSmmuDriverBenchmarks
{
    private const int Pages = 256;
    private const ulong RamBase = 0x8000_0000;
    private const ulong SmmuBase = 0x500_0000;
    private const ulong IovaBase = 0x1000_0000;
    private const IommuProt Prot = IommuProt.Read | IommuProt.Write | IommuProt.Cache;

    private IommuSubsystem _kernel = null!;
    private IommuDomain _domain = null!;

    [GlobalSetup]
    public void Setup()
    {
        var memory = new PhysicalMemory();
        memory.AddRam(RamBase, 256UL << 20);
        var smmu = new SmmuV2(memory, SmmuV2Features.Mmu500 with { Stage2ContextBanks = 8 }, coherentWalk: true);
        memory.AddMmio(SmmuBase, smmu.RegisterSpaceSize, smmu);
        var fw = new ArmSmmuFirmware { DeviceName = "5000000.iommu", BaseAddress = SmmuBase, RegionSize = smmu.RegisterSpaceSize, IsMmu500 = true, DmaCoherent = true };
        var driver = new ArmSmmuDriver(memory, new SimpleTablePageAllocator(memory, RamBase + (128UL << 20), 64UL << 20), fw);
        _kernel = new IommuSubsystem();
        Check(driver.Probe(_kernel));
        var dev = new Device("bench.dma") { DmaCoherent = true };
        Check(driver.ConfigureMaster(dev, 0x10));
        Check(_kernel.AddDevice(dev));
        _domain = dev.IommuGroup!.DefaultDomain!;

        // Warm up: the intermediate tables exist, as in a running system.
        Check(_kernel.Map(_domain, IovaBase, RamBase, Pages * 4096UL, Prot));
        _kernel.Unmap(_domain, IovaBase, Pages * 4096UL);
    }

    [Benchmark(OperationsPerInvoke = Pages)]
    public ulong MapUnmap4K_PerPage()
    {
        ulong n = 0;
        for (ulong i = 0; i < Pages; i++)
        {
            ulong iova = IovaBase + (i << 12);
            _kernel.Map(_domain, iova, RamBase + (i << 12), 4096, Prot);
            n += _kernel.Unmap(_domain, iova, 4096);
        }

        return n;
    }

    [Benchmark(OperationsPerInvoke = Pages)]
    public ulong MapUnmap4K_Batched()
    {
        _kernel.Map(_domain, IovaBase, RamBase, Pages * 4096UL, Prot);
        return _kernel.Unmap(_domain, IovaBase, Pages * 4096UL);
    }

    private static void Check(Errno e)
    {
        if (e != Errno.Ok)
        {
            throw new InvalidOperationException($"setup failed: {e}");
        }
    }
}
