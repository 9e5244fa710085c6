using System.Buffers.Binary;
using System.Text;

namespace IommuKit.Firmware.DeviceTree;

/// <summary>
/// Writes a <see cref="DeviceTree"/> as a flattened devicetree blob (Devicetree Specification v0.4
/// §5), laid out as dtc 1.6 lays out <c>-O dtb</c> output with no padding options.
/// </summary>
/// <remarks>
/// Layout: the 40-byte header (version 17, last_comp_version 16, boot_cpuid_phys from the tree),
/// the memory reservation block at offset 40 (entries then one all-zero terminator), the structure
/// block, then the strings block; totalsize ends at the strings block. The structure block lists a
/// node's properties, then its children, depth first. A property name reuses the first place in the
/// strings block where it already appears NUL-terminated, including as the tail of a longer name
/// ("phandle" inside "linux,phandle"); otherwise it is appended. That is dtc's choice, so writing a
/// tree read from a dtc-made blob gives the same bytes as <c>dtc -I dtb -O dtb</c>. Blobs made by
/// other tools (QEMU builds its blobs with libfdt: strings in creation order, reservation map at
/// 0x30, padded to 1 MiB) come out with the same nodes, properties and values in dtc's layout.
/// </remarks>
public static class DtbWriter
{
    /// <summary>The version written.</summary>
    public const uint Version = 17;

    /// <summary>The last_comp_version written.</summary>
    public const uint LastCompatibleVersion = 16;

    private const uint FdtBeginNode = 0x1;
    private const uint FdtEndNode = 0x2;
    private const uint FdtProp = 0x3;
    private const uint FdtEnd = 0x9;

    /// <summary>Returns the blob for <paramref name="tree"/>.</summary>
    public static byte[] Write(DeviceTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        var strings = new StringTable();
        var structure = new ByteBuffer(4096);
        WriteNode(tree.Root, structure, strings);
        structure.WriteUInt32(FdtEnd);

        int reservationSize = (tree.MemoryReservations.Count + 1) * 16;
        long total = (long)DtbHeader.Size + reservationSize + structure.Length + strings.Length;
        if (total > int.MaxValue)
        {
            throw new InvalidOperationException($"The tree needs {total} bytes, more than a blob can hold.");
        }

        byte[] blob = new byte[total];
        Span<byte> span = blob;
        int offRsv = DtbHeader.Size;
        int offStruct = offRsv + reservationSize;
        int offStrings = offStruct + structure.Length;
        BinaryPrimitives.WriteUInt32BigEndian(span, DtbHeader.Magic);
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], (uint)total);
        BinaryPrimitives.WriteUInt32BigEndian(span[8..], (uint)offStruct);
        BinaryPrimitives.WriteUInt32BigEndian(span[12..], (uint)offStrings);
        BinaryPrimitives.WriteUInt32BigEndian(span[16..], (uint)offRsv);
        BinaryPrimitives.WriteUInt32BigEndian(span[20..], Version);
        BinaryPrimitives.WriteUInt32BigEndian(span[24..], LastCompatibleVersion);
        BinaryPrimitives.WriteUInt32BigEndian(span[28..], tree.BootCpuIdPhys);
        BinaryPrimitives.WriteUInt32BigEndian(span[32..], (uint)strings.Length);
        BinaryPrimitives.WriteUInt32BigEndian(span[36..], (uint)structure.Length);

        int offset = offRsv;
        foreach (DtMemoryReservation reservation in tree.MemoryReservations)
        {
            BinaryPrimitives.WriteUInt64BigEndian(span[offset..], reservation.Address);
            BinaryPrimitives.WriteUInt64BigEndian(span[(offset + 8)..], reservation.Size);
            offset += 16;
        }

        structure.WrittenSpan.CopyTo(span[offStruct..]);
        strings.WrittenSpan.CopyTo(span[offStrings..]);
        return blob;
    }

    private static void WriteNode(DtNode root, ByteBuffer output, StringTable strings)
    {
        // Iterative depth-first walk: a tree built in memory may be deeper than the stack allows.
        var stack = new Stack<(DtNode Node, int NextChild)>();
        BeginNode(root, output, strings);
        stack.Push((root, 0));
        while (stack.Count > 0)
        {
            (DtNode node, int next) = stack.Pop();
            if (next < node.Children.Count)
            {
                stack.Push((node, next + 1));
                DtNode child = node.Children[next];
                BeginNode(child, output, strings);
                stack.Push((child, 0));
            }
            else
            {
                output.WriteUInt32(FdtEndNode);
            }
        }
    }

    private static void BeginNode(DtNode node, ByteBuffer output, StringTable strings)
    {
        output.WriteUInt32(FdtBeginNode);
        output.WriteLatin1(node.Name);
        output.WriteByte(0);
        output.AlignTo4();
        IReadOnlyList<DtProperty> properties = node.Properties;
        for (int i = 0; i < properties.Count; i++)
        {
            DtProperty property = properties[i];
            ReadOnlySpan<byte> value = property.Value.Span;
            output.WriteUInt32(FdtProp);
            output.WriteUInt32((uint)value.Length);
            output.WriteUInt32((uint)strings.Add(property.Name));
            output.Write(value);
            output.AlignTo4();
        }
    }

    /// <summary>dtc's strings block: first NUL-terminated occurrence anywhere, else append.</summary>
    private sealed class StringTable
    {
        private readonly ByteBuffer _bytes = new(1024);
        private readonly Dictionary<string, int> _offsets = new(StringComparer.Ordinal);

        public int Length => _bytes.Length;

        public ReadOnlySpan<byte> WrittenSpan => _bytes.WrittenSpan;

        public int Add(string name)
        {
            if (_offsets.TryGetValue(name, out int offset))
            {
                return offset;
            }

            int byteCount = Encoding.Latin1.GetByteCount(name);
            Span<byte> needle = byteCount < 256 ? stackalloc byte[byteCount + 1] : new byte[byteCount + 1];
            Encoding.Latin1.GetBytes(name, needle);
            needle[byteCount] = 0;
            offset = _bytes.WrittenSpan.IndexOf(needle);
            if (offset < 0)
            {
                offset = _bytes.Length;
                _bytes.Write(needle);
            }

            _offsets.Add(name, offset);
            return offset;
        }
    }

    private sealed class ByteBuffer(int capacity)
    {
        private byte[] _buffer = new byte[capacity];

        public int Length { get; private set; }

        public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, Length);

        public void WriteUInt32(uint value)
        {
            BinaryPrimitives.WriteUInt32BigEndian(Reserve(4), value);
        }

        public void WriteByte(byte value) => Reserve(1)[0] = value;

        public void Write(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Reserve(bytes.Length));

        public void WriteLatin1(string text)
        {
            int count = Encoding.Latin1.GetByteCount(text);
            Encoding.Latin1.GetBytes(text, Reserve(count));
        }

        public void AlignTo4()
        {
            int pad = -Length & 3;
            Reserve(pad).Clear();
        }

        private Span<byte> Reserve(int count)
        {
            if ((long)Length + count > Array.MaxLength)
            {
                throw new InvalidOperationException("The tree is too large for a blob.");
            }

            if (Length + count > _buffer.Length)
            {
                int size = (int)Math.Min(Array.MaxLength, Math.Max((long)_buffer.Length * 2, (long)Length + count));
                Array.Resize(ref _buffer, size);
            }

            Span<byte> span = _buffer.AsSpan(Length, count);
            Length += count;
            return span;
        }
    }
}
