using System.Runtime.CompilerServices;

namespace IommuKit.Firmware.DeviceTree;

/// <summary>Totals of one or more full blob walks (workload W2).</summary>
/// <param name="Nodes">Nodes visited, the root included.</param>
/// <param name="Properties">Properties visited.</param>
/// <param name="Checksum">Sum over properties of value length + name length (libfdt's <c>len + strlen(name)</c>).</param>
public readonly record struct DtbScanTotals(long Nodes, long Properties, long Checksum)
{
    /// <summary>Component-wise sum.</summary>
    public static DtbScanTotals operator +(DtbScanTotals a, DtbScanTotals b) =>
        new(a.Nodes + b.Nodes, a.Properties + b.Properties, a.Checksum + b.Checksum);

    /// <summary>Component-wise sum (named alternative to the operator).</summary>
    public static DtbScanTotals Add(DtbScanTotals a, DtbScanTotals b) => a + b;
}

/// <summary>
/// Workload W2 (docs/performance.md, "Devicetree W2"): find the blobs of a corpus directory and walk
/// every node and property of each, with the counting rules of the libfdt reference program
/// (bench/reference/w2_libfdt.c).
/// </summary>
public static class DtbScan
{
    /// <summary>
    /// Walks every node and property of <paramref name="blob"/> with <see cref="DtbWalker"/>: no
    /// allocation. Counts nodes, properties and checksum += value length + name length per property.
    /// </summary>
    /// <exception cref="DeviceTreeFormatException">The blob is malformed (a "bad blob" in W2).</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static DtbScanTotals ScanBlob(ReadOnlySpan<byte> blob)
    {
        var walker = new DtbWalker(blob);
        long nodes = 0;
        long properties = 0;
        long checksum = 0;
        while (walker.Read())
        {
            DtbToken token = walker.Token;
            if (token == DtbToken.Property)
            {
                properties++;
                checksum += walker.Value.Length + walker.PropertyName.Length;
            }
            else if (token == DtbToken.BeginNode)
            {
                nodes++;
            }
        }

        return new DtbScanTotals(nodes, properties, checksum);
    }

    /// <summary>As <see cref="ScanBlob"/>, returning false (and zero totals) for a malformed blob.</summary>
    public static bool TryScanBlob(ReadOnlySpan<byte> blob, out DtbScanTotals totals)
    {
        try
        {
            totals = ScanBlob(blob);
            return true;
        }
        catch (DeviceTreeFormatException)
        {
            totals = default;
            return false;
        }
    }

    /// <summary>
    /// The W2 corpus of <paramref name="directory"/>: every regular file whose name ends in ".dtb",
    /// found recursively; entries whose names start with '.' are skipped; symbolic links are
    /// followed (a directory reached twice through links is scanned once). Sorted by ordinal path.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    public static IReadOnlyList<string> FindBlobFiles(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"Directory not found: {directory}");
        }

        var files = new List<string>();
        var visited = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>();
        pending.Push(directory);
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = false,
            AttributesToSkip = 0,
            IgnoreInaccessible = true,
            ReturnSpecialDirectories = false,
        };
        while (pending.Count > 0)
        {
            string dir = pending.Pop();
            string real = RealPath(dir);
            if (!visited.Add(real))
            {
                continue;
            }

            foreach (string entry in Directory.EnumerateFileSystemEntries(dir, "*", options))
            {
                string name = Path.GetFileName(entry);
                if (name.StartsWith('.'))
                {
                    continue;
                }

                if (Directory.Exists(entry))
                {
                    pending.Push(entry);
                }
                else if (name.EndsWith(".dtb", StringComparison.Ordinal) && File.Exists(entry))
                {
                    files.Add(entry);
                }
            }
        }

        files.Sort(StringComparer.Ordinal);
        return files;
    }

    private static string RealPath(string directory)
    {
        var info = new DirectoryInfo(directory);
        FileSystemInfo? target = info.LinkTarget is null ? null : info.ResolveLinkTarget(returnFinalTarget: true);
        string path = (target ?? info).FullName;

        // Parents may be links too; resolving every component is not needed to stop cycles, since a
        // cycle always passes through one link whose final target is then seen twice.
        return Path.TrimEndingDirectorySeparator(path);
    }
}
