using System.Text;

namespace IommuKit.Firmware.DeviceTree;

/// <summary>
/// A devicetree node (Devicetree Specification v0.4 §2.2): a name with optional unit address
/// (<c>iommu@5000000</c>), ordered properties and ordered children.
/// </summary>
/// <remarks>
/// Names and properties are kept in insertion order, which is blob order for a tree read from a
/// blob and source order for a tree built by a DTS parser. The public add methods refuse duplicate
/// names (a programming mistake, <see cref="InvalidOperationException"/>); a blob that carries
/// duplicates is still read faithfully, in order.
/// </remarks>
public sealed class DtNode
{
    // Created on first use: most nodes of a real tree are leaves, and reading a blob should allocate little.
    private List<DtNode>? _children;
    private List<DtProperty>? _properties;
    private List<string>? _labels;

    /// <summary>Creates a detached node. <paramref name="name"/> is the full node name, with any unit address.</summary>
    public DtNode(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException("A node name cannot contain '/'.", nameof(name));
        }

        Name = name;
    }

    private DtNode()
    {
        Name = string.Empty;
    }

    /// <summary>The full node name including the unit address ("" for the root).</summary>
    public string Name { get; }

    /// <summary>The node name before '@' ("iommu" for "iommu@5000000").</summary>
    public string BaseName
    {
        get
        {
            int at = Name.IndexOf('@', StringComparison.Ordinal);
            return at < 0 ? Name : Name[..at];
        }
    }

    /// <summary>The unit address after '@' ("5000000"), or null when the name has none.</summary>
    public string? UnitAddress
    {
        get
        {
            int at = Name.IndexOf('@', StringComparison.Ordinal);
            return at < 0 ? null : Name[(at + 1)..];
        }
    }

    /// <summary>The parent node; null for the root and for a detached node.</summary>
    public DtNode? Parent { get; private set; }

    /// <summary>True for the root node of a tree.</summary>
    public bool IsRoot { get; private init; }

    /// <summary>Child nodes in order.</summary>
    public IReadOnlyList<DtNode> Children => (IReadOnlyList<DtNode>?)_children ?? [];

    /// <summary>Properties in order.</summary>
    public IReadOnlyList<DtProperty> Properties => (IReadOnlyList<DtProperty>?)_properties ?? [];

    /// <summary>Labels of this node (<c>lbl: node { ... };</c>); empty for a tree read from a blob.</summary>
    public IReadOnlyList<string> Labels => (IReadOnlyList<string>?)_labels ?? [];

    /// <summary>The absolute path: "/" for the root, "/soc/iommu@5000000" below it.</summary>
    public string FullPath
    {
        get
        {
            if (Parent is null)
            {
                return IsRoot ? "/" : Name;
            }

            var sb = new StringBuilder();
            AppendPath(sb);
            return sb.ToString();
        }
    }

    /// <summary>Adds a label; a label already present is not added twice. Returns true if added.</summary>
    public bool AddLabel(string label)
    {
        ArgumentException.ThrowIfNullOrEmpty(label);
        _labels ??= [];
        if (_labels.Contains(label))
        {
            return false;
        }

        _labels.Add(label);
        return true;
    }

    /// <summary>Removes a label. Returns true if it was present.</summary>
    public bool RemoveLabel(string label) => _labels is not null && _labels.Remove(label);

    /// <summary>The child with exactly this name (including unit address), or null.</summary>
    public DtNode? FindChild(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return FindChild(name.AsSpan());
    }

    /// <summary>The child with exactly this name (including unit address), or null.</summary>
    public DtNode? FindChild(ReadOnlySpan<char> name)
    {
        if (_children is null)
        {
            return null;
        }

        foreach (DtNode child in _children)
        {
            if (name.SequenceEqual(child.Name))
            {
                return child;
            }
        }

        return null;
    }

    /// <summary>The property with this name, or null.</summary>
    public DtProperty? FindProperty(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return FindProperty(name.AsSpan());
    }

    /// <summary>The property with this name, or null.</summary>
    public DtProperty? FindProperty(ReadOnlySpan<char> name)
    {
        if (_properties is null)
        {
            return null;
        }

        foreach (DtProperty property in _properties)
        {
            if (name.SequenceEqual(property.Name))
            {
                return property;
            }
        }

        return null;
    }

    /// <summary>
    /// Finds a node by a path relative to this one ("soc/iommu@5000000"); see
    /// <see cref="DeviceTree.FindNode(string)"/> for the matching rule. Returns null if none.
    /// </summary>
    public DtNode? FindNode(string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        return FindDescendant(relativePath.AsSpan());
    }

    /// <summary>Appends a detached node as the last child and returns it.</summary>
    /// <exception cref="InvalidOperationException">The node already has a parent, is a root, or a child of that name exists.</exception>
    public DtNode AddChild(DtNode child)
    {
        ArgumentNullException.ThrowIfNull(child);
        if (child.Parent is not null || child.IsRoot)
        {
            throw new InvalidOperationException($"Node '{child.Name}' is already in a tree.");
        }

        if (FindChild(child.Name) is not null)
        {
            throw new InvalidOperationException($"Node '{FullPath}' already has a child '{child.Name}'.");
        }

        child.Parent = this;
        (_children ??= []).Add(child);
        return child;
    }

    /// <summary>Creates a node with this name, appends it as the last child and returns it.</summary>
    /// <exception cref="InvalidOperationException">A child of that name exists.</exception>
    public DtNode AddChild(string name) => AddChild(new DtNode(name));

    /// <summary>Returns the child with this name, creating it as the last child if there is none.</summary>
    public DtNode GetOrAddChild(string name) => FindChild(name) ?? AddChild(new DtNode(name));

    /// <summary>Detaches a child (with its subtree). Returns false if it is not a child of this node.</summary>
    public bool RemoveChild(DtNode child)
    {
        ArgumentNullException.ThrowIfNull(child);
        if (child.Parent != this || _children is null || !_children.Remove(child))
        {
            return false;
        }

        child.Parent = null;
        return true;
    }

    /// <summary>Detaches the child with this name. Returns false if there is none.</summary>
    public bool RemoveChild(string name)
    {
        DtNode? child = FindChild(name);
        return child is not null && RemoveChild(child);
    }

    /// <summary>Appends a detached property as the last property and returns it.</summary>
    /// <exception cref="InvalidOperationException">The property belongs to a node, or a property of that name exists.</exception>
    public DtProperty AddProperty(DtProperty property)
    {
        ArgumentNullException.ThrowIfNull(property);
        if (property.Node is not null)
        {
            throw new InvalidOperationException($"Property '{property.Name}' already belongs to a node.");
        }

        if (FindProperty(property.Name) is not null)
        {
            throw new InvalidOperationException($"Node '{FullPath}' already has a property '{property.Name}'.");
        }

        property.Node = this;
        (_properties ??= []).Add(property);
        return property;
    }

    /// <summary>Creates a property, appends it as the last property and returns it.</summary>
    /// <exception cref="InvalidOperationException">A property of that name exists.</exception>
    public DtProperty AddProperty(string name, ReadOnlyMemory<byte> value) => AddProperty(new DtProperty(name, value));

    /// <summary>
    /// Sets a property: an existing one keeps its position and labels and gets the new value (dtc's
    /// rule for a property redefined in source); otherwise a new one is appended. Returns it.
    /// </summary>
    public DtProperty SetProperty(string name, ReadOnlyMemory<byte> value)
    {
        DtProperty? existing = FindProperty(name);
        if (existing is not null)
        {
            existing.Value = value;
            return existing;
        }

        return AddProperty(new DtProperty(name, value));
    }

    /// <summary>Removes the property with this name. Returns false if there is none.</summary>
    public bool RemoveProperty(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_properties is null)
        {
            return false;
        }

        for (int i = 0; i < _properties.Count; i++)
        {
            if (_properties[i].Name == name)
            {
                _properties[i].Node = null;
                _properties.RemoveAt(i);
                return true;
            }
        }

        return false;
    }

    /// <summary>This node and all its descendants, depth first, parents before children, in order.</summary>
    public IEnumerable<DtNode> EnumerateSubtree()
    {
        var stack = new Stack<(DtNode Node, int Next)>();
        yield return this;
        stack.Push((this, 0));
        while (stack.Count > 0)
        {
            (DtNode node, int next) = stack.Pop();
            if (node._children is not null && next < node._children.Count)
            {
                stack.Push((node, next + 1));
                DtNode child = node._children[next];
                yield return child;
                stack.Push((child, 0));
            }
        }
    }

    /// <inheritdoc/>
    public override string ToString() => FullPath;

    internal static DtNode CreateRoot() => new() { IsRoot = true };

    /// <summary>Appends without the duplicate check: the blob reader keeps a blob's order and duplicates.</summary>
    internal void AppendChildUnchecked(DtNode child)
    {
        child.Parent = this;
        (_children ??= []).Add(child);
    }

    /// <summary>Appends without the duplicate check: the blob reader keeps a blob's order and duplicates.</summary>
    internal void AppendPropertyUnchecked(DtProperty property)
    {
        property.Node = this;
        (_properties ??= []).Add(property);
    }

    internal DtNode? FindDescendant(ReadOnlySpan<char> path)
    {
        DtNode current = this;
        while (true)
        {
            path = path.TrimStart('/');
            if (path.IsEmpty)
            {
                return current;
            }

            int slash = path.IndexOf('/');
            ReadOnlySpan<char> component = slash < 0 ? path : path[..slash];
            path = slash < 0 ? [] : path[slash..];
            DtNode? next = current.FindChild(component) ?? current.FindChildByBaseName(component);
            if (next is null)
            {
                return null;
            }

            current = next;
        }
    }

    private DtNode? FindChildByBaseName(ReadOnlySpan<char> baseName)
    {
        if (baseName.Contains('@'))
        {
            return null;
        }

        if (_children is null)
        {
            return null;
        }

        DtNode? found = null;
        foreach (DtNode child in _children)
        {
            ReadOnlySpan<char> name = child.Name;
            int at = name.IndexOf('@');
            if (at >= 0 && baseName.SequenceEqual(name[..at]))
            {
                if (found is not null)
                {
                    return null;
                }

                found = child;
            }
        }

        return found;
    }

    private void AppendPath(StringBuilder sb)
    {
        if (Parent is null)
        {
            return;
        }

        Parent.AppendPath(sb);
        sb.Append('/').Append(Name);
    }
}
