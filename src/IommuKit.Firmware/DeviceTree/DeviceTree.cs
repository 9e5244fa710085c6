namespace IommuKit.Firmware.DeviceTree;

/// <summary>
/// An in-memory devicetree (Devicetree Specification v0.4): the root node, the memory reservation
/// block and the boot CPU, plus the header of the blob it was read from, if any. Built by
/// <see cref="DtbReader"/> from a flattened blob, or by a DTS parser; written by
/// <see cref="DtbWriter"/> and <see cref="DtsWriter"/>.
/// </summary>
/// <remarks>
/// The model is deliberately small and mutable so that a DTS parser can build and edit it
/// (<c>/delete-node/</c>, <c>/delete-property/</c>, property overrides). Property values read from
/// a blob are slices of that blob: keep the blob alive and unchanged while the tree is in use.
/// </remarks>
public sealed class DeviceTree
{
    /// <summary>Creates an empty tree: a root node with no properties, no reservations.</summary>
    public DeviceTree()
    {
        Root = DtNode.CreateRoot();
    }

    /// <summary>The root node (name "", path "/").</summary>
    public DtNode Root { get; }

    /// <summary>The memory reservation block (<c>/memreserve/</c> entries), in order.</summary>
    public List<DtMemoryReservation> MemoryReservations { get; } = [];

    /// <summary>The header's <c>boot_cpuid_phys</c> (0 for a tree built from source).</summary>
    public uint BootCpuIdPhys { get; set; }

    /// <summary>The header of the blob this tree was read from; null for a tree built in memory.</summary>
    public DtbHeader? SourceHeader { get; set; }

    /// <summary>
    /// Finds a node by absolute path ("/", "/soc/iommu@5000000"). A path component matches a child
    /// whose full name equals it; a component without a unit address also matches a child whose
    /// name before '@' equals it, when that is the only such child (as Linux's
    /// <c>of_find_node_by_path</c> resolves "/cpus/cpu" style paths). Returns null if none.
    /// </summary>
    public DtNode? FindNode(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0 || path[0] != '/')
        {
            return null;
        }

        return Root.FindDescendant(path.AsSpan(1));
    }
}
