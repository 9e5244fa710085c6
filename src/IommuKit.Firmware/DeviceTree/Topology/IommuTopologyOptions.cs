namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>Architecture facts the devicetree leaves implicit.</summary>
public sealed record IommuTopologyOptions
{
    /// <summary>Options for arm64 Linux: DMA is non-coherent unless the tree says <c>dma-coherent</c>.</summary>
    public static IommuTopologyOptions Arm64 { get; } = new();

    /// <summary>
    /// The coherence of a device when neither it nor a DMA parent says <c>dma-coherent</c> or
    /// <c>dma-noncoherent</c> (Linux <c>dma_default_coherent</c>: false on arm64 and arm, true on
    /// some MIPS, powerpc and RISC-V configurations).
    /// </summary>
    public bool DefaultDmaCoherent { get; init; }
}
