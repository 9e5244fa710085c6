using System.Buffers.Binary;
using IommuKit.Firmware.DeviceTree;

namespace IommuKit.Cli.Tests;

public sealed class DtCommandsTests
{
    private static readonly string s_fixtures = FindFixtures();

    [Fact]
    public void Dump_Blob_PrintsDtcStyleSource()
    {
        string path = Path.Combine(s_fixtures, "dtb", "linux-6.1", "arm", "juno-r2.dtb");

        (int code, string output, string error) = Run("dt", "dump", path);

        Assert.Equal(0, code);
        Assert.Equal(string.Empty, error);
        Assert.Equal(DtsWriter.Write(DtbReader.Read(File.ReadAllBytes(path))), output);
        Assert.StartsWith("/dts-v1/;\n\n/ {\n\tmodel = \"ARM Juno development board (r2)\";\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_DtsInput_ReportsThatTheDtsReaderIsNeeded()
    {
        string path = Path.Combine(s_fixtures, "dts", "juno-r2.pp.dts");

        (int code, string output, string error) = Run("dt", "dump", path);

        Assert.Equal(1, code);
        Assert.Equal(string.Empty, output);
        string line = Assert.Single(Lines(error));
        Assert.Contains("needs the DTS reader", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Dump_TruncatedBlob_OneLineWithOffsetExitCode1()
    {
        byte[] blob = File.ReadAllBytes(Path.Combine(s_fixtures, "dtb", "linux-6.1", "arm", "juno-r2.dtb"));
        string path = TempFile(blob[..100]);
        try
        {
            (int code, string output, string error) = Run("dt", "dump", path);

            Assert.Equal(1, code);
            Assert.Equal(string.Empty, output);
            Assert.Equal($"iommukit dt dump: {path}: blob truncated: totalsize is 28597 but only 100 bytes are present at byte offset 100 (0x64)", Assert.Single(Lines(error)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Dump_BadToken_ReportsOffsetWithoutStackTrace()
    {
        byte[] blob = File.ReadAllBytes(Path.Combine(s_fixtures, "dtb", "linux-6.1", "arm", "juno-r2.dtb"));
        int offStruct = (int)BinaryPrimitives.ReadUInt32BigEndian(blob.AsSpan(8));
        BinaryPrimitives.WriteUInt32BigEndian(blob.AsSpan(offStruct), 7);
        string path = TempFile(blob);
        try
        {
            (int code, _, string error) = Run("dt", "dump", path);

            Assert.Equal(1, code);
            string line = Assert.Single(Lines(error));
            Assert.EndsWith($"unknown structure token 0x00000007 at byte offset {offStruct} (0x{offStruct:x})", line, StringComparison.Ordinal);
            Assert.DoesNotContain(" at IommuKit", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Dump_MissingFile_OneLineExitCode1()
    {
        (int code, _, string error) = Run("dt", "dump", "/nonexistent/x.dtb");

        Assert.Equal(1, code);
        Assert.StartsWith("iommukit dt dump: /nonexistent/x.dtb: ", Assert.Single(Lines(error)), StringComparison.Ordinal);
    }

    [Fact]
    public void Walk_FixtureDirectory_PrintsLibfdtTotals()
    {
        (int code, string output, string error) = Run("dt", "walk", s_fixtures, "--repetitions", "2");

        Assert.Equal(0, code);
        Assert.Equal(string.Empty, error);
        string[] lines = Lines(output);

        // Totals as printed by bench/reference/w2_libfdt.c over the same directory.
        Assert.Equal("files       18", lines[0]);
        Assert.Equal("bad blobs   0", lines[2]);
        Assert.Equal("nodes       4395", lines[3]);
        Assert.Equal("properties  20603", lines[4]);
        Assert.Equal("checksum    468431", lines[5]);
        Assert.StartsWith("walk ", lines[7], StringComparison.Ordinal);
        Assert.Contains("MB/s (2 repetitions", lines[7], StringComparison.Ordinal);
    }

    [Fact]
    public void Walk_DirectoryWithBadBlob_CountsIt()
    {
        string dir = Path.Combine(Path.GetTempPath(), "iommukit-walk-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            byte[] good = File.ReadAllBytes(Path.Combine(s_fixtures, "dtb", "linux-6.1", "arm", "fvp-base-revc.dtb"));
            File.WriteAllBytes(Path.Combine(dir, "good.dtb"), good);
            File.WriteAllBytes(Path.Combine(dir, "bad.dtb"), good[..64]);
            File.WriteAllBytes(Path.Combine(dir, "notes.txt"), [1, 2, 3]);
            DtbScanTotals expected = DtbScan.ScanBlob(good);

            (int code, string output, _) = Run("dt", "walk", dir, "-r", "1");

            Assert.Equal(0, code);
            string[] lines = Lines(output);
            Assert.Equal("files       2", lines[0]);
            Assert.Equal($"bytes       {good.Length + 64}", lines[1]);
            Assert.Equal("bad blobs   1", lines[2]);
            Assert.Equal($"nodes       {expected.Nodes}", lines[3]);
            Assert.Equal($"checksum    {expected.Checksum}", lines[5]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Walk_MissingDirectory_OneLineExitCode1()
    {
        (int code, string output, string error) = Run("dt", "walk", "/nonexistent-dir");

        Assert.Equal(1, code);
        Assert.Equal(string.Empty, output);
        Assert.StartsWith("iommukit dt walk: /nonexistent-dir: ", Assert.Single(Lines(error)), StringComparison.Ordinal);
    }

    [Fact]
    public void Walk_ZeroRepetitions_Rejected()
    {
        (int code, _, string error) = Run("dt", "walk", s_fixtures, "-r", "0");

        Assert.Equal(1, code);
        Assert.Contains("--repetitions must be at least 1", error, StringComparison.Ordinal);
    }

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = Program.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    private static string TempFile(byte[] bytes)
    {
        string path = Path.Combine(Path.GetTempPath(), "iommukit-" + Guid.NewGuid().ToString("N") + ".dtb");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string FindFixtures()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "IommuKit.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return Path.Combine(dir ?? throw new InvalidOperationException("repository root not found"), "tests", "fixtures", "firmware");
    }
}
