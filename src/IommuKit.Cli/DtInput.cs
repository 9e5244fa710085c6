using System.Diagnostics.CodeAnalysis;
using IommuKit.Firmware.DeviceTree;

namespace IommuKit.Cli;

/// <summary>A devicetree loaded for a report: the tree and where it came from.</summary>
/// <param name="Tree">The tree.</param>
/// <param name="Name">The file path, or the built-in blob's name.</param>
/// <param name="Format">"dtb" or "dts".</param>
/// <param name="Bytes">Size of the input.</param>
/// <param name="Description">For the built-in platform, what the blob is; otherwise null.</param>
internal sealed record DtInput(DeviceTree Tree, string Name, string Format, int Bytes, string? Description)
{
    /// <summary>
    /// Loads a file recognised by content: a flattened blob (FDT magic) goes to <see cref="DtbReader"/>;
    /// anything else is devicetree source, which needs the DTS reader this build does not include yet.
    /// Errors are written as one line to <paramref name="error"/> prefixed by <paramref name="command"/>.
    /// </summary>
    public static bool TryLoad(string path, TextWriter error, string command, [NotNullWhen(true)] out DtInput? input)
    {
        input = null;
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error.WriteLine($"iommukit {command}: {path}: {e.Message}");
            return false;
        }

        if (!DtbHeader.HasMagic(bytes))
        {
            error.WriteLine($"iommukit {command}: {path}: not a devicetree blob (no FDT magic 0xd00dfeed); devicetree source (.dts) needs the DTS reader, which this build does not include yet: compile it with 'dtc -I dts -O dtb' first");
            return false;
        }

        if (!DtbReader.TryRead(bytes, out DeviceTree? tree, out DeviceTreeFormatException? failure))
        {
            error.WriteLine($"iommukit {command}: {path}: {failure.Message}");
            return false;
        }

        input = new DtInput(tree, path, "dtb", bytes.Length, null);
        return true;
    }
}
