using IommuKit.Hardware.Dma;
using IommuKit.Hardware.Memory;
using IommuKit.Hardware.Tests.Memory;

namespace IommuKit.Hardware.Tests.Dma;

/// <summary>
/// Devices DMAing through <see cref="DirectDmaTarget"/> on a machine with a CPU cache: the
/// stale-data story end to end, as a driver for a coherent and a non-coherent NIC would live it.
/// </summary>
public sealed class DmaEndpointTests
{
    private const ulong TxBuffer = 0x8000_1000;
    private const ulong RxBuffer = 0x8000_2000;
    private const int Length = 1500;

    [Fact]
    public void CoherentEndpoint_NoMaintenance_SeesCpuDataAndCpuSeesItsWrites()
    {
        (PhysicalMemory mem, DmaEndpoint coherent, _) = NewMachine();
        mem.Write(TxBuffer, Packet(1), BusAccess.Cpu);
        mem.Write(RxBuffer, new byte[Length], BusAccess.Cpu);

        byte[] sent = new byte[Length];
        Assert.Equal(DmaStatus.Ok, coherent.Read(TxBuffer, sent));
        Assert.Equal(DmaStatus.Ok, coherent.Write(RxBuffer, Packet(2)));

        Assert.Equal(Packet(1), sent);
        byte[] received = new byte[Length];
        mem.Read(RxBuffer, received, BusAccess.Cpu);
        Assert.Equal(Packet(2), received);
    }

    [Fact]
    public void NonCoherentEndpoint_TxWithoutClean_SendsStaleRam()
    {
        (PhysicalMemory mem, _, DmaEndpoint nonCoherent) = NewMachine();
        mem.Write(TxBuffer, Packet(1), BusAccess.Cpu);

        byte[] sent = new byte[Length];
        Assert.Equal(DmaStatus.Ok, nonCoherent.Read(TxBuffer, sent));

        Assert.Equal(new byte[Length], sent);
    }

    [Fact]
    public void NonCoherentEndpoint_TxAfterClean_SendsCpuData()
    {
        (PhysicalMemory mem, _, DmaEndpoint nonCoherent) = NewMachine();
        mem.Write(TxBuffer, Packet(1), BusAccess.Cpu);

        mem.Cache!.Clean(TxBuffer, Length);
        byte[] sent = new byte[Length];
        Assert.Equal(DmaStatus.Ok, nonCoherent.Read(TxBuffer, sent));

        Assert.Equal(Packet(1), sent);
    }

    [Fact]
    public void NonCoherentEndpoint_RxWithoutInvalidate_CpuReadsStaleCachedData()
    {
        (PhysicalMemory mem, _, DmaEndpoint nonCoherent) = NewMachine();
        mem.Write(RxBuffer, new byte[Length], BusAccess.Cpu); // the driver clears the RX ring buffer

        Assert.Equal(DmaStatus.Ok, nonCoherent.Write(RxBuffer, Packet(2)));

        byte[] received = new byte[Length];
        mem.Read(RxBuffer, received, BusAccess.Cpu);
        Assert.Equal(new byte[Length], received);
    }

    [Fact]
    public void NonCoherentEndpoint_RxWithCleanInvalidateBeforeAndInvalidateAfter_CpuReadsPacket()
    {
        (PhysicalMemory mem, _, DmaEndpoint nonCoherent) = NewMachine();
        mem.Write(RxBuffer, new byte[Length], BusAccess.Cpu);

        mem.Cache!.CleanInvalidate(RxBuffer, Length); // dma_map_single(DMA_FROM_DEVICE)
        Assert.Equal(DmaStatus.Ok, nonCoherent.Write(RxBuffer, Packet(2)));
        mem.Cache.Invalidate(RxBuffer, Length); // dma_unmap_single

        byte[] received = new byte[Length];
        mem.Read(RxBuffer, received, BusAccess.Cpu);
        Assert.Equal(Packet(2), received);
    }

    [Fact]
    public void CoherentEndpoint_PcieNoSnoopAttribute_BehavesLikeNonCoherent()
    {
        (PhysicalMemory mem, DmaEndpoint coherent, _) = NewMachine();
        mem.Write64(TxBuffer, 0xABCD, BusAccess.Cpu);

        Assert.Equal(DmaStatus.Ok, coherent.Read64(TxBuffer, out ulong noSnoop, DmaAttributes.NonCoherent));
        Assert.Equal(DmaStatus.Ok, coherent.Read64(TxBuffer, out ulong snoop));

        Assert.Equal(0UL, noSnoop);
        Assert.Equal(0xABCDUL, snoop);
    }

    [Fact]
    public void NonCoherentEndpoint_CoherentAttributesRequested_StillDoesNotSnoop()
    {
        var target = new RecordingTarget(DmaStatus.Ok);
        var endpoint = new DmaEndpoint("gpu", 0x42, coherent: false, target);

        endpoint.Write32(0x1000, 5, new DmaAttributes { Privileged = true, SubstreamValid = true, SubstreamId = 7 });

        Assert.Equal(
            [(0x42u, 0x1000UL, 4, new DmaAttributes { NoSnoop = true, Privileged = true, SubstreamValid = true, SubstreamId = 7 })],
            target.Log);
    }

    [Fact]
    public void Endpoint_Values_AreLittleEndianOfEverySize()
    {
        (PhysicalMemory mem, DmaEndpoint coherent, _) = NewMachine();

        Assert.Equal(DmaStatus.Ok, coherent.Write64(TxBuffer, 0x0807060504030201));
        Assert.Equal(DmaStatus.Ok, coherent.WriteValue(TxBuffer + 0xFFE, 3, 0xCCBBAA)); // crosses a page
        Assert.Equal(DmaStatus.Ok, coherent.Write8(TxBuffer + 8, 0x09));
        Assert.Equal(DmaStatus.Ok, coherent.Write16(TxBuffer + 9, 0x0B0A));
        Assert.Equal(DmaStatus.Ok, coherent.Write32(TxBuffer + 11, 0x0F0E0D0C));

        Assert.Equal(DmaStatus.Ok, coherent.Read64(TxBuffer + 1, out ulong v64));
        Assert.Equal(0x0908070605040302UL, v64);
        Assert.Equal(DmaStatus.Ok, coherent.Read32(TxBuffer + 12, out uint v32));
        Assert.Equal(0x000F0E0Du, v32);
        Assert.Equal(DmaStatus.Ok, coherent.Read16(TxBuffer + 9, out ushort v16));
        Assert.Equal(0x0B0A, v16);
        Assert.Equal(DmaStatus.Ok, coherent.Read8(TxBuffer + 0x1000, out byte v8));
        Assert.Equal(0xCC, v8);
        Assert.Equal(DmaStatus.Ok, coherent.ReadValue(TxBuffer + 0xFFE, 3, out ulong v24));
        Assert.Equal(0xCCBBAAUL, v24);
        Assert.Equal(BusStatus.Ok, mem.Read32(TxBuffer + 0xFFC, BusAccess.Cpu, out uint cpu));
        Assert.Equal(0xBBAA0000u, cpu);
    }

    [Fact]
    public void Endpoint_UnmappedAddress_BusErrorRecordedAndCounted()
    {
        (_, DmaEndpoint coherent, _) = NewMachine();

        Assert.Equal(DmaStatus.BusError, coherent.Read64(0x10, out ulong v));
        Assert.Equal(0UL, v);
        Assert.Equal(DmaStatus.BusError, coherent.LastStatus);
        Assert.Equal(DmaStatus.BusError, coherent.Write(0x8FFF_FFF0, new byte[32])); // runs off the end of RAM

        Assert.Equal(2, coherent.BusErrorCount);
        Assert.Equal(0, coherent.FaultCount);
        Assert.Equal(DmaStatus.Ok, coherent.Read8(TxBuffer, out _));
        Assert.Equal(DmaStatus.Ok, coherent.LastStatus);
        Assert.Equal(2, coherent.BusErrorCount);
    }

    [Fact]
    public void Endpoint_IommuRefuses_FaultRecordedAndCounted()
    {
        var endpoint = new DmaEndpoint("nic", 3, coherent: true, new RecordingTarget(DmaStatus.Fault));

        Assert.Equal(DmaStatus.Fault, endpoint.Write64(0x1000, 1));
        Assert.Equal(DmaStatus.Fault, endpoint.Read(0x2000, new byte[16]));

        Assert.Equal(DmaStatus.Fault, endpoint.LastStatus);
        Assert.Equal(2, endpoint.FaultCount);
        Assert.Equal(0, endpoint.BusErrorCount);
    }

    [Fact]
    public void Endpoint_PeerToPeerToMmio_ReachesTheDeviceAndSlaveErrorIsABusError()
    {
        (PhysicalMemory mem, DmaEndpoint coherent, _) = NewMachine();
        var doorbell = new RegisterFileDevice(0x100) { AcceptedSizes = [4] };
        mem.AddMmio(0x1000_0000, 0x100, doorbell);

        Assert.Equal(DmaStatus.Ok, coherent.Write32(0x1000_0040, 0x1234));
        Assert.Equal(DmaStatus.BusError, coherent.Write64(0x1000_0040, 0x1234));

        Assert.Equal(('W', 0x40UL, 4, 0x1234UL), doorbell.Log[0]);
    }

    [Fact]
    public void Endpoint_HotPath_AllocatesNothing()
    {
        (PhysicalMemory mem, DmaEndpoint coherent, DmaEndpoint nonCoherent) = NewMachine();
        Span<byte> buffer = stackalloc byte[256];
        Exercise(coherent, nonCoherent, buffer); // warm up

        long before = GC.GetAllocatedBytesForCurrentThread();
        Exercise(coherent, nonCoherent, buffer);

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(mem.BackedBytes > 0);
    }

    [Fact]
    public void Constructors_NullArguments_Throw()
    {
        var mem = new PhysicalMemory();

        Assert.Throws<ArgumentNullException>(() => new DirectDmaTarget(null!));
        Assert.Throws<ArgumentNullException>(() => new DmaEndpoint(null!, 0, true, new DirectDmaTarget(mem)));
        Assert.Throws<ArgumentNullException>(() => new DmaEndpoint("x", 0, true, null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DmaEndpoint("x", 0, true, new DirectDmaTarget(mem)).ReadValue(0, 9, out _));
        Assert.Equal("nic (stream 0x10, non-coherent)", new DmaEndpoint("nic", 16, false, new DirectDmaTarget(mem)).ToString());
    }

    private static void Exercise(DmaEndpoint coherent, DmaEndpoint nonCoherent, Span<byte> buffer)
    {
        for (int i = 0; i < 1000; i++)
        {
            ulong pa = TxBuffer + (ulong)(i % 64 * 8);
            coherent.Write64(pa, (ulong)i);
            coherent.Read64(pa, out _);
            nonCoherent.Write32(pa, (uint)i);
            nonCoherent.Read(pa, buffer);
            coherent.Write(pa, buffer, DmaAttributes.NonCoherent);
            coherent.Read16(0x10, out _); // a bus error
        }
    }

    private static (PhysicalMemory Memory, DmaEndpoint Coherent, DmaEndpoint NonCoherent) NewMachine()
    {
        var mem = new PhysicalMemory(new CpuCacheOptions());
        mem.AddRam(0x8000_0000, 0x1000_0000);
        var direct = new DirectDmaTarget(mem);
        return (mem, new DmaEndpoint("nic0", 0x100, coherent: true, direct), new DmaEndpoint("nic1", 0x200, coherent: false, direct));
    }

    private static byte[] Packet(int seed) => Enumerable.Range(0, Length).Select(i => (byte)((i * 13) + seed)).ToArray();

    /// <summary>An IDmaTarget that answers every transaction with one status and logs what it was given.</summary>
    private sealed class RecordingTarget(DmaStatus answer) : IDmaTarget
    {
        public List<(uint StreamId, ulong Address, int Length, DmaAttributes Attributes)> Log { get; } = [];

        public DmaStatus DmaRead(uint streamId, ulong address, Span<byte> destination, DmaAttributes attributes)
        {
            Log.Add((streamId, address, destination.Length, attributes));
            return answer;
        }

        public DmaStatus DmaWrite(uint streamId, ulong address, ReadOnlySpan<byte> source, DmaAttributes attributes)
        {
            Log.Add((streamId, address, source.Length, attributes));
            return answer;
        }
    }
}
