using System.Diagnostics.CodeAnalysis;

namespace IommuKit.Firmware.DeviceTree.Dts;

/// <summary>
/// Devicetree source is malformed or cannot be compiled (a syntax error, a bad literal, a reference
/// to a missing label, a duplicate node, an include that cannot be opened...). <see cref="File"/>,
/// <see cref="Line"/> and <see cref="Column"/> point at the original source position, following
/// the preprocessor's <c># line "file"</c> markers as dtc does; <see cref="Reason"/> says what was
/// wrong. This is the only exception <see cref="DtsReader"/> throws for bad input.
/// </summary>
public sealed class DtsSyntaxException : FormatException
{
    /// <summary>Creates the exception with a generic message and no position.</summary>
    public DtsSyntaxException()
        : this("malformed devicetree source")
    {
    }

    /// <summary>Creates the exception with a reason and no position.</summary>
    public DtsSyntaxException(string message)
        : base(message)
    {
        Reason = message;
        File = string.Empty;
    }

    /// <summary>Creates the exception with a reason, no position and an inner exception.</summary>
    public DtsSyntaxException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reason = message;
        File = string.Empty;
    }

    /// <summary>Creates the exception for a problem found at <paramref name="file"/>:<paramref name="line"/>:<paramref name="column"/>.</summary>
    public DtsSyntaxException(string reason, string file, int line, int column)
        : base(Format(reason, file, line, column))
    {
        Reason = reason;
        File = file;
        Line = line;
        Column = column;
    }

    /// <summary>The source file name as the input names it (after <c># line</c> markers); empty when there is no position.</summary>
    public string File { get; }

    /// <summary>The 1-based line number; 0 when there is no position.</summary>
    public int Line { get; }

    /// <summary>The 1-based column, counted in bytes as dtc counts it; 0 when there is no position.</summary>
    public int Column { get; }

    /// <summary>What was wrong, without the position.</summary>
    public string Reason { get; }

    [DoesNotReturn]
    internal static void Throw(string reason, in DtsSourcePosition position) =>
        throw new DtsSyntaxException(reason, position.File, position.Line, position.Column);

    private static string Format(string reason, string file, int line, int column) => $"{file}:{line}:{column}: {reason}";
}
