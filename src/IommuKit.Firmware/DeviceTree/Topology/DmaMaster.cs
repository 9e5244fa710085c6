namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>
/// A DMA master as the devicetree describes it: a device node with <c>iommus</c>, or a bus node
/// (PCI host bridge, fsl-mc) with an <c>iommu-map</c> for the requesters below it.
/// </summary>
public sealed class DmaMaster
{
    private string? _path;

    internal DmaMaster(DtNode node, string[] compatible, DmaMasterKind kind, bool enabled, DmaCoherence coherence, IReadOnlyList<IommuReference> references, IdMap? iommuMap, MappedIdSpace idSpace, IommuAttachmentStatus status)
    {
        Node = node;
        Compatible = compatible;
        Kind = kind;
        Enabled = enabled;
        Coherence = coherence;
        References = references;
        IommuMap = iommuMap;
        IdSpace = idSpace;
        Status = status;
    }

    /// <summary>The master's node.</summary>
    public DtNode Node { get; }

    /// <summary>The node's full path (computed on first use).</summary>
    public string Path => _path ??= Node.FullPath;

    /// <summary>The node's <c>compatible</c> strings.</summary>
    public IReadOnlyList<string> Compatible { get; }

    /// <summary><c>iommus</c> or <c>iommu-map</c>.</summary>
    public DmaMasterKind Kind { get; }

    /// <summary>True when the node and all its ancestors are enabled.</summary>
    public bool Enabled { get; }

    /// <summary>The master's effective DMA coherence (for a PCI host bridge, that of every device below it).</summary>
    public DmaCoherence Coherence { get; }

    /// <summary>Shortcut for <see cref="DmaCoherence.IsCoherent"/> of <see cref="Coherence"/>.</summary>
    public bool DmaCoherent => Coherence.IsCoherent;

    /// <summary>The <c>iommus</c> entries (kind <see cref="DmaMasterKind.Iommus"/>), up to the first failing one.</summary>
    public IReadOnlyList<IommuReference> References { get; }

    /// <summary>The <c>iommu-map</c> (kind <see cref="DmaMasterKind.IommuMap"/>), or null.</summary>
    public IdMap? IommuMap { get; }

    /// <summary>What the map's input IDs are (kind <see cref="DmaMasterKind.IommuMap"/>).</summary>
    public MappedIdSpace IdSpace { get; }

    /// <summary>
    /// For <c>iommus</c>: <see cref="IommuAttachmentStatus.Translated"/> when every entry reaches a
    /// usable IOMMU, else the first failing entry's reason (Linux stops at the first failure and
    /// leaves the device without IOMMU). For <c>iommu-map</c>: <see cref="IommuAttachmentStatus.PerId"/>,
    /// or <see cref="IommuAttachmentStatus.MalformedProperty"/> when the map is unusable.
    /// </summary>
    public IommuAttachmentStatus Status { get; }

    /// <summary>True for an <c>iommus</c> master that Linux puts behind its IOMMU(s).</summary>
    public bool IsBehindIommu => Status == IommuAttachmentStatus.Translated;

    /// <inheritdoc/>
    public override string ToString() => $"{Path} ({Kind}, {Status})";
}
