using BenchmarkDotNet.Attributes;
using IommuKit.Firmware.DeviceTree;
using IommuKit.Firmware.DeviceTree.Topology;

namespace IommuKit.Benchmarks;

/// <summary>
/// Devicetree IOMMU topology on a real ~28 KB blob (NXP LS1028A-RDB, Linux 6.12): read + resolve
/// (target ≤ 50 µs), resolve alone, and one PCI requester lookup (allocation-free).
/// <c>dotnet run -c Release --project bench/IommuKit.Benchmarks -- --filter '*DtTopology*'</c>
/// </summary>
[MemoryDiagnoser]
public class DtTopologyBenchmarks
{
    private byte[] _blob = [];
    private DeviceTree _tree = null!;
    private IommuTopology _topology = null!;
    private PciHostBridge _bridge = null!;

    [GlobalSetup]
    public void Setup()
    {
        _blob = File.ReadAllBytes(Path.Combine(FindRepoRoot(), "tests", "fixtures", "firmware", "dtb", "linux-6.12", "freescale", "fsl-ls1028a-rdb.dtb"));
        _tree = DtbReader.Read(_blob);
        _topology = IommuTopology.Resolve(_tree);
        _bridge = _topology.FindPciHostBridge("/soc/pcie@1f0000000")!;
    }

    /// <summary>The whole job: blob bytes to a resolved topology.</summary>
    [Benchmark(Baseline = true)]
    public IommuTopology ReadAndResolve() => IommuTopology.Resolve(DtbReader.Read(_blob));

    /// <summary>Resolution alone, on an already-read tree.</summary>
    [Benchmark]
    public IommuTopology Resolve() => IommuTopology.Resolve(_tree);

    /// <summary>One RID through iommu-map and msi-map (the per-device query later layers make).</summary>
    [Benchmark]
    public uint ResolvePciRequester()
    {
        PciRequesterResolution r = _topology.ResolvePciRequester(_bridge, new PciRequesterId(0x0002));
        return r.Iommu.StreamId + r.Msi.DeviceId;
    }

    private static string FindRepoRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "IommuKit.sln")))
            {
                return dir;
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (IommuKit.sln) above " + AppContext.BaseDirectory);
    }
}
