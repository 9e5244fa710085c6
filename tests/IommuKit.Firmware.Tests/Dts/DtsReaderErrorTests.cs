using IommuKit.Firmware.DeviceTree.Dts;
using IommuKit.Firmware.Tests.Dtb;

namespace IommuKit.Firmware.Tests.Dts;

/// <summary>
/// Sources dtc rejects (Sources/errors): the reader rejects each with one
/// <see cref="DtsSyntaxException"/> at the expected file:line:column (following line markers and
/// includes) and reason (Sources/errors/EXPECTED.txt); dtc rejects each too, checked live when dtc
/// is installed and against its committed result (tests/fixtures/dtc-golden/dts/errors) always.
/// </summary>
public sealed class DtsReaderErrorTests
{
    /// <summary>
    /// Documented differences: sources dtc 1.6.1 accepts and the reader rejects. A root node deleted
    /// with /delete-node/ &amp;{/} (dtc writes a blob with no root node); a byte ≥ 0x80 outside a
    /// string or comment after the tree (dtc's lexer returns it as a negative token, which its parser
    /// takes for end of input, ignoring the rest); nesting deeper than 64 node levels (what
    /// <c>DtbReader</c> reads back); <c>/plugin/</c> overlays (not supported).
    /// </summary>
    public static readonly IReadOnlySet<string> DtcAccepts = new HashSet<string>(StringComparer.Ordinal)
    {
        "delete-root.dts",
        "high-byte-after-tree.dts",
        "nesting-deeper-than-64.dts",
        "plugin.dts",
    };

    private static readonly Lazy<Dictionary<string, (string Position, string Reason)>> s_expected = new(ReadExpected);

    [Theory]
    [MemberData(nameof(DtsTestFiles.Errors), MemberType = typeof(DtsTestFiles))]
    public void Parse_ErrorSource_ThrowsAtExpectedPositionWithReason(string name)
    {
        (string position, string reason) = s_expected.Value[name];
        byte[] source = File.ReadAllBytes(Path.Combine(DtsTestFiles.ErrorsDir, name));

        DtsSyntaxException e = Assert.Throws<DtsSyntaxException>(() => DtsReader.Parse(source, name, DtsTestFiles.OptionsIn(DtsTestFiles.ErrorsDir)));

        Assert.Equal(position, $"{e.File}:{e.Line}:{e.Column}");
        Assert.Equal(reason, e.Reason);
        Assert.Equal($"{position}: {reason}", e.Message);
    }

    [Theory]
    [MemberData(nameof(DtsTestFiles.Errors), MemberType = typeof(DtsTestFiles))]
    public void TryParse_ErrorSource_ReturnsFalseWithTheSameError(string name)
    {
        byte[] source = File.ReadAllBytes(Path.Combine(DtsTestFiles.ErrorsDir, name));

        bool ok = DtsReader.TryParse(source, name, DtsTestFiles.OptionsIn(DtsTestFiles.ErrorsDir), out var tree, out DtsSyntaxException? error);

        Assert.False(ok);
        Assert.Null(tree);
        Assert.NotNull(error);
        Assert.Equal(s_expected.Value[name].Reason, error.Reason);
    }

    [Theory]
    [MemberData(nameof(DtsTestFiles.Errors), MemberType = typeof(DtsTestFiles))]
    public void Dtc_ErrorSource_CommittedResultRejectsUnlessDocumented(string name)
    {
        (int exit, string messages) = DtsTestFiles.GoldenError(name);

        if (DtcAccepts.Contains(name))
        {
            Assert.Equal(0, exit);
        }
        else
        {
            Assert.NotEqual(0, exit);
            Assert.NotEqual(string.Empty, messages.Trim());
        }
    }

    /// <summary>Live when dtc is installed; otherwise the committed result stands in (never skipped).</summary>
    [Theory]
    [MemberData(nameof(DtsTestFiles.Errors), MemberType = typeof(DtsTestFiles))]
    public void Dtc_ErrorSource_LiveResultAgreesWithTheReader(string name)
    {
        string? dtc = Fixtures.FindDtc();
        int exit = dtc is null
            ? DtsTestFiles.GoldenError(name).Exit
            : DtsTestFiles.RunDtcOnFile(dtc, DtsTestFiles.ErrorsDir, name).Exit;
        bool weReject = !DtsReader.TryParse(
            File.ReadAllBytes(Path.Combine(DtsTestFiles.ErrorsDir, name)), name, DtsTestFiles.OptionsIn(DtsTestFiles.ErrorsDir), out _, out _);

        Assert.True(weReject);
        Assert.Equal(DtcAccepts.Contains(name), exit == 0);
    }

    [Fact]
    public void Expected_ListsEverySourceOnce()
    {
        Assert.Equal(DtsTestFiles.ErrorSources.Order(StringComparer.Ordinal), s_expected.Value.Keys.Order(StringComparer.Ordinal));
        Assert.True(DtsTestFiles.ErrorSources.Count >= 60);
    }

    private static Dictionary<string, (string Position, string Reason)> ReadExpected()
    {
        var expected = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        foreach (string line in File.ReadAllLines(Path.Combine(DtsTestFiles.ErrorsDir, "EXPECTED.txt")))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            string[] parts = line.Split(" | ");
            Assert.Equal(3, parts.Length);
            expected.Add(parts[0], (parts[1], parts[2]));
        }

        return expected;
    }
}
