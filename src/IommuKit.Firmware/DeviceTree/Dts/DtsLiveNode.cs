namespace IommuKit.Firmware.DeviceTree.Dts;

/// <summary>
/// A node while the source is compiled (dtc's <c>struct node</c>): properties and children in list
/// order, deleted ones kept as tombstones, labels, and the flags the reference fixups use.
/// </summary>
internal sealed class DtsLiveNode(string name, DtsSourcePosition position)
{
    private DtsLabelList _labels;

    public string Name { get; } = name;

    public DtsSourcePosition Position { get; } = position;

    public DtsLiveNode? Parent { get; set; }

    public List<DtsLiveProperty> Properties { get; } = [];

    public List<DtsLiveNode> Children { get; } = [];

    public ref DtsLabelList Labels => ref _labels;

    public bool Deleted { get; set; }

    /// <summary>Set by <c>/omit-if-no-ref/</c>.</summary>
    public bool OmitIfUnused { get; set; }

    /// <summary>Set when a phandle or path reference resolves to this node.</summary>
    public bool IsReferenced { get; set; }

    /// <summary>The phandle, once explicit or assigned; 0 for none.</summary>
    public uint Phandle { get; set; }

    /// <summary>The first live property of this name (dtc's <c>get_property</c>), or null.</summary>
    public DtsLiveProperty? FindProperty(string propertyName)
    {
        foreach (DtsLiveProperty property in Properties)
        {
            if (!property.Deleted && property.Name == propertyName)
            {
                return property;
            }
        }

        return null;
    }

    /// <summary>The full path, as dtc's <c>fill_fullpaths</c> builds it.</summary>
    public string FullPath()
    {
        if (Parent is null)
        {
            return "/";
        }

        var names = new List<string>();
        for (DtsLiveNode? node = this; node.Parent is not null; node = node.Parent)
        {
            names.Add(node.Name);
        }

        names.Reverse();
        return "/" + string.Join('/', names);
    }

    /// <summary>
    /// dtc's <c>delete_node</c>: this node and every live descendant and property become tombstones
    /// and lose their labels. Iterative, so depth is no concern.
    /// </summary>
    public void Delete()
    {
        var stack = new Stack<DtsLiveNode>();
        stack.Push(this);
        while (stack.Count > 0)
        {
            DtsLiveNode node = stack.Pop();
            node.Deleted = true;
            foreach (DtsLiveNode child in node.Children)
            {
                if (!child.Deleted)
                {
                    stack.Push(child);
                }
            }

            foreach (DtsLiveProperty property in node.Properties)
            {
                if (!property.Deleted)
                {
                    property.Delete();
                }
            }

            node._labels.DeleteAll();
        }
    }
}
