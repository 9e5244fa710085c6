using System.Text.Json;

namespace IommuKit.Cli.Tests;

public sealed class PteCommandsTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Program.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Decode_W3Page_PrintsEveryField()
    {
        (int code, string output, string error) = Run("pte", "decode", "0x0060000080001f47", "--format", "arm-lpae-s1");

        Assert.Equal(0, code);
        Assert.Equal(string.Empty, error);
        string[] expected =
        [
            "type          page",
            "output        0x80001000  (4K leaf)",
            "AttrIndx      1  (Linux MAIR attr 0xff: Normal, write-back RW-allocate, inner and outer)",
            "SH            3  (inner shareable)",
            "AP[2:1]       1  (read/write, privileged and unprivileged)",
            "AF            1",
            "nG            1",
            "NS            0",
            "DBM           0",
            "contiguous    0",
            "PXN           1",
            "UXN           1",
            "software      0x0",
        ];
        foreach (string line in expected)
        {
            Assert.Contains(line, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Decode_Json_Stage2Block()
    {
        (int code, string output, _) = Run("pte", "decode", "402007fd", "--format", "arm-lpae-s2", "--level", "2", "--json");

        Assert.Equal(0, code);
        using JsonDocument doc = JsonDocument.Parse(output);
        JsonElement root = doc.RootElement;
        Assert.Equal("block", root.GetProperty("type").GetString());
        Assert.Equal("0x40200000", root.GetProperty("outputAddress").GetString());
        Assert.Equal(15, root.GetProperty("memAttr").GetInt32());
        Assert.Equal("Normal, outer write-back, inner write-back", root.GetProperty("memAttrMeaning").GetString());
        Assert.Equal(3, root.GetProperty("s2ap").GetInt32());
        Assert.True(root.GetProperty("af").GetBoolean());
        Assert.Equal(0, root.GetProperty("xn").GetInt32());
    }

    [Fact]
    public void Decode_TableDescriptor_ShowsTableAttributes()
    {
        (int code, string output, _) = Run("pte", "decode", "0xE080_0000_4000_1003", "--format", "arm-lpae-s1", "--level", "1");

        Assert.Equal(0, code);
        Assert.Contains("type          table", output, StringComparison.Ordinal);
        Assert.Contains("next table    0x40001000", output, StringComparison.Ordinal);
        Assert.Contains("NSTable       1", output, StringComparison.Ordinal);
        Assert.Contains("APTable       3", output, StringComparison.Ordinal);
        Assert.Contains("SW_SYNC       1", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0", "invalid")]
    [InlineData("0x401", "reserved (0b01 at level 3: invalid)")]
    public void Decode_InvalidDescriptors_Named(string value, string type)
    {
        (int code, string output, _) = Run("pte", "decode", value, "--format", "arm-lpae-s1");
        Assert.Equal(0, code);
        Assert.Contains($"type          {type}", output, StringComparison.Ordinal);
        Assert.Contains("valid         0", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_64KGranule_52BitAddress()
    {
        (int code, string output, _) = Run("pte", "decode", "0x00000123_4567_F743", "--format", "arm-lpae-s1", "--granule", "64k", "--json");
        Assert.Equal(0, code);
        using JsonDocument doc = JsonDocument.Parse(output);
        Assert.Equal("0xf012345670000", doc.RootElement.GetProperty("outputAddress").GetString());
    }

    // hardware-iommus.md §1.4: the descriptors Linux writes.
    [Theory]
    [InlineData("arm-lpae-s1", "r,w,cache", "3", "0x80001000", "", "0x0000000080001f47")]
    [InlineData("arm-lpae-s1", "r", "3", "0x80001000", "", "0x0000000080001ec3")]
    [InlineData("arm-lpae-s1", "r,w,mmio,noexec", "3", "0x9000000", "", "0x0060000009000e4b")]
    [InlineData("arm-lpae-s1", "r,w,priv", "2", "0x40200000", "", "0x0000000040200e01")]
    [InlineData("arm-lpae-s1", "w", "1", "0x40000000", "hd,ns", "0x0008000040000e61")]
    [InlineData("arm-lpae-s2", "r,w,cache", "3", "0x80001000", "", "0x00000000800017ff")]
    [InlineData("arm-lpae-s2", "r,w,cache", "3", "0x80001000", "s2fwb", "0x00000000800017db")]
    [InlineData("arm-lpae-s2", "r", "2", "0x40200000", "", "0x0000000040200655")]
    public void Encode_PrintsLinuxDescriptor(string format, string prot, string level, string pa, string quirks, string expected)
    {
        (int code, string output, string error) = Run("pte", "encode", "--format", format, "--pa", pa, "--prot", prot, "--level", level, "--quirks", quirks, "--json");

        Assert.Equal(0, code);
        Assert.Equal(string.Empty, error);
        using JsonDocument doc = JsonDocument.Parse(output);
        Assert.Equal(expected, doc.RootElement.GetProperty("descriptor").GetString());
    }

    [Fact]
    public void Encode_64KGranule_PacksHighBits()
    {
        (int code, string output, _) = Run("pte", "encode", "--format", "arm-lpae-s1", "--pa", "0xF_0123_4567_0000", "--prot", "r,w", "--granule", "64k");
        Assert.Equal(0, code);
        Assert.Contains("descriptor    0x000001234567fe43", output, StringComparison.Ordinal);
        Assert.Contains("output        0xf012345670000", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2, "pte", "decode", "xyz", "--format", "arm-lpae-s1")]
    [InlineData(2, "pte", "decode", "0x1_0000_0000_0000_0000", "--format", "arm-lpae-s1")]
    [InlineData(2, "pte", "decode", "1", "--format", "arm-lpae-s1", "--level", "4")]
    [InlineData(1, "pte", "decode", "1", "--format", "arm-lpae-s3")]
    [InlineData(1, "pte", "decode", "1")]
    [InlineData(1, "pte", "decode", "1", "--format", "arm-lpae-s1", "--granule", "8k")]
    [InlineData(1, "pte", "decode", "1", "--format", "arm-lpae-s1", "--level", "x")]
    [InlineData(2, "pte", "encode", "--format", "arm-lpae-s1", "--pa", "0x1000", "--prot", "cache")]
    [InlineData(2, "pte", "encode", "--format", "arm-lpae-s1", "--pa", "0x1000", "--prot", "r,bogus")]
    [InlineData(2, "pte", "encode", "--format", "arm-lpae-s1", "--pa", "0x1001", "--prot", "r")]
    [InlineData(2, "pte", "encode", "--format", "arm-lpae-s1", "--pa", "0x1000", "--prot", "r", "--level", "0")]
    [InlineData(2, "pte", "encode", "--format", "arm-lpae-s1", "--pa", "0x200000", "--prot", "r", "--level", "1", "--granule", "16k")]
    [InlineData(2, "pte", "encode", "--format", "arm-lpae-s1", "--pa", "0x1_0000_0000_0000", "--prot", "r")]
    [InlineData(2, "pte", "encode", "--format", "arm-lpae-s1", "--pa", "zz", "--prot", "r")]
    [InlineData(2, "pte", "encode", "--format", "arm-lpae-s1", "--pa", "0x1000", "--prot", "r", "--quirks", "s2fwb")]
    [InlineData(2, "pte", "encode", "--format", "arm-lpae-s2", "--pa", "0x1000", "--prot", "r", "--quirks", "ns")]
    [InlineData(1, "pte", "encode", "--format", "arm-lpae-s1", "--prot", "r")]
    public void BadInput_ErrorOnStderrAndExitCode(int expectedCode, params string[] args)
    {
        (int code, _, string error) = Run(args);

        Assert.Equal(expectedCode, code);
        Assert.NotEqual(string.Empty, error.Trim());
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal); // no exception trace
    }

    [Fact]
    public void MutatedInputs_NeverThrow()
    {
        var rng = new Random(7);
        string[] pieces = ["0x", "ff", "-", "1_0", "r", "w", ",", "cache", "zz", " ", "18446744073709551616", "9", "priv", "64k", "0"];
        for (int i = 0; i < 300; i++)
        {
            string Random() => string.Concat(Enumerable.Range(0, rng.Next(0, 5)).Select(_ => pieces[rng.Next(pieces.Length)]));
            string[] args = rng.Next(2) == 0
                ? ["pte", "decode", Random(), "--format", rng.Next(2) == 0 ? "arm-lpae-s1" : "arm-lpae-s2", "--level", rng.Next(-1, 5).ToString(System.Globalization.CultureInfo.InvariantCulture), "--granule", rng.Next(2) == 0 ? "4k" : "64k"]
                : ["pte", "encode", "--format", "arm-lpae-s2", "--pa", Random(), "--prot", Random(), "--level", rng.Next(0, 4).ToString(System.Globalization.CultureInfo.InvariantCulture)];
            (int code, string output, string error) = Run(args);
            Assert.True(code is 0 or 1 or 2, $"exit code {code} for {string.Join(' ', args)}");
            Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
            Assert.True(code == 0 ? output.Length > 0 : error.Length > 0);
        }
    }
}
