using IommuKit.Firmware.DeviceTree.Properties;

namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>
/// The IOMMU topology of a devicetree as Linux resolves it (<c>of_iommu_configure</c>,
/// <c>of_map_id</c>, <c>of_dma_is_coherent</c>, <c>of_msi_map_id</c>): the IOMMUs (nodes with
/// <c>#iommu-cells</c>), the masters (<c>iommus</c> lists and <c>iommu-map</c> buses), the PCI host
/// bridges with the devices described below them, the legacy <c>mmu-masters</c> entries, and the
/// problems found. Build it with <see cref="Resolve(DeviceTree, IommuTopologyOptions?)"/>.
/// </summary>
/// <remarks>
/// Not modelled: whether an IOMMU driver is built in (a known family is assumed to have one),
/// probe deferral timing, PCI DMA aliases (a bridge's requesters are resolved one RID at a time),
/// and the ACPI (IORT/VIOT) equivalents. The topology is a snapshot: resolve again after editing
/// the tree. Malformed input never throws; it shows up in <see cref="Problems"/>.
/// </remarks>
public sealed class IommuTopology
{
    private readonly Dictionary<DtNode, IommuInstance> _iommuByNode;
    private readonly Dictionary<DtNode, PciHostBridge> _bridgeByNode;
    private readonly Dictionary<DtNode, BridgeMsi> _bridgeMsi;

    internal IommuTopology(
        DeviceTree tree,
        IommuTopologyOptions options,
        DtPhandleIndex phandles,
        List<IommuInstance> iommus,
        List<DmaMaster> masters,
        List<PciHostBridge> bridges,
        List<LegacyMmuMaster> legacy,
        List<TopologyProblem> problems,
        Dictionary<DtNode, IommuInstance> iommuByNode,
        Dictionary<DtNode, PciHostBridge> bridgeByNode,
        Dictionary<DtNode, BridgeMsi> bridgeMsi)
    {
        Tree = tree;
        Options = options;
        Phandles = phandles;
        Iommus = iommus;
        Masters = masters;
        PciHostBridges = bridges;
        LegacyMasters = legacy;
        Problems = problems;
        _iommuByNode = iommuByNode;
        _bridgeByNode = bridgeByNode;
        _bridgeMsi = bridgeMsi;
    }

    /// <summary>The tree this topology was resolved from.</summary>
    public DeviceTree Tree { get; }

    /// <summary>The architecture options used.</summary>
    public IommuTopologyOptions Options { get; }

    /// <summary>The tree's phandle index.</summary>
    public DtPhandleIndex Phandles { get; }

    /// <summary>Every node with <c>#iommu-cells</c>, in tree order.</summary>
    public IReadOnlyList<IommuInstance> Iommus { get; }

    /// <summary>Every <c>iommus</c> master and <c>iommu-map</c> bus, in tree order.</summary>
    public IReadOnlyList<DmaMaster> Masters { get; }

    /// <summary>Every PCI host bridge node, in tree order, with or without <c>iommu-map</c>.</summary>
    public IReadOnlyList<PciHostBridge> PciHostBridges { get; }

    /// <summary>Entries of the deprecated <c>mmu-masters</c> binding.</summary>
    public IReadOnlyList<LegacyMmuMaster> LegacyMasters { get; }

    /// <summary>Problems found, most relevant first within each phase (IOMMUs, then masters, then devices).</summary>
    public IReadOnlyList<TopologyProblem> Problems { get; }

    /// <summary>Resolves the IOMMU topology of a tree.</summary>
    /// <param name="tree">The tree.</param>
    /// <param name="options">Architecture options; <see cref="IommuTopologyOptions.Arm64"/> when null.</param>
    public static IommuTopology Resolve(DeviceTree tree, IommuTopologyOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tree);
        return new IommuTopologyBuilder(tree, options ?? IommuTopologyOptions.Arm64).Build();
    }

    /// <summary>The IOMMU whose node this is, or null.</summary>
    public IommuInstance? FindIommu(DtNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return _iommuByNode.GetValueOrDefault(node);
    }

    /// <summary>The IOMMU at this path, or null.</summary>
    public IommuInstance? FindIommu(string path)
    {
        DtNode? node = Tree.FindNode(path);
        return node is null ? null : FindIommu(node);
    }

    /// <summary>The masters on this node (an <c>iommus</c> master and/or an <c>iommu-map</c> bus).</summary>
    public IReadOnlyList<DmaMaster> FindMasters(DtNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        List<DmaMaster>? found = null;
        foreach (DmaMaster master in Masters)
        {
            if (master.Node == node)
            {
                (found ??= []).Add(master);
            }
        }

        return (IReadOnlyList<DmaMaster>?)found ?? [];
    }

    /// <summary>The masters on the node at this path.</summary>
    public IReadOnlyList<DmaMaster> FindMasters(string path)
    {
        DtNode? node = Tree.FindNode(path);
        return node is null ? [] : FindMasters(node);
    }

    /// <summary>The PCI host bridge whose node this is, or null.</summary>
    public PciHostBridge? FindPciHostBridge(DtNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return _bridgeByNode.GetValueOrDefault(node);
    }

    /// <summary>The PCI host bridge at this path, or null.</summary>
    public PciHostBridge? FindPciHostBridge(string path)
    {
        DtNode? node = Tree.FindNode(path);
        return node is null ? null : FindPciHostBridge(node);
    }

    /// <summary>The effective DMA coherence of any node (Linux <c>of_dma_is_coherent</c>) with this topology's default.</summary>
    public DmaCoherence GetDmaCoherence(DtNode node) => DmaCoherence.Resolve(node, Options.DefaultDmaCoherent, Phandles);

    /// <summary>
    /// Resolves one requester ID through an <c>iommu-map</c> master (a PCI RID, an fsl-mc ICID):
    /// which IOMMU and StreamID it gets, or why it is not behind an IOMMU. Does not allocate.
    /// </summary>
    /// <exception cref="ArgumentException">The master is an <c>iommus</c> master.</exception>
    public IommuResolution ResolveId(DmaMaster master, uint id)
    {
        ArgumentNullException.ThrowIfNull(master);
        if (master.Kind != DmaMasterKind.IommuMap)
        {
            throw new ArgumentException("Only iommu-map masters map IDs; use References for an iommus master.", nameof(master));
        }

        return ResolveMap(master.IommuMap, id);
    }

    /// <summary>
    /// Resolves a PCI requester below a host bridge, whether or not the tree describes the device:
    /// IOMMU and StreamID from the bridge's <c>iommu-map</c> (none without one), MSI controller and
    /// DeviceID from the nearest <c>msi-map</c> that translates it (the bridge's, then its
    /// ancestors') or else the bridge's <c>msi-parent</c>, and the bridge's DMA coherence.
    /// Does not allocate.
    /// </summary>
    public PciRequesterResolution ResolvePciRequester(PciHostBridge bridge, PciRequesterId rid)
    {
        ArgumentNullException.ThrowIfNull(bridge);
        IommuResolution iommu = ResolveMap(bridge.IommuMap, rid.Value);
        MsiResolution msi = ResolveMsi(bridge, rid.Value);
        return new PciRequesterResolution(rid, iommu, msi, bridge.Coherence);
    }

    private IommuResolution ResolveMap(IdMap? map, uint id)
    {
        if (map is null)
        {
            return new IommuResolution(IommuAttachmentStatus.NoIommu, id, null, 0, -1);
        }

        IdMapResult result = map.Map(id);
        switch (result.Status)
        {
            case IdMapStatus.Mapped:
                break;
            case IdMapStatus.NoMatch:
                return new IommuResolution(IommuAttachmentStatus.NoMatchingEntry, id, null, 0, -1);
            case IdMapStatus.MaskIgnoresBase:
                return new IommuResolution(IommuAttachmentStatus.MaskIgnoresBase, id, null, 0, result.EntryIndex);
            case IdMapStatus.DanglingPhandle:
                return new IommuResolution(IommuAttachmentStatus.DanglingPhandle, id, null, 0, result.EntryIndex);
            default:
                return new IommuResolution(IommuAttachmentStatus.MalformedProperty, id, null, 0, -1);
        }

        IommuInstance? iommu = _iommuByNode.GetValueOrDefault(result.Target!);
        IommuAttachmentStatus status = iommu is null ? IommuAttachmentStatus.NotAnIommu
            : !iommu.Enabled ? IommuAttachmentStatus.IommuDisabled
            : !iommu.IommuCellsAccepted ? IommuAttachmentStatus.IommuRejected
            : IommuAttachmentStatus.Translated;
        return new IommuResolution(status, id, iommu, result.OutputId, result.EntryIndex);
    }

    // Linux __of_msi_map_id: walk up from the host bridge; the first msi-map whose lookup succeeds
    // (a match, or no match = pass-through with no target) stops the walk; lookups that fail
    // (no map, bad length, dangling phandle, mask error) move on to the parent. Without a target
    // the PCI MSI domain falls back to the host bridge's msi-parent with the RID as DeviceID.
    private MsiResolution ResolveMsi(PciHostBridge bridge, uint rid)
    {
        if (_bridgeMsi.TryGetValue(bridge.Node, out BridgeMsi? msi))
        {
            foreach ((DtNode node, IdMap map) in msi.Chain)
            {
                IdMapResult result = map.Map(rid);
                if (result.Status == IdMapStatus.Mapped)
                {
                    return new MsiResolution(MsiResolutionStatus.MsiMap, result.Target, result.OutputId, node);
                }

                if (result.Status == IdMapStatus.NoMatch)
                {
                    break;
                }
            }

            if (msi.Parent is not null)
            {
                return new MsiResolution(MsiResolutionStatus.MsiParent, msi.Parent, rid, null);
            }
        }

        return new MsiResolution(MsiResolutionStatus.None, null, rid, null);
    }

    /// <summary>The msi-map chain (bridge first, then ancestors that have one) and msi-parent of a bridge.</summary>
    internal sealed record BridgeMsi(List<(DtNode Node, IdMap Map)> Chain, DtNode? Parent);
}
