using System.Buffers.Binary;
using System.Globalization;

namespace IommuKit.Firmware.DeviceTree;

/// <summary>
/// Writes a <see cref="DeviceTree"/> as devicetree source, laid out as dtc 1.6 does for
/// <c>dtc -I dtb -O dts</c>, so that the text of a blob is the one people already know.
/// </summary>
/// <remarks>
/// <para>Layout: <c>/dts-v1/;</c>, a blank line, one <c>/memreserve/</c> line per reservation
/// (16 hex digits each), then the root <c>/ {</c>; one tab per level; a node's properties, then
/// each child preceded by a blank line; labels as <c>lbl: </c> before node and property names.</para>
/// <para>A value carries no type in a blob, so it is guessed as dtc does: a string list when the
/// last byte is NUL, every byte is printable ASCII, NUL or one of \a \b \t \n \v \f \r, and NULs
/// are no more than the other bytes; else 32-bit cells (<c>&lt;0x01 0x2000&gt;</c>, at least two
/// hex digits) when the length is a multiple of 4; else bytes (<c>[00 4b]</c>). Empty values print
/// as <c>name;</c>. Phandle references cannot be recovered from a blob and print as numbers.</para>
/// <para>One deliberate difference from dtc: inside a string, dtc prints an embedded NUL as
/// <c>\0</c> even when an octal digit follows, which dtc then reads back as a different octal
/// escape (bytes 00 32 4b 00 print as <c>"\02K"</c> and recompile to 02 4b 00). Here such a NUL
/// prints as <c>\000</c>, so the text always compiles back to the same bytes; everywhere else the
/// output is character for character dtc's.</para>
/// </remarks>
public static class DtsWriter
{
    /// <summary>Returns the source text for <paramref name="tree"/>.</summary>
    public static string Write(DeviceTree tree)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        Write(tree, writer);
        return writer.ToString();
    }

    /// <summary>Writes the source text for <paramref name="tree"/> to <paramref name="writer"/>.</summary>
    public static void Write(DeviceTree tree, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(tree);
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write("/dts-v1/;\n\n");
        foreach (DtMemoryReservation reservation in tree.MemoryReservations)
        {
            writer.Write("/memreserve/\t0x");
            WriteHex(writer, reservation.Address, "x16");
            writer.Write(" 0x");
            WriteHex(writer, reservation.Size, "x16");
            writer.Write(";\n");
        }

        // Iterative: a tree built in memory may be deeper than the stack allows.
        var stack = new Stack<(DtNode Node, int NextChild)>();
        WriteNodeStart(tree.Root, 0, writer);
        stack.Push((tree.Root, 0));
        while (stack.Count > 0)
        {
            (DtNode node, int next) = stack.Pop();
            if (next < node.Children.Count)
            {
                stack.Push((node, next + 1));
                DtNode child = node.Children[next];
                writer.Write('\n');
                WriteNodeStart(child, stack.Count, writer);
                stack.Push((child, 0));
            }
            else
            {
                WriteIndent(writer, stack.Count);
                writer.Write("};\n");
            }
        }
    }

    /// <summary>The value as dtc would render it after <c>name</c>: " = ...;" or ";" (no newline).</summary>
    public static string FormatValue(ReadOnlySpan<byte> value)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        WriteValue(value, writer);
        return writer.ToString();
    }

    private static void WriteNodeStart(DtNode node, int level, TextWriter writer)
    {
        WriteIndent(writer, level);
        WriteLabels(node.Labels, writer);
        writer.Write(node.Name.Length == 0 ? "/" : node.Name);
        writer.Write(" {\n");
        IReadOnlyList<DtProperty> properties = node.Properties;
        for (int i = 0; i < properties.Count; i++)
        {
            DtProperty property = properties[i];
            WriteIndent(writer, level + 1);
            WriteLabels(property.Labels, writer);
            writer.Write(property.Name);
            WriteValue(property.Value.Span, writer);
            writer.Write('\n');
        }
    }

    private static void WriteLabels(IReadOnlyList<string> labels, TextWriter writer)
    {
        foreach (string label in labels)
        {
            writer.Write(label);
            writer.Write(": ");
        }
    }

    private static void WriteHex(TextWriter writer, ulong value, string format)
    {
        Span<char> digits = stackalloc char[16];
        value.TryFormat(digits, out int written, format, CultureInfo.InvariantCulture);
        writer.Write(digits[..written]);
    }

    private static void WriteIndent(TextWriter writer, int level)
    {
        for (int i = 0; i < level; i++)
        {
            writer.Write('\t');
        }
    }

    private static void WriteValue(ReadOnlySpan<byte> value, TextWriter writer)
    {
        if (value.IsEmpty)
        {
            writer.Write(';');
            return;
        }

        writer.Write(" = ");
        if (LooksLikeStrings(value))
        {
            WriteStrings(value, writer);
        }
        else if (value.Length % 4 == 0)
        {
            writer.Write('<');
            for (int i = 0; i < value.Length; i += 4)
            {
                if (i != 0)
                {
                    writer.Write(' ');
                }

                writer.Write("0x");
                WriteHex(writer, BinaryPrimitives.ReadUInt32BigEndian(value[i..]), "x2");
            }

            writer.Write('>');
        }
        else
        {
            writer.Write('[');
            for (int i = 0; i < value.Length; i++)
            {
                if (i != 0)
                {
                    writer.Write(' ');
                }

                WriteHex(writer, value[i], "x2");
            }

            writer.Write(']');
        }

        writer.Write(';');
    }

    // dtc's guess: last byte NUL, every byte printable / NUL / a C escape, NULs <= other bytes.
    private static bool LooksLikeStrings(ReadOnlySpan<byte> value)
    {
        if (value[^1] != 0)
        {
            return false;
        }

        int nuls = 0;
        foreach (byte b in value)
        {
            if (b == 0)
            {
                nuls++;
            }
            else if (!IsPrint(b) && (b < 0x07 || b > 0x0d))
            {
                return false;
            }
        }

        return nuls <= value.Length - nuls;
    }

    private static bool IsPrint(byte b) => b >= 0x20 && b <= 0x7e;

    private static void WriteStrings(ReadOnlySpan<byte> value, TextWriter writer)
    {
        writer.Write('"');
        int end = value.Length - 1;
        for (int i = 0; i < end; i++)
        {
            byte b = value[i];
            switch (b)
            {
                case 0:
                    // "\0" followed by an octal digit would read back as another escape; see remarks.
                    bool octalFollows = i + 1 < end && value[i + 1] >= (byte)'0' && value[i + 1] <= (byte)'7';
                    writer.Write(octalFollows ? "\\000" : "\\0");
                    break;
                case 0x07:
                    writer.Write("\\a");
                    break;
                case 0x08:
                    writer.Write("\\b");
                    break;
                case 0x09:
                    writer.Write("\\t");
                    break;
                case 0x0a:
                    writer.Write("\\n");
                    break;
                case 0x0b:
                    writer.Write("\\v");
                    break;
                case 0x0c:
                    writer.Write("\\f");
                    break;
                case 0x0d:
                    writer.Write("\\r");
                    break;
                case (byte)'\\':
                    writer.Write("\\\\");
                    break;
                case (byte)'"':
                    writer.Write("\\\"");
                    break;
                default:
                    writer.Write((char)b);
                    break;
            }
        }

        writer.Write('"');
    }
}
