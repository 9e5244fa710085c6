namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>
/// An IOMMU found in a devicetree: any node with <c>#iommu-cells</c> (Linux finds IOMMUs by that
/// property through phandles, never by node name).
/// </summary>
public sealed class IommuInstance
{
    private readonly List<DmaMaster> _masters = [];
    private string? _path;

    internal IommuInstance(DtNode node, string[] compatible, IommuIdentity identity, uint iommuCells, uint? phandle, bool enabled, DmaCoherence coherence, uint? streamMatchMask, bool cellsAccepted)
    {
        Node = node;
        Compatible = compatible;
        Identity = identity;
        IommuCells = iommuCells;
        Phandle = phandle;
        Enabled = enabled;
        Coherence = coherence;
        StreamMatchMask = streamMatchMask;
        IommuCellsAccepted = cellsAccepted;
    }

    /// <summary>The IOMMU's node.</summary>
    public DtNode Node { get; }

    /// <summary>The node's full path (computed on first use).</summary>
    public string Path => _path ??= Node.FullPath;

    /// <summary>The node's <c>compatible</c> strings (empty when absent or malformed).</summary>
    public IReadOnlyList<string> Compatible { get; }

    /// <summary>Family, SMMU model, vendor hooks and transport.</summary>
    public IommuIdentity Identity { get; }

    /// <summary>Shortcut for <see cref="IommuIdentity.Family"/>.</summary>
    public IommuFamily Family => Identity.Family;

    /// <summary>
    /// <c>#iommu-cells</c>: the number of specifier cells after the phandle in each <c>iommus</c>
    /// entry (first cell of the property; 0 when it is shorter than a cell, as Linux then assumes).
    /// </summary>
    public uint IommuCells { get; }

    /// <summary>The node's phandle, or null when nothing can reference it.</summary>
    public uint? Phandle { get; }

    /// <summary>True when the node and all its ancestors are enabled (<c>status</c>).</summary>
    public bool Enabled { get; }

    /// <summary>
    /// The IOMMU's own DMA coherence (its table walks and queues; Linux <c>ARM_SMMU_FEAT_COHERENCY</c>
    /// / <c>COHERENT_WALK</c> come from it), not that of its masters.
    /// </summary>
    public DmaCoherence Coherence { get; }

    /// <summary>Shortcut for <see cref="DmaCoherence.IsCoherent"/> of <see cref="Coherence"/>.</summary>
    public bool DmaCoherent => Coherence.IsCoherent;

    /// <summary>Arm SMMU v1/v2 <c>stream-match-mask</c> (SID bits ignored when one cell is given), or null.</summary>
    public uint? StreamMatchMask { get; }

    /// <summary>False when Linux's driver for this family refuses <see cref="IommuCells"/> (the IOMMU is unusable).</summary>
    public bool IommuCellsAccepted { get; }

    /// <summary>True when masters can be behind this IOMMU: enabled and its cells accepted.</summary>
    public bool Usable => Enabled && IommuCellsAccepted;

    /// <summary>Masters that reference this IOMMU (through <c>iommus</c> or an <c>iommu-map</c> entry), in tree order.</summary>
    public IReadOnlyList<DmaMaster> Masters => _masters;

    /// <inheritdoc/>
    public override string ToString() => $"{Path} ({Family})";

    internal void AddMaster(DmaMaster master)
    {
        if (!_masters.Contains(master))
        {
            _masters.Add(master);
        }
    }
}
