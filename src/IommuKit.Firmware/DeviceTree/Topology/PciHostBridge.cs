namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>
/// A PCI host bridge node (<c>device_type = "pci"</c> with no PCI bus above it): the node Linux
/// uses for every PCI device below it (<c>iommu-map</c>, <c>msi-map</c>, <c>dma-coherent</c>).
/// </summary>
public sealed class PciHostBridge
{
    private readonly List<PciEndpoint> _endpoints = [];
    private string? _path;

    internal PciHostBridge(DtNode node, bool enabled, DmaCoherence coherence, IdMap? iommuMap, IdMap? msiMap)
    {
        Node = node;
        Enabled = enabled;
        Coherence = coherence;
        IommuMap = iommuMap;
        MsiMap = msiMap;
    }

    /// <summary>The host bridge node.</summary>
    public DtNode Node { get; }

    /// <summary>The node's full path (computed on first use).</summary>
    public string Path => _path ??= Node.FullPath;

    /// <summary>True when the node and all its ancestors are enabled.</summary>
    public bool Enabled { get; }

    /// <summary>The effective DMA coherence every device below inherits.</summary>
    public DmaCoherence Coherence { get; }

    /// <summary>The host bridge's <c>iommu-map</c>, or null (devices not behind an IOMMU).</summary>
    public IdMap? IommuMap { get; }

    /// <summary>The host bridge's own <c>msi-map</c>, or null (an ancestor's or <c>msi-parent</c> may apply).</summary>
    public IdMap? MsiMap { get; }

    /// <summary>The <c>iommu-map</c> master for this bridge, or null when it has no map.</summary>
    public DmaMaster? Master { get; internal set; }

    /// <summary>PCI devices and bridges described below it, in tree order.</summary>
    public IReadOnlyList<PciEndpoint> Endpoints => _endpoints;

    /// <inheritdoc/>
    public override string ToString() => Path;

    internal void AddEndpoint(PciEndpoint endpoint) => _endpoints.Add(endpoint);
}
