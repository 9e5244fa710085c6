using IommuKit.Hardware.Memory;

namespace IommuKit.Hardware.Tests.Memory;

public sealed class PhysicalMemoryTests
{
    [Fact]
    public void Read64_UntouchedRam_ReadsZeroAndAllocatesNothing()
    {
        var mem = new PhysicalMemory();
        mem.AddRam(0x8000_0000, 64UL << 30);

        Assert.Equal(BusStatus.Ok, mem.Read64(0x8_0000_0000, BusAccess.Cpu, out ulong v));
        Assert.Equal(0UL, v);
        Assert.Equal(0, mem.BackedBytes);
    }

    [Fact]
    public void Write64_ThenRead_LittleEndianAndSparse()
    {
        var mem = new PhysicalMemory();
        mem.AddRam(0x8000_0000, 64UL << 30);

        Assert.Equal(BusStatus.Ok, mem.Write64(0x10_0000_0000, 0x1122334455667788, BusAccess.Cpu));
        Assert.Equal(BusStatus.Ok, mem.Read8(0x10_0000_0000, BusAccess.Snoop, out byte b0));
        Assert.Equal(0x88, b0);
        Assert.Equal(BusStatus.Ok, mem.Read32(0x10_0000_0004, BusAccess.NoSnoop, out uint hi));
        Assert.Equal(0x11223344u, hi);
        Assert.Equal(64 * 1024, mem.BackedBytes);
    }

    [Fact]
    public void Access_OutsideTheMap_IsADecodeError()
    {
        var mem = new PhysicalMemory();
        mem.AddRam(0x1000, 0x1000);

        Assert.Equal(BusStatus.DecodeError, mem.Read64(0x2000, BusAccess.Cpu, out _));
        Assert.Equal(BusStatus.DecodeError, mem.Write32(0x1FFE, 1, BusAccess.Snoop));
        Assert.Equal(BusStatus.DecodeError, mem.Write(0x1F00, new byte[0x200], BusAccess.Cpu));
        Assert.Equal(BusStatus.Ok, mem.Read64(0x1FF8, BusAccess.Cpu, out ulong v));
        Assert.Equal(0UL, v); // the refused span write changed nothing
    }
}
