using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace IommuKit.Firmware.DeviceTree;

/// <summary>
/// A zero-allocation forward walker over the structure block of a flattened devicetree blob: one
/// token per <see cref="Read"/>, NOPs skipped, every read bounds-checked. This is the fast path
/// for whole-blob scans (workload W2, topology scans); <see cref="DtbReader"/> builds the tree on it.
/// </summary>
/// <remarks>
/// <para>The constructor checks the header as libfdt's <c>fdt_check_header</c> does (see
/// <see cref="DtbHeader.Read"/>) and also requires version ≥ 16, the layout decoded here.</para>
/// <para><see cref="Read"/> enforces the structure-block grammar of spec §5.4: one root node with an
/// empty name, every other node name non-empty and NUL-terminated inside the block, properties before
/// subnodes, END_NODE only inside a node, FDT_END only after the root closed, every token and value
/// inside the structure block, depth at most <see cref="MaxDepth"/>. Anything else throws
/// <see cref="DeviceTreeFormatException"/> with the offset of the bad token. Property names are
/// looked up (and checked) only when <see cref="PropertyName"/> or <see cref="GetString"/> is asked,
/// as libfdt does. Each token advances at least 4 bytes, so a walk always ends.</para>
/// </remarks>
public ref struct DtbWalker
{
    /// <summary>Deepest node nesting accepted (the root is depth 1); Linux's unflattener uses the same cap (FDT_MAX_DEPTH).</summary>
    public const int MaxDepth = 64;

    private const uint FdtBeginNode = 0x1;
    private const uint FdtEndNode = 0x2;
    private const uint FdtProp = 0x3;
    private const uint FdtNop = 0x4;
    private const uint FdtEnd = 0x9;

    private readonly ReadOnlySpan<byte> _blob;
    private readonly int _structEnd;
    private readonly int _stringsStart;
    private readonly int _stringsEnd;
    private int _next;
    private int _depth;
    private bool _rootSeen;
    private bool _nodeHasChild;

    /// <summary>Checks the header of <paramref name="blob"/> and positions before the first token.</summary>
    /// <exception cref="DeviceTreeFormatException">The header is malformed or unsupported.</exception>
    public DtbWalker(ReadOnlySpan<byte> blob)
    {
        DtbHeader header = DtbHeader.Read(blob);
        if (header.Version < DtbHeader.FirstDecodedVersion)
        {
            DeviceTreeFormatException.Throw($"version {header.Version} predates the version 16 structure layout; not supported", 20);
        }

        Header = header;
        _blob = blob;
        _next = (int)header.StructureOffset;
        _structEnd = header.StructureEnd;
        _stringsStart = (int)header.StringsOffset;
        _stringsEnd = (int)(header.StringsOffset + header.StringsSize);
    }

    /// <summary>The checked header.</summary>
    public DtbHeader Header { get; }

    /// <summary>The current token.</summary>
    public DtbToken Token { get; private set; }

    /// <summary>Byte offset of the current token in the blob.</summary>
    public int TokenOffset { get; private set; }

    /// <summary>Nesting depth after the current token: 1 inside the root, 0 after the root's END_NODE.</summary>
    public readonly int Depth => _depth;

    /// <summary>For <see cref="DtbToken.BeginNode"/>: the node name (with unit address), without the NUL.</summary>
    public ReadOnlySpan<byte> NodeName { get; private set; }

    /// <summary>For <see cref="DtbToken.Property"/>: nameoff, the offset of the name in the strings block.</summary>
    public int NameOffset { get; private set; }

    /// <summary>For <see cref="DtbToken.Property"/>: the value bytes (a slice of the blob).</summary>
    public ReadOnlySpan<byte> Value { get; private set; }

    /// <summary>For <see cref="DtbToken.Property"/>: byte offset of the value in the blob.</summary>
    public int ValueOffset { get; private set; }

    /// <summary>For <see cref="DtbToken.Property"/>: the property name (bounds-checked lookup in the strings block).</summary>
    /// <exception cref="DeviceTreeFormatException">nameoff is outside the strings block or the name is not NUL-terminated there.</exception>
    public readonly ReadOnlySpan<byte> PropertyName => GetString(NameOffset);

    /// <summary>
    /// The NUL-terminated string at <paramref name="nameOffset"/> in the strings block, without the
    /// NUL. As libfdt's <c>fdt_get_string</c>: the offset must be inside the block and the NUL too.
    /// </summary>
    /// <exception cref="DeviceTreeFormatException">The string is not inside the strings block.</exception>
    public readonly ReadOnlySpan<byte> GetString(int nameOffset)
    {
        int length = _stringsEnd - _stringsStart;
        if ((uint)nameOffset >= (uint)length)
        {
            ThrowBadNameOffset(nameOffset);
        }

        ReadOnlySpan<byte> rest = _blob[(_stringsStart + nameOffset).._stringsEnd];
        int nul = rest.IndexOf((byte)0);
        if (nul < 0)
        {
            DeviceTreeFormatException.Throw($"property name at nameoff {nameOffset} is not NUL-terminated inside the strings block", _stringsStart + nameOffset);
        }

        return rest[..nul];
    }

    /// <summary>
    /// Moves to the next token (skipping NOPs). Returns false once FDT_END has been read (the
    /// <see cref="Token"/> is then <see cref="DtbToken.End"/>), true otherwise.
    /// </summary>
    /// <exception cref="DeviceTreeFormatException">The structure block is malformed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Read()
    {
        if (Token == DtbToken.End)
        {
            return false;
        }

        ReadOnlySpan<byte> blob = _blob;
        while (true)
        {
            int offset = _next;
            if (offset > _structEnd - 4)
            {
                DeviceTreeFormatException.Throw("structure block ends without FDT_END", offset);
            }

            uint tag = BinaryPrimitives.ReadUInt32BigEndian(blob[offset..]);
            TokenOffset = offset;
            switch (tag)
            {
                case FdtBeginNode:
                    ReadBeginNode(offset);
                    return true;

                case FdtProp:
                    ReadProperty(offset);
                    return true;

                case FdtEndNode:
                    if (_depth == 0)
                    {
                        DeviceTreeFormatException.Throw("FDT_END_NODE outside any node", offset);
                    }

                    _depth--;
                    _nodeHasChild = true;
                    _next = offset + 4;
                    Token = DtbToken.EndNode;
                    return true;

                case FdtNop:
                    _next = offset + 4;
                    continue;

                case FdtEnd:
                    if (_depth != 0)
                    {
                        DeviceTreeFormatException.Throw($"FDT_END inside a node (depth {_depth})", offset);
                    }

                    if (!_rootSeen)
                    {
                        DeviceTreeFormatException.Throw("FDT_END before the root node", offset);
                    }

                    _next = offset + 4;
                    Token = DtbToken.End;
                    return false;

                default:
                    ThrowBadTag(tag, offset);
                    return false;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ReadBeginNode(int offset)
    {
        if (_depth == 0 && _rootSeen)
        {
            DeviceTreeFormatException.Throw("a second root node", offset);
        }

        if (_depth >= MaxDepth)
        {
            DeviceTreeFormatException.Throw($"nodes nested deeper than {MaxDepth}", offset);
        }

        int nameStart = offset + 4;
        ReadOnlySpan<byte> rest = _blob[nameStart.._structEnd];
        int nul = rest.IndexOf((byte)0);
        if (nul < 0)
        {
            DeviceTreeFormatException.Throw("node name is not NUL-terminated inside the structure block", nameStart);
        }

        if (_depth == 0)
        {
            if (nul != 0)
            {
                DeviceTreeFormatException.Throw("the root node name is not empty", nameStart);
            }

            _rootSeen = true;
        }
        else if (nul == 0)
        {
            DeviceTreeFormatException.Throw("empty node name", nameStart);
        }

        NodeName = rest[..nul];
        _depth++;
        _nodeHasChild = false;

        // Next token at the next 4-byte boundary after the NUL; it may equal _structEnd (checked on the next read).
        _next = nameStart + ((nul + 4) & ~3);
        Token = DtbToken.BeginNode;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ReadProperty(int offset)
    {
        if (_depth == 0)
        {
            DeviceTreeFormatException.Throw("FDT_PROP outside any node", offset);
        }

        if (_nodeHasChild)
        {
            DeviceTreeFormatException.Throw("property after a subnode (spec §5.4.2 puts properties first)", offset);
        }

        if (offset > _structEnd - 12)
        {
            DeviceTreeFormatException.Throw("FDT_PROP header runs past the structure block", offset);
        }

        uint length = BinaryPrimitives.ReadUInt32BigEndian(_blob[(offset + 4)..]);
        uint nameOffset = BinaryPrimitives.ReadUInt32BigEndian(_blob[(offset + 8)..]);
        int valueStart = offset + 12;
        if (length > (uint)(_structEnd - valueStart))
        {
            DeviceTreeFormatException.Throw($"property value of {length} bytes runs past the structure block", offset + 4);
        }

        if (nameOffset > int.MaxValue)
        {
            ThrowBadNameOffset(unchecked((int)nameOffset));
        }

        NameOffset = (int)nameOffset;
        ValueOffset = valueStart;
        Value = _blob.Slice(valueStart, (int)length);

        // length <= _structEnd - valueStart <= int.MaxValue - 12, so this cannot overflow.
        _next = valueStart + (((int)length + 3) & ~3);
        Token = DtbToken.Property;
    }

    private readonly void ThrowBadNameOffset(int nameOffset) =>
        DeviceTreeFormatException.Throw($"nameoff {(uint)nameOffset} is outside the strings block ({_stringsEnd - _stringsStart} bytes)", TokenOffset + 8);

    private static void ThrowBadTag(uint tag, int offset) =>
        DeviceTreeFormatException.Throw($"unknown structure token 0x{tag:x8}", offset);
}
