namespace IommuKit.Firmware.DeviceTree.Properties;

/// <summary>
/// Phandle → node index of one tree (Devicetree Specification v0.4 §2.3.3), built once. A phandle
/// comes from <c>phandle</c> or the legacy <c>linux,phandle</c> (<see cref="DtNodeProperties.TryGetPhandle"/>).
/// When two nodes claim the same phandle the first in depth-first order wins, as Linux's
/// <c>of_find_node_by_phandle</c> finds it first; the others are listed in <see cref="Duplicates"/>.
/// </summary>
/// <remarks>The index is a snapshot: rebuild it after editing the tree.</remarks>
public sealed class DtPhandleIndex
{
    private readonly Dictionary<uint, DtNode> _nodes;
    private readonly List<DtNode> _duplicates;

    private DtPhandleIndex(Dictionary<uint, DtNode> nodes, List<DtNode> duplicates)
    {
        _nodes = nodes;
        _duplicates = duplicates;
    }

    /// <summary>Number of distinct phandles.</summary>
    public int Count => _nodes.Count;

    /// <summary>Nodes whose phandle was already taken by an earlier node (in tree order).</summary>
    public IReadOnlyList<DtNode> Duplicates => _duplicates;

    /// <summary>True for a value that can be a phandle (not 0, not 0xffffffff).</summary>
    public static bool IsValidPhandle(uint phandle) => phandle is not 0 and not uint.MaxValue;

    /// <summary>Indexes every node of a tree.</summary>
    public static DtPhandleIndex Build(DeviceTree tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        return Build(tree.Root);
    }

    /// <summary>Indexes a subtree (the root's whole tree when given the root).</summary>
    public static DtPhandleIndex Build(DtNode root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var nodes = new Dictionary<uint, DtNode>();
        var duplicates = new List<DtNode>();
        var stack = new Stack<DtNode>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            DtNode node = stack.Pop();
            if (node.TryGetPhandle(out uint phandle) && !nodes.TryAdd(phandle, node))
            {
                duplicates.Add(node);
            }

            IReadOnlyList<DtNode> children = node.Children;
            for (int i = children.Count - 1; i >= 0; i--)
            {
                stack.Push(children[i]);
            }
        }

        return new DtPhandleIndex(nodes, duplicates);
    }

    /// <summary>Builds an index from nodes already known with their phandles, in tree order.</summary>
    internal static DtPhandleIndex FromPairs(List<(uint Phandle, DtNode Node)> pairs)
    {
        var nodes = new Dictionary<uint, DtNode>(pairs.Count);
        var duplicates = new List<DtNode>();
        foreach ((uint phandle, DtNode node) in pairs)
        {
            if (!nodes.TryAdd(phandle, node))
            {
                duplicates.Add(node);
            }
        }

        return new DtPhandleIndex(nodes, duplicates);
    }

    /// <summary>The node with this phandle, or null (Linux <c>of_find_node_by_phandle</c>).</summary>
    public DtNode? Find(uint phandle) => _nodes.GetValueOrDefault(phandle);

    /// <summary>Looks a phandle up; false when no node has it.</summary>
    public bool TryFind(uint phandle, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DtNode? node) => _nodes.TryGetValue(phandle, out node);
}
