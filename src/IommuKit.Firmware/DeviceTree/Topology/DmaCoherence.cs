using IommuKit.Firmware.DeviceTree.Properties;

namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>
/// A node's effective DMA coherence as Linux's <c>of_dma_is_coherent</c> decides it: the nearest of
/// the node and its DMA parents carrying <c>dma-coherent</c> (coherent) or <c>dma-noncoherent</c>
/// (not) wins; with neither the architecture default applies (false on arm64).
/// </summary>
/// <param name="IsCoherent">Whether DMA from the node is cache-coherent.</param>
/// <param name="Source">The node whose property decided, or null when the architecture default applied.</param>
public readonly record struct DmaCoherence(bool IsCoherent, DtNode? Source)
{
    /// <summary>True when no node on the way decided and the architecture default applied.</summary>
    public bool IsArchitectureDefault => Source is null;

    /// <summary>
    /// Resolves the effective coherence of <paramref name="node"/>. The DMA parent of a node is its
    /// parent, except that a node whose <c>interconnect-names</c> contains <c>"dma-mem"</c> has the
    /// matching <c>interconnects</c> target as DMA parent (Linux <c>of_get_next_dma_parent</c>);
    /// that link needs <paramref name="phandles"/> (without it the tree parent is used).
    /// </summary>
    /// <param name="node">The node.</param>
    /// <param name="defaultCoherent">The architecture default (Linux <c>dma_default_coherent</c>; false on arm64).</param>
    /// <param name="phandles">The tree's phandle index, or null.</param>
    public static DmaCoherence Resolve(DtNode node, bool defaultCoherent, DtPhandleIndex? phandles = null)
    {
        ArgumentNullException.ThrowIfNull(node);

        // A DMA-parent chain through interconnects could loop in a hostile tree; bound it.
        int budget = 4096;
        for (DtNode? n = node; n is not null && budget-- > 0; n = NextDmaParent(n, phandles))
        {
            // Linux checks dma-coherent first, then dma-noncoherent, on each node.
            bool coherent = false, noncoherent = false;
            IReadOnlyList<DtProperty> properties = n.Properties;
            for (int i = 0; i < properties.Count; i++)
            {
                string name = properties[i].Name;
                coherent |= name == "dma-coherent";
                noncoherent |= name == "dma-noncoherent";
            }

            if (coherent || noncoherent)
            {
                return new DmaCoherence(coherent, n);
            }
        }

        return new DmaCoherence(defaultCoherent, null);
    }

    private static DtNode? NextDmaParent(DtNode node, DtPhandleIndex? phandles)
    {
        if (phandles is null)
        {
            return node.Parent;
        }

        DtProperty? names = node.FindProperty("interconnect-names");
        if (names is null)
        {
            return node.Parent;
        }

        int index = DtStrings.IndexOf(names.Value.Span, "dma-mem");
        if (index < 0)
        {
            return node.Parent;
        }

        // of_parse_phandle_with_args(np, "interconnects", "#interconnect-cells", index).
        List<DtPhandleEntry> entries = DtPhandleList.Read(node, "interconnects", "#interconnect-cells", -1, phandles);
        foreach (DtPhandleEntry entry in entries)
        {
            if (entry.Index == index)
            {
                return entry.Status == DtPhandleListStatus.Ok ? entry.Target : node.Parent;
            }
        }

        return node.Parent;
    }
}
