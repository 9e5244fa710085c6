using System.Buffers.Binary;
using System.Text;
using IommuKit.Firmware.DeviceTree;

namespace IommuKit.Firmware.Tests.Dtb;

/// <summary>Builds blobs token by token, including malformed ones, for reader tests.</summary>
internal sealed class RawDtb
{
    private readonly List<byte> _structure = [];
    private readonly List<byte> _strings = [];
    private readonly List<(ulong Address, ulong Size)> _reservations = [];

    public uint Version { get; set; } = 17;

    public uint LastCompatibleVersion { get; set; } = 16;

    public uint BootCpuIdPhys { get; set; }

    /// <summary>Blob offset of the structure block in the last <see cref="Build"/>.</summary>
    public int StructureOffset { get; private set; }

    /// <summary>Offset the next structure token will have, relative to the structure block.</summary>
    public int StructurePosition => _structure.Count;

    /// <summary>A minimal valid tree: root with one property and one child with one property.</summary>
    public static RawDtb Minimal()
    {
        var raw = new RawDtb();
        raw.BeginNode(string.Empty).Prop("compatible", "x\0"u8.ToArray())
            .BeginNode("child@1").Prop("reg", [0, 0, 0, 1]).EndNode()
            .EndNode().End();
        return raw;
    }

    public RawDtb Reserve(ulong address, ulong size)
    {
        _reservations.Add((address, size));
        return this;
    }

    public RawDtb Word(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        _structure.AddRange(b.ToArray());
        return this;
    }

    public RawDtb Bytes(ReadOnlySpan<byte> bytes)
    {
        _structure.AddRange(bytes.ToArray());
        return this;
    }

    public RawDtb BeginNode(string name)
    {
        Word(1).Bytes(Encoding.Latin1.GetBytes(name)).Bytes([0]);
        return Align();
    }

    public RawDtb EndNode() => Word(2);

    public RawDtb Nop() => Word(4);

    public RawDtb End() => Word(9);

    public RawDtb Prop(string name, byte[] value) => PropAt(AddString(name), value);

    public RawDtb PropAt(uint nameOffset, byte[] value)
    {
        Word(3).Word((uint)value.Length).Word(nameOffset).Bytes(value);
        return Align();
    }

    public uint AddString(string name)
    {
        uint offset = (uint)_strings.Count;
        _strings.AddRange(Encoding.Latin1.GetBytes(name));
        _strings.Add(0);
        return offset;
    }

    public void AddRawStrings(ReadOnlySpan<byte> bytes) => _strings.AddRange(bytes.ToArray());

    public byte[] Build()
    {
        int headerSize = DtbHeader.SizeForVersion(Version);
        int offRsv = (headerSize + 7) & ~7;
        int offStruct = offRsv + ((_reservations.Count + 1) * 16);
        int offStrings = offStruct + _structure.Count;
        int total = offStrings + _strings.Count;
        StructureOffset = offStruct;
        byte[] blob = new byte[total];
        Span<byte> s = blob;
        BinaryPrimitives.WriteUInt32BigEndian(s, DtbHeader.Magic);
        BinaryPrimitives.WriteUInt32BigEndian(s[4..], (uint)total);
        BinaryPrimitives.WriteUInt32BigEndian(s[8..], (uint)offStruct);
        BinaryPrimitives.WriteUInt32BigEndian(s[12..], (uint)offStrings);
        BinaryPrimitives.WriteUInt32BigEndian(s[16..], (uint)offRsv);
        BinaryPrimitives.WriteUInt32BigEndian(s[20..], Version);
        BinaryPrimitives.WriteUInt32BigEndian(s[24..], LastCompatibleVersion);
        BinaryPrimitives.WriteUInt32BigEndian(s[28..], BootCpuIdPhys);
        if (headerSize >= 36)
        {
            BinaryPrimitives.WriteUInt32BigEndian(s[32..], (uint)_strings.Count);
        }

        if (headerSize >= 40)
        {
            BinaryPrimitives.WriteUInt32BigEndian(s[36..], (uint)_structure.Count);
        }

        int o = offRsv;
        foreach ((ulong address, ulong size) in _reservations)
        {
            BinaryPrimitives.WriteUInt64BigEndian(s[o..], address);
            BinaryPrimitives.WriteUInt64BigEndian(s[(o + 8)..], size);
            o += 16;
        }

        _structure.ToArray().CopyTo(s[offStruct..]);
        _strings.ToArray().CopyTo(s[offStrings..]);
        return blob;
    }

    private RawDtb Align()
    {
        while (_structure.Count % 4 != 0)
        {
            _structure.Add(0);
        }

        return this;
    }
}
