using BenchmarkDotNet.Attributes;
using IommuKit.Firmware.DeviceTree;

namespace IommuKit.Benchmarks;

/// <summary>
/// Devicetree: workload W2 (full walk of every blob of a corpus, libfdt counting rules) over the
/// fixture blobs in tests/fixtures/firmware, plus tree read and the two writers. One operation is
/// one pass over the whole corpus; MB/s = corpus bytes / mean time (docs/performance.md,
/// "Devicetree W2"). The C reference is bench/reference/w2_libfdt.c (run-w2.sh runs both).
/// </summary>
[MemoryDiagnoser]
public class DeviceTreeBenchmarks
{
    private byte[][] _blobs = [];
    private DeviceTree[] _trees = [];

    /// <summary>Corpus size in bytes (sum of file sizes), for MB/s.</summary>
    public long CorpusBytes { get; private set; }

    [GlobalSetup]
    public void Setup()
    {
        string dir = FindFixtureDirectory();
        _blobs = DtbScan.FindBlobFiles(dir).Select(File.ReadAllBytes).ToArray();
        CorpusBytes = _blobs.Sum(b => (long)b.Length);
        _trees = _blobs.Select(b => DtbReader.Read(b)).ToArray();
    }

    /// <summary>W2: walk every node and property of every blob (no allocation).</summary>
    [Benchmark(Baseline = true)]
    public long W2WalkCorpus()
    {
        long checksum = 0;
        foreach (byte[] blob in _blobs)
        {
            checksum += DtbScan.ScanBlob(blob).Checksum;
        }

        return checksum;
    }

    /// <summary>Read every blob into a tree (values are slices, names decoded once per nameoff).</summary>
    [Benchmark]
    public int ReadCorpus()
    {
        int nodes = 0;
        foreach (byte[] blob in _blobs)
        {
            nodes += DtbReader.Read(blob).Root.Children.Count;
        }

        return nodes;
    }

    /// <summary>Write every tree back as a blob (dtc layout).</summary>
    [Benchmark]
    public long WriteDtbCorpus()
    {
        long bytes = 0;
        foreach (DeviceTree tree in _trees)
        {
            bytes += DtbWriter.Write(tree).Length;
        }

        return bytes;
    }

    /// <summary>Write every tree as source text (dtc -O dts layout).</summary>
    [Benchmark]
    public long WriteDtsCorpus()
    {
        long chars = 0;
        foreach (DeviceTree tree in _trees)
        {
            chars += DtsWriter.Write(tree).Length;
        }

        return chars;
    }

    private static string FindFixtureDirectory()
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            string? dir = start;
            while (dir is not null)
            {
                string candidate = Path.Combine(dir, "tests", "fixtures", "firmware");
                if (File.Exists(Path.Combine(dir, "IommuKit.sln")) && Directory.Exists(candidate))
                {
                    return candidate;
                }

                dir = Path.GetDirectoryName(dir);
            }
        }

        throw new InvalidOperationException("tests/fixtures/firmware not found above " + AppContext.BaseDirectory);
    }
}
