using System.Diagnostics.CodeAnalysis;

namespace IommuKit.Firmware.DeviceTree;

/// <summary>
/// A flattened devicetree blob is malformed. <see cref="Offset"/> is the byte offset in the blob
/// where the problem was found and <see cref="Reason"/> says what was wrong. This is the only
/// exception <see cref="DtbReader"/> and <see cref="DtbWalker"/> throw for bad input bytes.
/// </summary>
public sealed class DeviceTreeFormatException : FormatException
{
    /// <summary>Creates the exception with a generic message and offset 0.</summary>
    public DeviceTreeFormatException()
        : this("malformed devicetree blob", 0)
    {
    }

    /// <summary>Creates the exception with a reason and offset 0.</summary>
    public DeviceTreeFormatException(string message)
        : this(message, 0)
    {
    }

    /// <summary>Creates the exception with a reason, offset 0 and an inner exception.</summary>
    public DeviceTreeFormatException(string message, Exception innerException)
        : base(Format(message, 0), innerException)
    {
        Reason = message;
    }

    /// <summary>Creates the exception for a problem found at <paramref name="offset"/>.</summary>
    public DeviceTreeFormatException(string reason, long offset)
        : base(Format(reason, offset))
    {
        Reason = reason;
        Offset = offset;
    }

    /// <summary>Byte offset in the blob where the problem was found.</summary>
    public long Offset { get; }

    /// <summary>What was wrong, without the offset.</summary>
    public string Reason { get; }

    [DoesNotReturn]
    internal static void Throw(string reason, long offset) => throw new DeviceTreeFormatException(reason, offset);

    private static string Format(string reason, long offset) => $"{reason} at byte offset {offset} (0x{offset:x})";
}
