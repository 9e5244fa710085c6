using System.Buffers.Binary;

namespace IommuKit.Firmware.DeviceTree.Properties;

/// <summary>
/// Big-endian cell decoding and encoding for devicetree property values (Devicetree Specification
/// v0.4 §2.2.4: a cell is a 32-bit big-endian integer; numbers wider than one cell are stored most
/// significant cell first, as Linux's <c>of_read_number</c> reads them).
/// </summary>
/// <remarks>
/// Decoders never throw on malformed input: a value of the wrong length makes a <c>Try</c> method
/// return false. The encoders are for building trees in memory (tests, machine composition).
/// </remarks>
public static class DtCells
{
    /// <summary>Size of one cell in bytes.</summary>
    public const int CellSize = 4;

    /// <summary>The largest <c>#address-cells</c> Linux accepts (<c>OF_MAX_ADDR_CELLS</c>).</summary>
    public const int MaxAddressCells = 4;

    /// <summary>The largest <c>#size-cells</c> this library decodes (sizes are 64-bit).</summary>
    public const int MaxSizeCells = 2;

    /// <summary>Reads a value that is exactly one cell.</summary>
    public static bool TryReadU32(ReadOnlySpan<byte> value, out uint result)
    {
        if (value.Length != CellSize)
        {
            result = 0;
            return false;
        }

        result = BinaryPrimitives.ReadUInt32BigEndian(value);
        return true;
    }

    /// <summary>Reads a value that is exactly two cells (a 64-bit number, high cell first).</summary>
    public static bool TryReadU64(ReadOnlySpan<byte> value, out ulong result)
    {
        if (value.Length != 2 * CellSize)
        {
            result = 0;
            return false;
        }

        result = BinaryPrimitives.ReadUInt64BigEndian(value);
        return true;
    }

    /// <summary>The number of whole cells in a value, or false when its length is not a multiple of 4.</summary>
    public static bool TryGetCellCount(ReadOnlySpan<byte> value, out int cellCount)
    {
        if ((value.Length & (CellSize - 1)) != 0)
        {
            cellCount = 0;
            return false;
        }

        cellCount = value.Length / CellSize;
        return true;
    }

    /// <summary>
    /// Reads cell <paramref name="index"/> of a value. The caller has checked the length; an index
    /// outside the value is a programming mistake.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The cell lies outside the value.</exception>
    public static uint ReadCell(ReadOnlySpan<byte> value, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, (value.Length / CellSize) - 1);
        return BinaryPrimitives.ReadUInt32BigEndian(value.Slice(index * CellSize, CellSize));
    }

    /// <summary>
    /// Reads a number of <paramref name="cellCount"/> cells (0 to 4) from the start of
    /// <paramref name="cells"/>, most significant cell first. Zero cells read as 0.
    /// </summary>
    public static bool TryReadNumber(ReadOnlySpan<byte> cells, int cellCount, out UInt128 result)
    {
        result = 0;
        if (cellCount < 0 || cellCount > MaxAddressCells || cells.Length < cellCount * CellSize)
        {
            return false;
        }

        for (int i = 0; i < cellCount; i++)
        {
            result = (result << 32) | BinaryPrimitives.ReadUInt32BigEndian(cells.Slice(i * CellSize, CellSize));
        }

        return true;
    }

    /// <summary>
    /// Reads a size of <paramref name="cellCount"/> cells (0 to 2) from the start of
    /// <paramref name="cells"/>, most significant cell first.
    /// </summary>
    public static bool TryReadSize(ReadOnlySpan<byte> cells, int cellCount, out ulong result)
    {
        result = 0;
        if (cellCount < 0 || cellCount > MaxSizeCells || cells.Length < cellCount * CellSize)
        {
            return false;
        }

        for (int i = 0; i < cellCount; i++)
        {
            result = (result << 32) | BinaryPrimitives.ReadUInt32BigEndian(cells.Slice(i * CellSize, CellSize));
        }

        return true;
    }

    /// <summary>Encodes cells as a big-endian property value (<c>&lt;a b c&gt;</c> in source).</summary>
    public static byte[] Encode(params ReadOnlySpan<uint> cells)
    {
        byte[] value = new byte[cells.Length * CellSize];
        for (int i = 0; i < cells.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(value.AsSpan(i * CellSize), cells[i]);
        }

        return value;
    }

    /// <summary>Encodes one 64-bit number as two cells (<c>/bits/ 64 &lt;n&gt;</c> in source).</summary>
    public static byte[] EncodeU64(ulong number)
    {
        byte[] value = new byte[2 * CellSize];
        BinaryPrimitives.WriteUInt64BigEndian(value, number);
        return value;
    }
}
