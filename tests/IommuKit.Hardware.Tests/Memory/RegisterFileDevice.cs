using IommuKit.Hardware.Memory;

namespace IommuKit.Hardware.Tests.Memory;

/// <summary>
/// A test MMIO device: a little-endian byte register file that logs every access it receives and
/// can refuse widths or offsets, so tests can check exactly what the bus hands a device.
/// </summary>
internal sealed class RegisterFileDevice(int size) : IMmioDevice
{
    private readonly byte[] _bytes = new byte[size];

    public List<(char Op, ulong Offset, int Size, ulong Value)> Log { get; } = [];

    /// <summary>Widths the device accepts; others get SlaveError.</summary>
    public int[] AcceptedSizes { get; init; } = [1, 2, 4, 8];

    /// <summary>An offset whose accesses are refused, or null.</summary>
    public ulong? RefusedOffset { get; init; }

    /// <summary>Bits a read returns above the access size, to check that the bus ignores them.</summary>
    public ulong ReadGarbage { get; init; }

    public byte[] Bytes => _bytes;

    public BusStatus MmioRead(ulong offset, int size, out ulong value)
    {
        Check(offset, size);
        value = 0;
        if (!Accepts(offset, size))
        {
            Log.Add(('R', offset, size, 0));
            return BusStatus.SlaveError;
        }

        for (int i = 0; i < size; i++)
        {
            value |= (ulong)_bytes[(int)offset + i] << (8 * i);
        }

        Log.Add(('R', offset, size, value));
        if (size < 8)
        {
            value |= ReadGarbage << (8 * size);
        }

        return BusStatus.Ok;
    }

    public BusStatus MmioWrite(ulong offset, int size, ulong value)
    {
        Check(offset, size);
        Log.Add(('W', offset, size, value));
        if (!Accepts(offset, size))
        {
            return BusStatus.SlaveError;
        }

        for (int i = 0; i < size; i++)
        {
            _bytes[(int)offset + i] = (byte)(value >> (8 * i));
        }

        return BusStatus.Ok;
    }

    private bool Accepts(ulong offset, int size) => Array.IndexOf(AcceptedSizes, size) >= 0 && offset != RefusedOffset;

    /// <summary>The bus contract every device relies on; a violation fails the test.</summary>
    private void Check(ulong offset, int size)
    {
        Assert.Contains(size, new[] { 1, 2, 4, 8 });
        Assert.Equal(0UL, offset % (ulong)size);
        Assert.True(offset + (ulong)size <= (ulong)_bytes.Length, $"access 0x{offset:x}+{size} outside the region");
    }
}
