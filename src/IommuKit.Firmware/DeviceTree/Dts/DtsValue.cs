using System.Buffers.Binary;

namespace IommuKit.Firmware.DeviceTree.Dts;

/// <summary>
/// A property value while the source is compiled (dtc's <c>struct data</c>): the bytes so far plus
/// markers for references to resolve and labels.
/// </summary>
internal sealed class DtsValue
{
    private byte[] _bytes;

    public DtsValue(int capacity = 16)
    {
        _bytes = capacity == 0 ? [] : new byte[capacity];
    }

    public static DtsValue Empty => new(0);

    public int Length { get; private set; }

    public List<DtsMarker>? Markers { get; private set; }

    public Span<byte> Span => _bytes.AsSpan(0, Length);

    public ReadOnlyMemory<byte> Memory => new(_bytes, 0, Length);

    public void AppendByte(byte value) => Reserve(1)[0] = value;

    public void Append(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Reserve(bytes.Length));

    /// <summary>Appends <paramref name="value"/> big-endian in <paramref name="bits"/> bits (8, 16, 32 or 64), truncated.</summary>
    public void AppendInteger(ulong value, int bits)
    {
        switch (bits)
        {
            case 8:
                AppendByte((byte)value);
                break;
            case 16:
                BinaryPrimitives.WriteUInt16BigEndian(Reserve(2), (ushort)value);
                break;
            case 32:
                BinaryPrimitives.WriteUInt32BigEndian(Reserve(4), (uint)value);
                break;
            default:
                BinaryPrimitives.WriteUInt64BigEndian(Reserve(8), value);
                break;
        }
    }

    public void AddMarker(DtsMarkerKind kind, string text, in DtsSourcePosition position)
    {
        Markers ??= [];
        Markers.Add(new DtsMarker(kind, Length, text, position));
    }

    public bool HasMarkers(DtsMarkerKind kind)
    {
        if (Markers is null)
        {
            return false;
        }

        foreach (DtsMarker marker in Markers)
        {
            if (marker.Kind == kind)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Inserts <paramref name="bytes"/> at <paramref name="marker"/>'s offset and moves every later
    /// marker along (dtc's <c>data_insert_at_marker</c>).
    /// </summary>
    public void InsertAt(DtsMarker marker, ReadOnlySpan<byte> bytes)
    {
        int offset = marker.Offset;
        Reserve(bytes.Length);
        _bytes.AsSpan(offset, Length - bytes.Length - offset).CopyTo(_bytes.AsSpan(offset + bytes.Length));
        bytes.CopyTo(_bytes.AsSpan(offset));
        bool after = false;
        foreach (DtsMarker other in Markers!)
        {
            if (after)
            {
                other.Offset += bytes.Length;
            }
            else if (ReferenceEquals(other, marker))
            {
                after = true;
            }
        }
    }

    private Span<byte> Reserve(int count)
    {
        int needed = Length + count;
        if (needed > _bytes.Length)
        {
            Array.Resize(ref _bytes, Math.Max(needed, Math.Max(16, _bytes.Length * 2)));
        }

        Span<byte> span = _bytes.AsSpan(Length, count);
        Length = needed;
        return span;
    }
}
