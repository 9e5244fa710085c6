namespace IommuKit.Hardware.Memory;

/// <summary>
/// Who performs a memory access and with which coherency attribute. The CPU goes through its
/// caches; a snooping device access (coherent DMA) sees and updates the CPU's cached data; a
/// non-snooping access (a non-coherent device, or PCIe No-Snoop) touches RAM only.
/// </summary>
public enum BusAccess : byte
{
    /// <summary>A CPU load or store, through the CPU cache when the machine models one.</summary>
    Cpu = 0,

    /// <summary>A device access that snoops the CPU caches (coherent DMA, cacheable walk).</summary>
    Snoop = 1,

    /// <summary>
    /// An access that bypasses the CPU caches: non-coherent DMA, a PCIe No-Snoop transaction, or a
    /// CPU access through a non-cacheable mapping (what Linux gives the CPU for
    /// <c>dma_alloc_coherent</c> memory of a non-coherent device).
    /// </summary>
    NoSnoop = 2,
}
