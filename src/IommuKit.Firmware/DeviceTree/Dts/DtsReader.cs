using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace IommuKit.Firmware.DeviceTree.Dts;

/// <summary>
/// Reads devicetree source (dtc's language, <c>/dts-v1/</c>) into a <see cref="DeviceTree"/>, as
/// <c>dtc -I dts</c> does: the same tree, property values and phandle numbers, so that
/// <see cref="DtbWriter"/> gives the blob dtc gives.
/// </summary>
/// <remarks>
/// <para>Supported: labels on nodes, properties and inside values; <c>&amp;label</c> and
/// <c>&amp;{/path}</c> references (a phandle inside <c>&lt;...&gt;</c>, the node's path elsewhere);
/// top-level <c>&amp;label { }</c> / <c>&amp;{/path} { }</c> overrides and repeated
/// <c>/ { }</c> blocks, merged as dtc merges them; <c>/include/</c> (relative to the including
/// file, then <see cref="DtsReaderOptions.IncludeDirectories"/>); <c>/incbin/</c>; the C
/// preprocessor's <c># line "file"</c> markers; <c>/delete-node/</c> (by name or reference);
/// <c>/delete-property/</c>; <c>/omit-if-no-ref/</c>; <c>/memreserve/</c>; <c>/bits/ 8|16|32|64</c>;
/// byte strings; character literals; C integer expressions in parentheses with dtc's unsigned
/// 64-bit semantics; string escapes. dtc's error-level checks run (duplicate nodes, properties and
/// labels, name characters, phandle sanity, unresolved references); its warnings do not.</para>
/// <para>Not supported: <c>/plugin/</c> overlays (rejected). Labels inside values and on
/// <c>/memreserve/</c> entries are checked and then dropped (the model has no place for them).
/// The header's <c>boot_cpuid_phys</c> is guessed from <c>/cpus</c> as dtc does unless
/// <see cref="DtsReaderOptions.BootCpuIdPhys"/> is set.</para>
/// <para>Any malformed input gives one <see cref="DtsSyntaxException"/> with the original file,
/// line and byte column; include depth, node nesting and expression nesting are bounded.</para>
/// </remarks>
public static class DtsReader
{
    /// <summary>Compiles source text; <paramref name="sourceName"/> names it in errors and locates relative includes.</summary>
    /// <exception cref="DtsSyntaxException">The source is malformed.</exception>
    public static DeviceTree Parse(string source, string sourceName = "<input>", DtsReaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        return Parse(Encoding.UTF8.GetBytes(source), sourceName, options);
    }

    /// <summary>Compiles source bytes (dtc reads bytes: strings keep any encoding as it is).</summary>
    /// <exception cref="DtsSyntaxException">The source is malformed.</exception>
    public static DeviceTree Parse(byte[] source, string sourceName = "<input>", DtsReaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sourceName);
        options ??= DtsReaderOptions.Default;
        var lexer = new DtsLexer(source, sourceName, options);
        (DtsLiveNode root, List<DtMemoryReservation> reservations) = DtsParser.Parse(lexer, options);
        return DtsChecks.Finish(root, reservations, options);
    }

    /// <summary>Compiles a source file; relative includes are found next to it.</summary>
    /// <exception cref="DtsSyntaxException">The source is malformed.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static DeviceTree ParseFile(string path, DtsReaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Parse(File.ReadAllBytes(path), path, options);
    }

    /// <summary>As <see cref="Parse(string, string, DtsReaderOptions?)"/>, without throwing for malformed input.</summary>
    public static bool TryParse(
        string source,
        string sourceName,
        DtsReaderOptions? options,
        [NotNullWhen(true)] out DeviceTree? tree,
        [NotNullWhen(false)] out DtsSyntaxException? error)
    {
        ArgumentNullException.ThrowIfNull(source);
        return TryParse(Encoding.UTF8.GetBytes(source), sourceName, options, out tree, out error);
    }

    /// <summary>As <see cref="Parse(byte[], string, DtsReaderOptions?)"/>, without throwing for malformed input.</summary>
    public static bool TryParse(
        byte[] source,
        string sourceName,
        DtsReaderOptions? options,
        [NotNullWhen(true)] out DeviceTree? tree,
        [NotNullWhen(false)] out DtsSyntaxException? error)
    {
        try
        {
            tree = Parse(source, sourceName, options);
            error = null;
            return true;
        }
        catch (DtsSyntaxException e)
        {
            tree = null;
            error = e;
            return false;
        }
    }
}
