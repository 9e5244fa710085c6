using IommuKit.Firmware.DeviceTree;

namespace IommuKit.Firmware.Tests.Dtb;

using DeviceTree = IommuKit.Firmware.DeviceTree.DeviceTree;

public sealed class DtbScanTests
{
    // Totals printed by bench/reference/w2_libfdt.c (libfdt 1.6.1) over tests/fixtures/firmware.
    private const long LibfdtNodes = 4395;
    private const long LibfdtProperties = 20603;
    private const long LibfdtChecksum = 468431;

    [Fact]
    public void ScanBlob_FixtureCorpus_EqualsLibfdtTotals()
    {
        IReadOnlyList<string> files = DtbScan.FindBlobFiles(Fixtures.FirmwareDir);
        DtbScanTotals totals = default;
        foreach (string file in files)
        {
            totals += DtbScan.ScanBlob(File.ReadAllBytes(file));
        }

        Assert.Equal(Fixtures.BlobNames.Count, files.Count);
        Assert.Equal(new DtbScanTotals(LibfdtNodes, LibfdtProperties, LibfdtChecksum), totals);
    }

    [Theory]
    [MemberData(nameof(Fixtures.Blobs), MemberType = typeof(Fixtures))]
    public void ScanBlob_Fixture_AgreesWithTree(string name)
    {
        byte[] blob = Fixtures.ReadBlob(name);
        DeviceTree tree = DtbReader.Read(blob);
        List<DtNode> nodes = tree.Root.EnumerateSubtree().ToList();
        long checksum = nodes.SelectMany(n => n.Properties).Sum(p => (long)p.Length + p.Name.Length);

        DtbScanTotals totals = DtbScan.ScanBlob(blob);

        Assert.Equal(new DtbScanTotals(nodes.Count, nodes.Sum(n => n.Properties.Count), checksum), totals);
    }

    [Fact]
    public void Walker_Minimal_ReportsEveryTokenInOrder()
    {
        RawDtb raw = RawDtb.Minimal();
        byte[] blob = raw.Build();
        var walker = new DtbWalker(blob);
        var seen = new List<string>();

        while (walker.Read())
        {
            seen.Add(walker.Token switch
            {
                DtbToken.BeginNode => $"begin '{System.Text.Encoding.Latin1.GetString(walker.NodeName)}' depth {walker.Depth} at {walker.TokenOffset - raw.StructureOffset}",
                DtbToken.Property => $"prop {System.Text.Encoding.Latin1.GetString(walker.PropertyName)} len {walker.Value.Length} at {walker.ValueOffset - raw.StructureOffset}",
                _ => $"end depth {walker.Depth}",
            });
        }

        Assert.Equal(DtbToken.End, walker.Token);
        Assert.False(walker.Read());
        Assert.Equal(
            [
                "begin '' depth 1 at 0",
                "prop compatible len 2 at 20",
                "begin 'child@1' depth 2 at 24",
                "prop reg len 4 at 48",
                "end depth 1",
                "end depth 0",
            ],
            seen);
    }

    [Fact]
    public void TryScanBlob_Malformed_ReturnsFalse()
    {
        byte[] blob = RawDtb.Minimal().Build();
        blob[0] = 0;

        Assert.False(DtbScan.TryScanBlob(blob, out DtbScanTotals totals));
        Assert.Equal(default, totals);
    }

    [Fact]
    public void FindBlobFiles_SkipsDotEntriesAndOtherNames_FollowsLinksOnce()
    {
        string dir = Path.Combine(Path.GetTempPath(), "iommukit-scan-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "sub", "deeper"));
            Directory.CreateDirectory(Path.Combine(dir, ".hidden"));
            byte[] blob = RawDtb.Minimal().Build();
            File.WriteAllBytes(Path.Combine(dir, "a.dtb"), blob);
            File.WriteAllBytes(Path.Combine(dir, ".b.dtb"), blob);
            File.WriteAllBytes(Path.Combine(dir, "c.dtbo"), blob);
            File.WriteAllBytes(Path.Combine(dir, "sub", "deeper", "d.dtb"), blob);
            File.WriteAllBytes(Path.Combine(dir, ".hidden", "e.dtb"), blob);
            File.CreateSymbolicLink(Path.Combine(dir, "link.dtb"), Path.Combine(dir, "a.dtb"));
            Directory.CreateSymbolicLink(Path.Combine(dir, "sub", "loop"), dir);

            IReadOnlyList<string> files = DtbScan.FindBlobFiles(dir);

            Assert.Equal(
                ["a.dtb", "link.dtb", "sub/deeper/d.dtb"],
                files.Select(f => Path.GetRelativePath(dir, f).Replace(Path.DirectorySeparatorChar, '/')));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void FindBlobFiles_MissingDirectory_Throws()
    {
        Assert.Throws<DirectoryNotFoundException>(() => DtbScan.FindBlobFiles(Path.Combine(Path.GetTempPath(), "iommukit-missing-" + Guid.NewGuid().ToString("N"))));
    }
}
