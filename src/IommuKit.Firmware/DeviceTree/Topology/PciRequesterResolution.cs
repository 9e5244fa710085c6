namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>
/// Everything the devicetree says about one PCI requester below a host bridge: its IOMMU and
/// StreamID (<c>iommu-map</c>), its MSI controller and DeviceID (<c>msi-map</c>/<c>msi-parent</c>)
/// and its DMA coherence (inherited from the host bridge node, as Linux's <c>pci_dma_configure</c>
/// configures PCI devices from the host bridge's node).
/// </summary>
/// <param name="Rid">The requester ID.</param>
/// <param name="Iommu">The IOMMU side.</param>
/// <param name="Msi">The MSI side.</param>
/// <param name="Coherence">The effective DMA coherence.</param>
public readonly record struct PciRequesterResolution(PciRequesterId Rid, IommuResolution Iommu, MsiResolution Msi, DmaCoherence Coherence);
