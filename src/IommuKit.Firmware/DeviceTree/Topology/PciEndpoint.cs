namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>A PCI device or bridge described by a node below a host bridge (its <c>reg</c> gives the RID).</summary>
/// <param name="Node">The node.</param>
/// <param name="Rid">Requester ID from <c>reg</c>'s phys.hi cell.</param>
/// <param name="Enabled">True when the node and all its ancestors are enabled.</param>
/// <param name="Resolution">Its IOMMU, MSI and coherence resolution.</param>
public sealed record PciEndpoint(DtNode Node, PciRequesterId Rid, bool Enabled, PciRequesterResolution Resolution)
{
    /// <summary>The node's full path.</summary>
    public string Path => Node.FullPath;
}
