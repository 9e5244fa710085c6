using System.Text;
using IommuKit.Firmware.DeviceTree;

namespace IommuKit.Firmware.Tests.Dtb;

using DeviceTree = IommuKit.Firmware.DeviceTree.DeviceTree;

public sealed class DtsWriterTests
{
    /// <summary>
    /// Our text equals dtc's line for line; the one allowed difference is the documented escape: an
    /// embedded NUL followed by an octal digit prints as \000 where dtc prints the ambiguous \0.
    /// </summary>
    [Theory]
    [MemberData(nameof(Fixtures.Blobs), MemberType = typeof(Fixtures))]
    public void Write_ReadFixture_MatchesDtcDtsGolden(string name)
    {
        string ours = DtsWriter.Write(DtbReader.Read(Fixtures.ReadBlob(name)));

        AssertSameAsDtcText(Fixtures.ReadGoldenDts(name), ours);
    }

    /// <summary>
    /// Our text compiled back by dtc gives dtc's own dtb→dtb blob, byte for byte (the fixture blob
    /// itself for every dtc-made blob). Uses dtc live when installed; without dtc it checks the
    /// committed dtc text instead, which holds the same property since that text is what dtc
    /// compiles from (see tests/fixtures/dtc-golden/README.md).
    /// </summary>
    [Theory]
    [MemberData(nameof(Fixtures.Blobs), MemberType = typeof(Fixtures))]
    public void Write_CompiledBackByDtc_GivesGoldenBlob(string name)
    {
        string ours = DtsWriter.Write(DtbReader.Read(Fixtures.ReadBlob(name)));
        string? dtc = Fixtures.FindDtc();
        if (dtc is not null)
        {
            byte[] compiled = Fixtures.RunDtc(dtc, Encoding.Latin1.GetBytes(ours), "-q", "-I", "dts", "-O", "dtb", "-");
            Assert.Equal(Fixtures.ReadGoldenBlob(name), compiled);
        }
        else
        {
            AssertSameAsDtcText(Fixtures.ReadGoldenDts(name), ours);
        }
    }

    [Fact]
    public void Write_DtcMadeFixtures_CompileBackToTheFixtureItself()
    {
        // dtc-made blobs (all but QEMU's, which libfdt wrote and padded) are already in dtc's layout.
        foreach (string name in Fixtures.BlobNames.Where(n => !n.StartsWith("qemu/", StringComparison.Ordinal)))
        {
            Assert.Equal(Fixtures.ReadBlob(name), Fixtures.ReadGoldenBlob(name));
        }
    }

    [Theory]
    [InlineData("", ";")]
    [InlineData("00024b00", " = <0x24b00>;")]
    [InlineData("024b00", " = [02 4b 00];")]
    [InlineData("41004200", " = \"A\\0B\";")]
    [InlineData("41000000", " = <0x41000000>;")]
    [InlineData("41420000", " = \"AB\\0\";")]
    [InlineData("00", " = [00];")]
    [InlineData("0000", " = [00 00];")]
    [InlineData("410a0900", " = \"A\\n\\t\";")]
    [InlineData("417f00", " = [41 7f 00];")]
    [InlineData("418000", " = [41 80 00];")]
    [InlineData("41225c00", " = \"A\\\"\\\\\";")]
    [InlineData("4107080b0c0d00", " = \"A\\a\\b\\v\\f\\r\";")]
    [InlineData("4107080b0c0d1b00", " = <0x4107080b 0xc0d1b00>;")]
    [InlineData("00000000", " = <0x00>;")]
    [InlineData("0102030405060708", " = <0x1020304 0x5060708>;")]
    [InlineData("41000042434400", " = \"A\\0\\0BCD\";")]
    [InlineData("00414200", " = \"\\0AB\";")]
    [InlineData("41", " = [41];")]
    [InlineData("2000", " = \" \";")]
    [InlineData("41273f00", " = \"A'?\";")]
    public void FormatValue_DtcVectors_RendersAsDtc(string hex, string expected)
    {
        // Vectors taken from dtc 1.6.1 -I dtb -O dts output for the same bytes.
        Assert.Equal(expected, DtsWriter.FormatValue(Convert.FromHexString(hex)));
    }

    [Theory]
    [InlineData("00324b00", " = \"\\0002K\";")]
    [InlineData("30003100", " = \"0\\0001\";")]
    [InlineData("30003800", " = \"0\\08\";")]
    public void FormatValue_NulBeforeOctalDigit_PrintsUnambiguousEscape(string hex, string expected)
    {
        Assert.Equal(expected, DtsWriter.FormatValue(Convert.FromHexString(hex)));
    }

    [Fact]
    public void Write_LabelsReservationsAndNesting_LaysOutAsDtc()
    {
        var tree = new DeviceTree();
        tree.MemoryReservations.Add(new DtMemoryReservation(0x1000, 0x2000));
        DtNode soc = tree.Root.AddChild("soc");
        soc.AddLabel("soc0");
        DtProperty compatible = soc.AddProperty("compatible", "simple-bus\0"u8.ToArray());
        compatible.AddLabel("c");
        soc.AddChild("empty@1");

        string text = DtsWriter.Write(tree);

        Assert.Equal(
            "/dts-v1/;\n\n/memreserve/\t0x0000000000001000 0x0000000000002000;\n/ {\n\n\tsoc0: soc {\n\t\tc: compatible = \"simple-bus\";\n\n\t\tempty@1 {\n\t\t};\n\t};\n};\n",
            text);
    }

    private static void AssertSameAsDtcText(string dtc, string ours)
    {
        string[] expected = dtc.Split('\n');
        string[] actual = ours.Split('\n');
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (expected[i] != actual[i])
            {
                // Only the documented escape may differ, and only where a digit 0-7 follows.
                Assert.Contains("\\000", actual[i], StringComparison.Ordinal);
                Assert.Equal(expected[i], actual[i].Replace("\\000", "\\0", StringComparison.Ordinal));
            }
        }
    }
}
