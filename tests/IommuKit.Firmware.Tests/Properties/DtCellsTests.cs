using IommuKit.Firmware.DeviceTree.Properties;

namespace IommuKit.Firmware.Tests.Properties;

public sealed class DtCellsTests
{
    [Theory]
    [InlineData(new byte[] { 0x00, 0x00, 0x00, 0x11 }, 0x11u)]
    [InlineData(new byte[] { 0xde, 0xad, 0xbe, 0xef }, 0xdeadbeefu)]
    public void TryReadU32_OneCell_ReadsBigEndian(byte[] value, uint expected)
    {
        Assert.True(DtCells.TryReadU32(value, out uint actual));
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(8)]
    public void TryReadU32_WrongLength_ReturnsFalse(int length)
    {
        Assert.False(DtCells.TryReadU32(new byte[length], out uint value));
        Assert.Equal(0u, value);
    }

    [Fact]
    public void TryReadU64_TwoCells_HighCellFirst()
    {
        Assert.True(DtCells.TryReadU64(DtCells.Encode(0x1, 0xf8000000), out ulong value));
        Assert.Equal(0x1_f800_0000UL, value);
        Assert.False(DtCells.TryReadU64(DtCells.Encode(1), out _));
    }

    [Fact]
    public void TryReadNumber_ThreeCells_KeepsPhysHiAbove64Bits()
    {
        byte[] cells = DtCells.Encode(0x82000000, 0x1, 0xf8000000);
        Assert.True(DtCells.TryReadNumber(cells, 3, out UInt128 value));
        Assert.Equal(0x82000000u, (uint)(value >> 64));
        Assert.Equal(0x1_f800_0000UL, (ulong)value);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(5)]
    public void TryReadNumber_CellCountOutOfRange_ReturnsFalse(int cellCount)
    {
        Assert.False(DtCells.TryReadNumber(new byte[32], cellCount, out _));
    }

    [Fact]
    public void TryReadNumber_ShortValue_ReturnsFalse()
    {
        Assert.False(DtCells.TryReadNumber(new byte[7], 2, out _));
    }

    [Fact]
    public void TryGetCellCount_PartialCell_ReturnsFalse()
    {
        Assert.True(DtCells.TryGetCellCount(new byte[12], out int count));
        Assert.Equal(3, count);
        Assert.False(DtCells.TryGetCellCount(new byte[13], out _));
    }

    [Fact]
    public void ReadCell_OutsideValue_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DtCells.ReadCell(new byte[8], 2));
    }

    [Fact]
    public void Encode_ThenReadCell_RoundTrips()
    {
        var random = new Random(0x5EED);
        for (int iteration = 0; iteration < 200; iteration++)
        {
            uint[] cells = new uint[random.Next(0, 12)];
            for (int i = 0; i < cells.Length; i++)
            {
                cells[i] = (uint)random.NextInt64(0, 1L << 32);
            }

            byte[] value = DtCells.Encode(cells);
            Assert.Equal(cells.Length * 4, value.Length);
            for (int i = 0; i < cells.Length; i++)
            {
                Assert.Equal(cells[i], DtCells.ReadCell(value, i));
            }
        }
    }

    [Fact]
    public void EncodeU64_ThenTryReadU64_RoundTrips()
    {
        var random = new Random(11);
        for (int iteration = 0; iteration < 200; iteration++)
        {
            ulong n = (ulong)random.NextInt64() ^ ((ulong)random.Next() << 33);
            Assert.True(DtCells.TryReadU64(DtCells.EncodeU64(n), out ulong back));
            Assert.Equal(n, back);
        }
    }
}
