using IommuKit.Hardware.Memory;

namespace IommuKit.Hardware.Dma;

/// <summary>
/// The interconnect with no IOMMU in the path: a DMA address is a physical address, and the
/// transaction goes straight to <see cref="PhysicalMemory"/> (RAM, or MMIO for peer-to-peer DMA).
/// It snoops the CPU caches unless the transaction carries <see cref="DmaAttributes.NoSnoop"/>.
/// The stream ID is carried but unused, as nothing on this path checks it. A bus error (no region
/// decodes an address, or a slave refuses) is <see cref="DmaStatus.BusError"/>. Allocation-free.
/// </summary>
public sealed class DirectDmaTarget : IDmaTarget
{
    private readonly PhysicalMemory _memory;

    /// <summary>Connects masters directly to <paramref name="memory"/>.</summary>
    public DirectDmaTarget(PhysicalMemory memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        _memory = memory;
    }

    /// <summary>The address space the transactions land in.</summary>
    public PhysicalMemory Memory => _memory;

    /// <inheritdoc/>
    public DmaStatus DmaRead(uint streamId, ulong address, Span<byte> destination, DmaAttributes attributes) =>
        _memory.Read(address, destination, ToBusAccess(attributes)) == BusStatus.Ok ? DmaStatus.Ok : DmaStatus.BusError;

    /// <inheritdoc/>
    public DmaStatus DmaWrite(uint streamId, ulong address, ReadOnlySpan<byte> source, DmaAttributes attributes) =>
        _memory.Write(address, source, ToBusAccess(attributes)) == BusStatus.Ok ? DmaStatus.Ok : DmaStatus.BusError;

    private static BusAccess ToBusAccess(DmaAttributes attributes) =>
        attributes.NoSnoop ? BusAccess.NoSnoop : BusAccess.Snoop;
}
