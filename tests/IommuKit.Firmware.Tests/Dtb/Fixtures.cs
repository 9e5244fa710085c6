using System.Diagnostics;

namespace IommuKit.Firmware.Tests.Dtb;

/// <summary>Locates the committed fixtures (tests/fixtures) and runs dtc when it is installed.</summary>
internal static class Fixtures
{
    private static readonly Lazy<string> s_repoRoot = new(FindRepoRoot);

    public static string FirmwareDir => Path.Combine(s_repoRoot.Value, "tests", "fixtures", "firmware");

    public static string GoldenDir => Path.Combine(s_repoRoot.Value, "tests", "fixtures", "dtc-golden");

    /// <summary>Every fixture blob, as a path relative to <see cref="FirmwareDir"/> with '/' separators, sorted.</summary>
    public static IReadOnlyList<string> BlobNames { get; } = ListBlobs();

    public static TheoryData<string> Blobs()
    {
        var data = new TheoryData<string>();
        foreach (string name in BlobNames)
        {
            data.Add(name);
        }

        return data;
    }

    public static byte[] ReadBlob(string name) => File.ReadAllBytes(Path.Combine(FirmwareDir, name));

    public static byte[] ReadGoldenBlob(string name) => File.ReadAllBytes(Path.Combine(GoldenDir, name));

    public static string ReadGoldenDts(string name) => File.ReadAllText(Path.Combine(GoldenDir, Path.ChangeExtension(name, ".dts")));

    /// <summary>The path of dtc on PATH, or null.</summary>
    public static string? FindDtc()
    {
        string? path = Environment.GetEnvironmentVariable("PATH");
        if (path is null)
        {
            return null;
        }

        foreach (string dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, "dtc");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Runs dtc with the given arguments and stdin; returns stdout bytes (throws on a non-zero exit).</summary>
    public static byte[] RunDtc(string dtc, byte[] input, params string[] args)
    {
        var info = new ProcessStartInfo(dtc)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(info)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var stdout = new MemoryStream();
        Task copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        process.StandardInput.BaseStream.Write(input);
        process.StandardInput.Close();
        copy.Wait();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dtc {string.Join(' ', args)} failed ({process.ExitCode}): {stderr.Result}");
        }

        return stdout.ToArray();
    }

    private static string FindRepoRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null)
        {
            if (File.Exists(Path.Combine(dir, "IommuKit.sln")))
            {
                return dir;
            }

            dir = Path.GetDirectoryName(dir);
        }

        throw new InvalidOperationException("Cannot find the repository root (IommuKit.sln) above " + AppContext.BaseDirectory);
    }

    private static string[] ListBlobs()
    {
        string root = FirmwareDir;
        string[] names = Directory.GetFiles(root, "*.dtb", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(root, p).Replace(Path.DirectorySeparatorChar, '/'))
            .ToArray();
        Array.Sort(names, StringComparer.Ordinal);
        return names;
    }
}
