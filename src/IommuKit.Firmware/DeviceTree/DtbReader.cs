using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace IommuKit.Firmware.DeviceTree;

/// <summary>
/// Reads a flattened devicetree blob (Devicetree Specification v0.4 §5, format versions 16 and 17,
/// and later versions that stay compatible with 17) into a <see cref="DeviceTree"/>.
/// </summary>
/// <remarks>
/// <para>Checks, in order: the header as libfdt's <c>fdt_check_header</c> (see
/// <see cref="DtbHeader.Read"/>) plus buffer ≥ totalsize and version ≥ 16; the memory reservation
/// block (16-byte entries inside totalsize, ended by an entry of size 0, as libfdt's
/// <c>fdt_num_mem_rsv</c> and dtc read it); the structure block grammar (see
/// <see cref="DtbWalker"/>); each property name inside the strings block and non-empty; no '/' in a
/// node name. Any failure is one <see cref="DeviceTreeFormatException"/> with the byte offset;
/// nothing else escapes for any input, and the work is linear in the blob size.</para>
/// <para>Caps: node depth <see cref="DtbWalker.MaxDepth"/> (64), at most <see cref="MaxNodes"/> nodes,
/// <see cref="MaxProperties"/> properties and <see cref="MaxMemoryReservations"/> reservation
/// entries. Real blobs are far below (the 577-blob reference corpus averages 372 nodes).</para>
/// <para>Property values are slices of <c>blob</c>, not copies. Property names are decoded once per
/// distinct nameoff; names are decoded as Latin-1 so that writing reproduces the bytes. Duplicate
/// names in a blob are kept as they are, in order (libfdt does not reject them either).</para>
/// </remarks>
public static class DtbReader
{
    /// <summary>Most nodes one blob may hold.</summary>
    public const int MaxNodes = 1 << 20;

    /// <summary>Most properties one blob may hold.</summary>
    public const int MaxProperties = 1 << 22;

    /// <summary>Most memory reservation entries one blob may hold.</summary>
    public const int MaxMemoryReservations = 1 << 16;

    /// <summary>Reads <paramref name="blob"/> into a tree whose property values are slices of it.</summary>
    /// <exception cref="DeviceTreeFormatException">The blob is malformed; the message carries the byte offset.</exception>
    public static DeviceTree Read(ReadOnlyMemory<byte> blob)
    {
        ReadOnlySpan<byte> span = blob.Span;
        var walker = new DtbWalker(span);
        DtbHeader header = walker.Header;
        var tree = new DeviceTree
        {
            BootCpuIdPhys = header.BootCpuIdPhys,
            SourceHeader = header,
        };

        ReadMemoryReservations(span, header, tree.MemoryReservations);
        ReadStructure(blob, ref walker, tree.Root);
        return tree;
    }

    /// <summary>
    /// As <see cref="Read"/>, without throwing: returns false and the error for a malformed blob.
    /// </summary>
    public static bool TryRead(
        ReadOnlyMemory<byte> blob,
        [NotNullWhen(true)] out DeviceTree? tree,
        [NotNullWhen(false)] out DeviceTreeFormatException? error)
    {
        try
        {
            tree = Read(blob);
            error = null;
            return true;
        }
        catch (DeviceTreeFormatException e)
        {
            tree = null;
            error = e;
            return false;
        }
    }

    private static void ReadMemoryReservations(ReadOnlySpan<byte> blob, DtbHeader header, List<DtMemoryReservation> list)
    {
        int offset = (int)header.MemoryReservationOffset;
        int end = (int)header.TotalSize;
        while (true)
        {
            if (offset > end - 16)
            {
                DeviceTreeFormatException.Throw("memory reservation block runs past totalsize without a terminating entry", offset);
            }

            ulong address = BinaryPrimitives.ReadUInt64BigEndian(blob[offset..]);
            ulong size = BinaryPrimitives.ReadUInt64BigEndian(blob[(offset + 8)..]);
            if (size == 0)
            {
                return;
            }

            if (list.Count == MaxMemoryReservations)
            {
                DeviceTreeFormatException.Throw($"more than {MaxMemoryReservations} memory reservation entries", offset);
            }

            list.Add(new DtMemoryReservation(address, size));
            offset += 16;
        }
    }

    private static void ReadStructure(ReadOnlyMemory<byte> blob, ref DtbWalker walker, DtNode root)
    {
        var names = new Dictionary<int, string>();
        var stack = new DtNode[DtbWalker.MaxDepth + 1];
        int nodes = 0;
        int properties = 0;
        DtNode? current = null;
        while (walker.Read())
        {
            switch (walker.Token)
            {
                case DtbToken.BeginNode:
                    if (walker.Depth == 1)
                    {
                        current = root;
                    }
                    else
                    {
                        if (++nodes > MaxNodes)
                        {
                            DeviceTreeFormatException.Throw($"more than {MaxNodes} nodes", walker.TokenOffset);
                        }

                        ReadOnlySpan<byte> nameBytes = walker.NodeName;
                        int slash = nameBytes.IndexOf((byte)'/');
                        if (slash >= 0)
                        {
                            DeviceTreeFormatException.Throw("node name contains '/'", walker.TokenOffset + 4 + slash);
                        }

                        var node = new DtNode(Encoding.Latin1.GetString(nameBytes));
                        current!.AppendChildUnchecked(node);
                        current = node;
                    }

                    stack[walker.Depth] = current;
                    break;

                case DtbToken.EndNode:
                    current = walker.Depth == 0 ? null : stack[walker.Depth];
                    break;

                case DtbToken.Property:
                    if (++properties > MaxProperties)
                    {
                        DeviceTreeFormatException.Throw($"more than {MaxProperties} properties", walker.TokenOffset);
                    }

                    int nameOffset = walker.NameOffset;
                    if (!names.TryGetValue(nameOffset, out string? name))
                    {
                        ReadOnlySpan<byte> nameBytes = walker.PropertyName;
                        if (nameBytes.IsEmpty)
                        {
                            DeviceTreeFormatException.Throw("empty property name", walker.TokenOffset + 8);
                        }

                        name = Encoding.Latin1.GetString(nameBytes);
                        names.Add(nameOffset, name);
                    }

                    current!.AppendPropertyUnchecked(new DtProperty(name, blob.Slice(walker.ValueOffset, walker.Value.Length)));
                    break;

                default:
                    break;
            }
        }
    }
}
