using System.Buffers.Binary;

namespace IommuKit.Hardware.Dma;

/// <summary>
/// A DMA-capable master: a named device with the stream ID (Arm StreamID, PCI requester ID) the
/// fabric attaches to its transactions, wired to the <see cref="IDmaTarget"/> its transactions go
/// into (an IOMMU's client port, or <see cref="DirectDmaTarget"/>). A coherent master snoops the
/// CPU caches unless a transaction asks otherwise (PCIe No-Snoop); a non-coherent master never
/// snoops, whatever the attributes say. Device models use it to read and write spans and 1–8 byte
/// little-endian values. It records the status of its last transaction and counts refused ones.
/// Allocation-free.
/// </summary>
/// <remarks>
/// One device's DMA engine drives its endpoint; concurrent use from several threads is safe for
/// the counters but <see cref="LastStatus"/> then holds whichever transaction finished last.
/// </remarks>
public sealed class DmaEndpoint
{
    private readonly IDmaTarget _target;
    private DmaStatus _lastStatus;
    private long _faultCount;
    private long _busErrorCount;

    /// <summary>Creates a master named <paramref name="name"/> issuing <paramref name="streamId"/> into <paramref name="target"/>.</summary>
    public DmaEndpoint(string name, uint streamId, bool coherent, IDmaTarget target)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(target);
        Name = name;
        StreamId = streamId;
        Coherent = coherent;
        _target = target;
    }

    /// <summary>The device's name (e.g. its devicetree node).</summary>
    public string Name { get; }

    /// <summary>The ID the fabric attaches to every transaction (StreamID, requester ID, endpoint ID).</summary>
    public uint StreamId { get; }

    /// <summary>True if the master's transactions snoop the CPU caches (devicetree "dma-coherent").</summary>
    public bool Coherent { get; }

    /// <summary>Where the transactions go.</summary>
    public IDmaTarget Target => _target;

    /// <summary>The status of the most recent transaction (<see cref="DmaStatus.Ok"/> before any).</summary>
    public DmaStatus LastStatus => _lastStatus;

    /// <summary>Transactions an IOMMU refused (<see cref="DmaStatus.Fault"/>).</summary>
    public long FaultCount => Interlocked.Read(ref _faultCount);

    /// <summary>Transactions the interconnect refused (<see cref="DmaStatus.BusError"/>).</summary>
    public long BusErrorCount => Interlocked.Read(ref _busErrorCount);

    /// <summary>
    /// Reads a span of any size. <paramref name="attributes"/> default to a plain coherent data access;
    /// a non-coherent master always sends No-Snoop.
    /// </summary>
    public DmaStatus Read(ulong address, Span<byte> destination, DmaAttributes attributes = default) =>
        Complete(_target.DmaRead(StreamId, address, destination, Effective(attributes)));

    /// <summary>Writes a span of any size (see <see cref="Read(ulong, Span{byte}, DmaAttributes)"/> for attributes).</summary>
    public DmaStatus Write(ulong address, ReadOnlySpan<byte> source, DmaAttributes attributes = default) =>
        Complete(_target.DmaWrite(StreamId, address, source, Effective(attributes)));

    /// <summary>Reads a little-endian value of <paramref name="size"/> (1–8) bytes; 0 if the transaction failed.</summary>
    public DmaStatus ReadValue(ulong address, int size, out ulong value, DmaAttributes attributes = default)
    {
        CheckSize(size);
        Span<byte> buffer = stackalloc byte[8];
        DmaStatus status = Read(address, buffer[..size], attributes);
        value = status == DmaStatus.Ok ? BinaryPrimitives.ReadUInt64LittleEndian(buffer) : 0;
        return status;
    }

    /// <summary>Writes the low <paramref name="size"/> (1–8) bytes of <paramref name="value"/>, little-endian.</summary>
    public DmaStatus WriteValue(ulong address, int size, ulong value, DmaAttributes attributes = default)
    {
        CheckSize(size);
        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(buffer, value);
        return Write(address, buffer[..size], attributes);
    }

    /// <summary>Reads one byte.</summary>
    public DmaStatus Read8(ulong address, out byte value, DmaAttributes attributes = default)
    {
        DmaStatus status = ReadValue(address, 1, out ulong v, attributes);
        value = (byte)v;
        return status;
    }

    /// <summary>Reads a little-endian 16-bit value.</summary>
    public DmaStatus Read16(ulong address, out ushort value, DmaAttributes attributes = default)
    {
        DmaStatus status = ReadValue(address, 2, out ulong v, attributes);
        value = (ushort)v;
        return status;
    }

    /// <summary>Reads a little-endian 32-bit value.</summary>
    public DmaStatus Read32(ulong address, out uint value, DmaAttributes attributes = default)
    {
        DmaStatus status = ReadValue(address, 4, out ulong v, attributes);
        value = (uint)v;
        return status;
    }

    /// <summary>Reads a little-endian 64-bit value.</summary>
    public DmaStatus Read64(ulong address, out ulong value, DmaAttributes attributes = default) =>
        ReadValue(address, 8, out value, attributes);

    /// <summary>Writes one byte.</summary>
    public DmaStatus Write8(ulong address, byte value, DmaAttributes attributes = default) =>
        WriteValue(address, 1, value, attributes);

    /// <summary>Writes a little-endian 16-bit value.</summary>
    public DmaStatus Write16(ulong address, ushort value, DmaAttributes attributes = default) =>
        WriteValue(address, 2, value, attributes);

    /// <summary>Writes a little-endian 32-bit value.</summary>
    public DmaStatus Write32(ulong address, uint value, DmaAttributes attributes = default) =>
        WriteValue(address, 4, value, attributes);

    /// <summary>Writes a little-endian 64-bit value.</summary>
    public DmaStatus Write64(ulong address, ulong value, DmaAttributes attributes = default) =>
        WriteValue(address, 8, value, attributes);

    /// <inheritdoc/>
    public override string ToString() => $"{Name} (stream 0x{StreamId:x}, {(Coherent ? "coherent" : "non-coherent")})";

    private static void CheckSize(int size)
    {
        if ((uint)(size - 1) > 7)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "DMA values are 1 to 8 bytes.");
        }
    }

    private DmaAttributes Effective(DmaAttributes attributes) =>
        Coherent || attributes.NoSnoop ? attributes : attributes with { NoSnoop = true };

    private DmaStatus Complete(DmaStatus status)
    {
        _lastStatus = status;
        if (status == DmaStatus.Fault)
        {
            Interlocked.Increment(ref _faultCount);
        }
        else if (status == DmaStatus.BusError)
        {
            Interlocked.Increment(ref _busErrorCount);
        }

        return status;
    }
}
