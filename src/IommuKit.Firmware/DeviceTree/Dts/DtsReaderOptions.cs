namespace IommuKit.Firmware.DeviceTree.Dts;

/// <summary>
/// Options for <see cref="DtsReader"/>: where <c>/include/</c> and <c>/incbin/</c> files are found,
/// how they are read, and the limits that keep malformed input from exhausting the stack.
/// </summary>
public sealed class DtsReaderOptions
{
    /// <summary>The defaults: files from the file system, no extra include directories, dtc's include depth.</summary>
    public static DtsReaderOptions Default { get; } = new();

    /// <summary>
    /// Directories searched, in order, for an <c>/include/</c> or <c>/incbin/</c> file that is not
    /// found next to the file naming it (dtc's <c>-i</c>).
    /// </summary>
    public IReadOnlyList<string> IncludeDirectories { get; init; } = [];

    /// <summary>
    /// Reads a file named by <c>/include/</c> or <c>/incbin/</c>: given the candidate path (the
    /// including file's directory or an include directory joined with the name), returns its bytes,
    /// or null when there is no such file. Null (the default) reads the file system.
    /// </summary>
    public Func<string, byte[]?>? ReadFile { get; init; }

    /// <summary>
    /// Most source files open at once, the top file included (dtc's limit: 200). Deeper
    /// <c>/include/</c> nesting, such as a file including itself, is an error.
    /// </summary>
    public int MaxIncludeDepth { get; init; } = 200;

    /// <summary>
    /// Most node levels, the root included (64, what <see cref="DtbReader"/> accepts back). Applies
    /// to the source nesting and to the final tree after merges.
    /// </summary>
    public int MaxNodeDepth { get; init; } = DtbWalker.MaxDepth;

    /// <summary>Most nested parentheses and <c>?:</c> levels in one integer expression.</summary>
    public int MaxExpressionDepth { get; init; } = 256;

    /// <summary>
    /// The header's <c>boot_cpuid_phys</c> (dtc's <c>-b</c>). Null (the default) guesses as dtc does:
    /// the <c>reg</c> cell of the first child of <c>/cpus</c> when it is exactly one cell, else 0.
    /// </summary>
    public uint? BootCpuIdPhys { get; init; }
}
