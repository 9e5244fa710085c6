using System.Diagnostics;
using IommuKit.Firmware.DeviceTree.Dts;
using IommuKit.Firmware.Tests.Dtb;

namespace IommuKit.Firmware.Tests.Dts;

/// <summary>
/// The DTS test sources and their committed dtc outputs (tests/fixtures/dtc-golden/dts, see its
/// README.md), and dtc itself when it is installed.
/// </summary>
internal static class DtsTestFiles
{
    private static readonly Lazy<string> s_repoRoot = new(() => Path.GetFullPath(Path.Combine(Fixtures.FirmwareDir, "..", "..", "..")));

    public static string RepoRoot => s_repoRoot.Value;

    /// <summary>Hand-written feature sources (tests/IommuKit.Firmware.Tests/Dts/Sources).</summary>
    public static string SourcesDir => Path.Combine(RepoRoot, "tests", "IommuKit.Firmware.Tests", "Dts", "Sources");

    /// <summary>Sources dtc and we must both reject (Sources/errors).</summary>
    public static string ErrorsDir => Path.Combine(SourcesDir, "errors");

    public static string GoldenDir => Path.Combine(RepoRoot, "tests", "fixtures", "dtc-golden", "dts");

    /// <summary>
    /// Every source that compiles, by name: "firmware/dts/X.dts" and "firmware/qemu/X.dts" are the
    /// fixtures (tests/fixtures/firmware), "sources/X.dts" the hand-written ones.
    /// </summary>
    public static IReadOnlyList<string> CompilingSources { get; } = ListCompilingSources();

    public static IReadOnlyList<string> ErrorSources { get; } =
        Directory.GetFiles(ErrorsDir, "*.dts").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    public static TheoryData<string> Compiling() => ToTheory(CompilingSources);

    public static TheoryData<string> Errors() => ToTheory(ErrorSources);

    /// <summary>Absolute path of a compiling source.</summary>
    public static string PathOf(string name) => name.StartsWith("sources/", StringComparison.Ordinal)
        ? Path.Combine(SourcesDir, name["sources/".Length..])
        : Path.Combine(Fixtures.FirmwareDir, name["firmware/".Length..]);

    /// <summary>The committed dtc blob for a compiling source.</summary>
    public static byte[] GoldenBlob(string name) => File.ReadAllBytes(Path.Combine(GoldenDir, Path.ChangeExtension(name, ".dtb")));

    /// <summary>The committed dtc result for an error source: exit status and messages.</summary>
    public static (int Exit, string Messages) GoldenError(string name)
    {
        string text = File.ReadAllText(Path.Combine(GoldenDir, "errors", Path.ChangeExtension(name, ".txt")));
        int newline = text.IndexOf('\n', StringComparison.Ordinal);
        string first = newline < 0 ? text : text[..newline];
        Assert.StartsWith("exit ", first, StringComparison.Ordinal);
        return (int.Parse(first["exit ".Length..], System.Globalization.CultureInfo.InvariantCulture), newline < 0 ? string.Empty : text[(newline + 1)..]);
    }

    /// <summary>Reads files as dtc would from <paramref name="directory"/>, never from the current directory.</summary>
    public static DtsReaderOptions OptionsIn(string directory) => new()
    {
        ReadFile = path =>
        {
            string full = Path.IsPathRooted(path) ? path : Path.Combine(directory, path);
            return File.Exists(full) ? File.ReadAllBytes(full) : null;
        },
    };

    /// <summary>Runs dtc on a file (in its directory, named as given) and returns its exit status, blob and messages.</summary>
    public static (int Exit, byte[] Blob, string Messages) RunDtcOnFile(string dtc, string directory, string fileName)
    {
        var info = new ProcessStartInfo(dtc)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { "-q", "-I", "dts", "-O", "dtb", fileName })
        {
            info.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(info)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var stdout = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(stdout);
        process.WaitForExit();
        return (process.ExitCode, stdout.ToArray(), stderr.Result);
    }

    /// <summary>Runs dtc on source bytes given on stdin (no includes) and returns its exit status and blob.</summary>
    public static (int Exit, byte[] Blob) RunDtcOnBytes(string dtc, byte[] source)
    {
        var info = new ProcessStartInfo(dtc)
        {
            WorkingDirectory = Path.GetTempPath(),
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { "-q", "-I", "dts", "-O", "dtb", "-" })
        {
            info.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(info)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var stdout = new MemoryStream();
        Task copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        try
        {
            process.StandardInput.BaseStream.Write(source);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // dtc may stop reading early when it rejects the input.
        }

        copy.Wait();
        process.WaitForExit();
        _ = stderr.Result;
        return (process.ExitCode, stdout.ToArray());
    }

    private static TheoryData<string> ToTheory(IEnumerable<string> names)
    {
        var data = new TheoryData<string>();
        foreach (string name in names)
        {
            data.Add(name);
        }

        return data;
    }

    private static string[] ListCompilingSources()
    {
        var names = new List<string>();
        foreach (string sub in new[] { "dts", "qemu" })
        {
            names.AddRange(Directory.GetFiles(Path.Combine(Fixtures.FirmwareDir, sub), "*.dts").Select(p => $"firmware/{sub}/{Path.GetFileName(p)}"));
        }

        names.AddRange(Directory.GetFiles(SourcesDir, "*.dts").Select(p => $"sources/{Path.GetFileName(p)}"));
        names.Sort(StringComparer.Ordinal);
        return [.. names];
    }
}
