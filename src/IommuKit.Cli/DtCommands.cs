using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using IommuKit.Firmware.DeviceTree;

namespace IommuKit.Cli;

/// <summary>
/// The <c>dt</c> command group: devicetree tools. Each subcommand is built by its own method so
/// that others (<c>compile</c>, <c>iommus</c>) can be added beside <c>dump</c> and <c>walk</c>.
/// </summary>
public static class DtCommands
{
    /// <summary>Default number of timed in-memory walks for <c>dt walk</c> (W2's R).</summary>
    public const int DefaultRepetitions = 20;

    /// <summary>Creates the <c>dt</c> command with its subcommands.</summary>
    public static Command Create()
    {
        var dt = new Command("dt", "Devicetree tools: dump a blob as source, walk a directory of blobs.");
        dt.Subcommands.Add(CreateDump());
        dt.Subcommands.Add(CreateWalk());
        return dt;
    }

    /// <summary><c>dt dump FILE</c>: prints a blob as devicetree source, laid out as <c>dtc -I dtb -O dts</c>.</summary>
    public static Command CreateDump()
    {
        var file = new Argument<string>("FILE") { Description = "A devicetree blob (.dtb) or source (.dts); recognised by content." };
        var dump = new Command("dump", "Print a devicetree as source text (like dtc -I dtb -O dts).") { file };
        dump.SetAction(parse =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            TextWriter error = parse.InvocationConfiguration.Error;
            string path = parse.GetValue(file)!;
            if (!TryReadFile(path, error, "dt dump", out byte[]? bytes))
            {
                return 1;
            }

            if (!DtbHeader.HasMagic(bytes))
            {
                // Not a blob: devicetree source. Reading source is the DTS reader's job.
                error.WriteLine($"iommukit dt dump: {path}: not a devicetree blob (no FDT magic 0xd00dfeed); reading DTS source needs the DTS reader, which this build does not include");
                return 1;
            }

            if (!DtbReader.TryRead(bytes, out DeviceTree? tree, out DeviceTreeFormatException? failure))
            {
                error.WriteLine($"iommukit dt dump: {path}: {failure.Message}");
                return 1;
            }

            DtsWriter.Write(tree, output);
            return 0;
        });
        return dump;
    }

    /// <summary>
    /// <c>dt walk DIR</c>: workload W2 over a directory of blobs. Prints files, bytes, bad blobs,
    /// nodes, properties, checksum, the one-pass time and the in-memory walk rate.
    /// </summary>
    public static Command CreateWalk()
    {
        var dir = new Argument<string>("DIR") { Description = "Directory searched recursively for *.dtb (names starting with '.' skipped, links followed)." };
        var repetitions = new Option<int>("--repetitions", "-r")
        {
            Description = "Timed repetitions of the in-memory walk of every blob.",
            DefaultValueFactory = _ => DefaultRepetitions,
        };
        var walk = new Command("walk", "Parse and fully walk every blob of a directory (workload W2) and report totals and MB/s.") { dir, repetitions };
        walk.SetAction(parse =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            TextWriter error = parse.InvocationConfiguration.Error;
            string path = parse.GetValue(dir)!;
            int reps = parse.GetValue(repetitions);
            if (reps < 1)
            {
                error.WriteLine($"iommukit dt walk: --repetitions must be at least 1 (got {reps})");
                return 1;
            }

            return Walk(path, reps, output, error);
        });
        return walk;
    }

    private static int Walk(string path, int repetitions, TextWriter output, TextWriter error)
    {
        IReadOnlyList<string> files;
        try
        {
            files = DtbScan.FindBlobFiles(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"iommukit dt walk: {path}: {e.Message}");
            return 1;
        }

        // One pass: scan done above; read every file and walk it once (the buffers are kept).
        long start = Stopwatch.GetTimestamp();
        var blobs = new byte[files.Count][];
        long bytes = 0;
        int bad = 0;
        DtbScanTotals totals = default;
        for (int i = 0; i < files.Count; i++)
        {
            if (!TryReadFile(files[i], error, "dt walk", out byte[]? blob))
            {
                return 1;
            }

            blobs[i] = blob;
            bytes += blob.Length;
            if (DtbScan.TryScanBlob(blob, out DtbScanTotals one))
            {
                totals += one;
            }
            else
            {
                bad++;
            }
        }

        TimeSpan onePass = Stopwatch.GetElapsedTime(start);

        // R timed repetitions of the in-memory walk of every blob.
        long sink = 0;
        start = Stopwatch.GetTimestamp();
        for (int r = 0; r < repetitions; r++)
        {
            foreach (byte[] blob in blobs)
            {
                if (DtbScan.TryScanBlob(blob, out DtbScanTotals one))
                {
                    sink += one.Checksum;
                }
            }
        }

        TimeSpan walkTime = Stopwatch.GetElapsedTime(start);
        if (sink != totals.Checksum * repetitions)
        {
            error.WriteLine("iommukit dt walk: internal error: repeated walks disagree");
            return 1;
        }

        double seconds = Math.Max(walkTime.TotalSeconds, 1e-9);
        double mbPerSecond = bytes * (double)repetitions / 1e6 / seconds;
        double microsPerBlob = files.Count == 0 ? 0 : walkTime.TotalMicroseconds / ((double)files.Count * repetitions);
        CultureInfo c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"files       {files.Count}"));
        output.WriteLine(string.Create(c, $"bytes       {bytes}"));
        output.WriteLine(string.Create(c, $"bad blobs   {bad}"));
        output.WriteLine(string.Create(c, $"nodes       {totals.Nodes}"));
        output.WriteLine(string.Create(c, $"properties  {totals.Properties}"));
        output.WriteLine(string.Create(c, $"checksum    {totals.Checksum}"));
        output.WriteLine(string.Create(c, $"one pass    {onePass.TotalMilliseconds:F3} ms (read + walk)"));
        output.WriteLine(string.Create(c, $"walk        {mbPerSecond:F1} MB/s ({repetitions} repetitions, MB = 10^6 bytes), {microsPerBlob:F2} us per blob"));
        return 0;
    }

    private static bool TryReadFile(string path, TextWriter error, string command, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? bytes)
    {
        try
        {
            bytes = File.ReadAllBytes(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error.WriteLine($"iommukit {command}: {path}: {e.Message}");
            bytes = null;
            return false;
        }
    }
}
