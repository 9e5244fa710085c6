namespace IommuKit.Hardware.Dma;

/// <summary>
/// What a DMA-capable master's transactions go into: an IOMMU's upstream (client) port, or the
/// interconnect directly when no IOMMU sits in the path. <paramref name="streamId"/> is the ID the
/// fabric attaches to the transaction (Arm StreamID, PCI requester ID, virtio endpoint ID).
/// Implementations must not allocate on the hot path and must never throw for anything a device
/// or its driver can cause: a refused transaction is a <see cref="DmaStatus"/> plus whatever the
/// IOMMU architecture records (an event, a fault register).
/// </summary>
public interface IDmaTarget
{
    DmaStatus DmaRead(uint streamId, ulong address, Span<byte> destination, DmaAttributes attributes);

    DmaStatus DmaWrite(uint streamId, ulong address, ReadOnlySpan<byte> source, DmaAttributes attributes);
}
