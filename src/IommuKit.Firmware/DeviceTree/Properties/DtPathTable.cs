namespace IommuKit.Firmware.DeviceTree.Properties;

/// <summary>
/// A name → node-path table read from <c>/aliases</c> (Devicetree Specification v0.4 §3.3) or from
/// <c>/__symbols__</c> (labels dtc exports with <c>-@</c> for overlays). Each property of that node
/// is a NUL-terminated path; a property that is not a string is listed in <see cref="Malformed"/>.
/// </summary>
public sealed class DtPathTable
{
    private readonly Dictionary<string, string> _paths;
    private readonly List<string> _malformed;

    private DtPathTable(Dictionary<string, string> paths, List<string> malformed)
    {
        _paths = paths;
        _malformed = malformed;
    }

    /// <summary>Names and the paths they stand for, in property order.</summary>
    public IReadOnlyDictionary<string, string> Paths => _paths;

    /// <summary>Names whose value is not a well-formed string.</summary>
    public IReadOnlyList<string> Malformed => _malformed;

    /// <summary>Reads <c>/aliases</c>; empty when the tree has none.</summary>
    public static DtPathTable ReadAliases(DeviceTree tree) => Read(tree, "aliases");

    /// <summary>Reads <c>/__symbols__</c>; empty when the tree has none.</summary>
    public static DtPathTable ReadSymbols(DeviceTree tree) => Read(tree, "__symbols__");

    /// <summary>The path a name stands for, or null.</summary>
    public string? GetPath(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _paths.GetValueOrDefault(name);
    }

    /// <summary>The node a name stands for in <paramref name="tree"/>, or null when unknown or dangling.</summary>
    public DtNode? Resolve(DeviceTree tree, string name)
    {
        ArgumentNullException.ThrowIfNull(tree);
        string? path = GetPath(name);
        return path is null ? null : tree.FindNode(path);
    }

    private static DtPathTable Read(DeviceTree tree, string nodeName)
    {
        ArgumentNullException.ThrowIfNull(tree);
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        var malformed = new List<string>();
        DtNode? node = tree.Root.FindChild(nodeName);
        if (node is not null)
        {
            foreach (DtProperty property in node.Properties)
            {
                ReadOnlySpan<byte> value = property.Value.Span;
                if (property.Name is "name" or "phandle" or "linux,phandle")
                {
                    continue;
                }

                if (DtStrings.IsStringList(value) && DtStrings.TryReadString(value, out string path))
                {
                    paths.TryAdd(property.Name, path);
                }
                else
                {
                    malformed.Add(property.Name);
                }
            }
        }

        return new DtPathTable(paths, malformed);
    }
}
