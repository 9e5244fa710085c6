using System.Text.Json;

namespace IommuKit.Cli.Tests;

public sealed class DtIommusCommandTests
{
    private const string Ls1028a61 = "dtb/linux-6.1/freescale/fsl-ls1028a-rdb.dtb";
    private const string Ls1028a612 = "dtb/linux-6.12/freescale/fsl-ls1028a-rdb.dtb";

    public static TheoryData<string> Blobs()
    {
        var data = new TheoryData<string>();
        foreach (string path in Directory.GetFiles(FirmwareDir, "*.dtb", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(FirmwareDir, path).Replace(Path.DirectorySeparatorChar, '/'));
        }

        return data;
    }

    [Fact]
    public void Run_NoArguments_ReportsBuiltInDefaultPlatform()
    {
        (int code, string output, string error) = Run();
        Assert.Equal(0, code);
        Assert.Equal(string.Empty, error);
        string header = output.Split('\n')[0];
        Assert.Contains("fsl-ls1028a-rdb.dtb", header, StringComparison.Ordinal);
        Assert.Contains("built-in default platform: NXP LS1028A-RDB, Linux 6.1", header, StringComparison.Ordinal);
        Assert.Contains("  /soc/iommu@5000000", output, StringComparison.Ordinal);
        Assert.Contains("iommu-map    rid 0x0-0xd -> /soc/iommu@5000000 ids 0x17-0x24", output, StringComparison.Ordinal);
        Assert.Contains("00:00.2 ethernet@0,2", output, StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultPlatform_EmbeddedBlob_IsTheFixture()
    {
        Assert.Equal(File.ReadAllBytes(Path.Combine(FirmwareDir, Ls1028a61)), DefaultPlatform.ReadBlob());
    }

    [Theory]
    [InlineData(Ls1028a61, false)]
    [InlineData(Ls1028a612, true)]
    public void DtIommusJson_Ls1028aRdb_SmmuCoherenceAndEcamMap(string name, bool smmuCoherent)
    {
        using JsonDocument json = RunJson(name);
        JsonElement smmu = json.RootElement.GetProperty("iommus").EnumerateArray().Single();
        Assert.Equal("/soc/iommu@5000000", smmu.GetProperty("path").GetString());
        Assert.Equal(smmuCoherent, smmu.GetProperty("dmaCoherent").GetBoolean());
        Assert.Equal("ArmSmmu", smmu.GetProperty("family").GetString());
        Assert.Equal("Mmu500", smmu.GetProperty("smmuModel").GetString());

        JsonElement ecam = json.RootElement.GetProperty("masters").EnumerateArray().Single(m => m.GetProperty("path").GetString() == "/soc/pcie@1f0000000");
        Assert.Equal("iommu-map", ecam.GetProperty("kind").GetString());
        Assert.True(ecam.GetProperty("dmaCoherent").GetBoolean());
        Assert.True(ecam.GetProperty("enabled").GetBoolean());
        Assert.False(ecam.GetProperty("maskPresent").GetBoolean());
        JsonElement entry = ecam.GetProperty("entries").EnumerateArray().Single();
        Assert.Equal((0u, 0x17u, 14u), (entry.GetProperty("idBase").GetUInt32(), entry.GetProperty("iommuBase").GetUInt32(), entry.GetProperty("length").GetUInt32()));
        Assert.Equal("/soc/iommu@5000000", entry.GetProperty("iommu").GetString());
        JsonElement enetc = ecam.GetProperty("devices").EnumerateArray().First(d => d.GetProperty("bdf").GetString() == "00:00.2");
        Assert.Equal(0x19u, enetc.GetProperty("streamId").GetUInt32());
        Assert.Equal(0x19u, enetc.GetProperty("msiDeviceId").GetUInt32());
    }

    [Fact]
    public void DtIommusJson_JunoR2_MaskZeroAndNineEntryDmaController()
    {
        using JsonDocument json = RunJson("dtb/linux-6.1/arm/juno-r2.dtb");
        JsonElement[] masters = [.. json.RootElement.GetProperty("masters").EnumerateArray()];
        JsonElement pcie = masters.Single(m => m.GetProperty("path").GetString() == "/pcie@40000000");
        Assert.True(pcie.GetProperty("maskPresent").GetBoolean());
        Assert.Equal(0u, pcie.GetProperty("mask").GetUInt32());
        JsonElement dma = masters.Single(m => m.GetProperty("path").GetString() == "/dma-controller@7ff00000");
        Assert.Equal("iommus", dma.GetProperty("kind").GetString());
        JsonElement[] iommus = [.. dma.GetProperty("iommus").EnumerateArray()];
        Assert.Equal(9, iommus.Length);
        Assert.All(iommus, i => Assert.Equal("/iommu@7fb00000", i.GetProperty("iommu").GetString()));
        Assert.Equal(Enumerable.Range(0, 9).Select(i => (uint)i), iommus.Select(i => i.GetProperty("specifier")[0].GetUInt32()));
    }

    [Fact]
    public void DtIommusJson_Ls1088a_ZeroLengthProblem()
    {
        using JsonDocument json = RunJson("dtb/linux-6.1/freescale/fsl-ls1088a-rdb.dtb");
        JsonElement problem = json.RootElement.GetProperty("problems").EnumerateArray().Single();
        Assert.Equal(("warning", "ZeroLengthMapEntry", "/soc/fsl-mc@80c000000"), (problem.GetProperty("severity").GetString(), problem.GetProperty("code").GetString(), problem.GetProperty("path").GetString()));
    }

    [Fact]
    public void DtIommusJson_Ls1028aRdb61_MatchesGoldenFile()
    {
        // Stable JSON: field names, order and values are compared byte for byte (path normalised).
        // Regenerate with IOMMUKIT_UPDATE_GOLDEN=1 after an intended change.
        string path = Path.Combine(FirmwareDir, Ls1028a61);
        (int code, string output, _) = Run("dt", "iommus", path, "--json");
        Assert.Equal(0, code);
        string normalised = output.Replace(JsonEncodedText.Encode(path).ToString(), "FILE", StringComparison.Ordinal);
        string golden = Path.Combine(RepoRoot, "tests", "IommuKit.Cli.Tests", "Golden", "fsl-ls1028a-rdb-6.1.iommus.json");
        if (Environment.GetEnvironmentVariable("IOMMUKIT_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(golden, normalised);
        }

        Assert.Equal(File.ReadAllText(golden), normalised);
    }

    [Theory]
    [MemberData(nameof(Blobs))]
    public void DtIommus_EveryFixture_TextAndJsonSucceed(string name)
    {
        string path = Path.Combine(FirmwareDir, name);
        (int code, string text, string error) = Run("dt", "iommus", path);
        Assert.Equal((0, string.Empty), (code, error));
        Assert.Contains("IOMMUs (", text, StringComparison.Ordinal);
        Assert.Contains("Problems (", text, StringComparison.Ordinal);
        using JsonDocument json = RunJson(name);
        Assert.Equal(JsonValueKind.Array, json.RootElement.GetProperty("iommus").ValueKind);
    }

    [Fact]
    public void DtIommus_DtsSource_ClearErrorExitOne()
    {
        (int code, string output, string error) = Run("dt", "iommus", Path.Combine(FirmwareDir, "dts", "juno-r2.pp.dts"));
        Assert.Equal(1, code);
        Assert.Equal(string.Empty, output);
        Assert.Contains("not a devicetree blob", error, StringComparison.Ordinal);
        Assert.Contains("DTS reader", error, StringComparison.Ordinal);
    }

    [Fact]
    public void DtIommus_MissingFile_ErrorExitOne()
    {
        (int code, _, string error) = Run("dt", "iommus", Path.Combine(FirmwareDir, "no-such.dtb"));
        Assert.Equal(1, code);
        Assert.StartsWith("iommukit dt iommus: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void DtIommus_TruncatedBlob_ErrorExitOne()
    {
        string path = Path.Combine(Path.GetTempPath(), $"iommukit-truncated-{Environment.ProcessId}.dtb");
        byte[] blob = File.ReadAllBytes(Path.Combine(FirmwareDir, Ls1028a61));
        File.WriteAllBytes(path, blob[..100]);
        try
        {
            (int code, _, string error) = Run("dt", "iommus", path);
            Assert.Equal(1, code);
            Assert.Contains("iommukit dt iommus: ", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static JsonDocument RunJson(string name)
    {
        (int code, string output, string error) = Run("dt", "iommus", Path.Combine(FirmwareDir, name), "--json");
        Assert.Equal((0, string.Empty), (code, error));
        return JsonDocument.Parse(output);
    }

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Program.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static string FirmwareDir => Path.Combine(RepoRoot, "tests", "fixtures", "firmware");

    private static string RepoRoot
    {
        get
        {
            for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
            {
                if (File.Exists(Path.Combine(dir, "IommuKit.sln")))
                {
                    return dir;
                }
            }

            throw new InvalidOperationException("Cannot find the repository root above " + AppContext.BaseDirectory);
        }
    }
}
