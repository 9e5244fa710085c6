namespace IommuKit.Firmware.DeviceTree.Dts;

internal sealed partial class DtsParser
{
    /// <summary>
    /// dtc's <c>merge_nodes</c>: the new body's labels join the old node's; each new property
    /// replaces the value of the first property of that name (deleted or not, keeping its place) or is
    /// appended; <c>/delete-property/</c> deletes by name; each new child merges into the first child
    /// of that name or is appended; <c>/delete-node/</c> deletes by name. Recursion is bounded by the
    /// nesting of the new body, which the parser limits.
    /// </summary>
    internal static void Merge(DtsLiveNode oldNode, DtsLiveNode newNode)
    {
        oldNode.Deleted = false;
        for (int i = 0; i < newNode.Labels.Count; i++)
        {
            (string label, _) = newNode.Labels[i];
            oldNode.Labels.Add(label);
        }

        foreach (DtsLiveProperty newProperty in newNode.Properties)
        {
            if (newProperty.Deleted)
            {
                DeletePropertyByName(oldNode, newProperty.Name);
                continue;
            }

            DtsLiveProperty? collision = null;
            foreach (DtsLiveProperty oldProperty in oldNode.Properties)
            {
                if (oldProperty.Name == newProperty.Name)
                {
                    collision = oldProperty;
                    break;
                }
            }

            if (collision is null)
            {
                oldNode.Properties.Add(newProperty);
                continue;
            }

            for (int i = 0; i < newProperty.Labels.Count; i++)
            {
                (string label, _) = newProperty.Labels[i];
                collision.Labels.Add(label);
            }

            collision.Value = newProperty.Value;
            collision.Deleted = false;
        }

        foreach (DtsLiveNode newChild in newNode.Children)
        {
            if (newChild.Deleted)
            {
                foreach (DtsLiveNode oldChild in oldNode.Children)
                {
                    if (oldChild.Name == newChild.Name)
                    {
                        oldChild.Delete();
                        break;
                    }
                }

                continue;
            }

            DtsLiveNode? collision = null;
            foreach (DtsLiveNode oldChild in oldNode.Children)
            {
                if (oldChild.Name == newChild.Name)
                {
                    collision = oldChild;
                    break;
                }
            }

            if (collision is null)
            {
                newChild.Parent = oldNode;
                oldNode.Children.Add(newChild);
            }
            else
            {
                Merge(collision, newChild);
            }
        }
    }

    /// <summary>dtc's <c>get_node_by_ref</c>: "/" is the root, "/a/b" a path, anything else a label.</summary>
    internal static DtsLiveNode? FindByReference(DtsLiveNode root, string reference)
    {
        if (reference == "/")
        {
            return root;
        }

        return reference[0] == '/' ? FindByPath(root, reference) : FindByLabel(root, reference);
    }

    /// <summary>
    /// dtc's <c>get_node_by_path</c>: each component (runs of '/' skipped) must equal a live child's
    /// full name, unit address included.
    /// </summary>
    internal static DtsLiveNode? FindByPath(DtsLiveNode root, string path)
    {
        DtsLiveNode node = root;
        int i = 0;
        while (true)
        {
            while (i < path.Length && path[i] == '/')
            {
                i++;
            }

            if (i >= path.Length)
            {
                return node.Deleted ? null : node;
            }

            int slash = path.IndexOf('/', i);
            ReadOnlySpan<char> component = slash < 0 ? path.AsSpan(i) : path.AsSpan(i, slash - i);
            DtsLiveNode? next = null;
            foreach (DtsLiveNode child in node.Children)
            {
                if (!child.Deleted && component.SequenceEqual(child.Name))
                {
                    next = child;
                    break;
                }
            }

            if (next is null)
            {
                return null;
            }

            if (slash < 0)
            {
                return next;
            }

            node = next;
            i = slash + 1;
        }
    }

    /// <summary>dtc's <c>get_node_by_label</c>: the first live node, depth first, with that live label.</summary>
    internal static DtsLiveNode? FindByLabel(DtsLiveNode root, string label)
    {
        var stack = new Stack<DtsLiveNode>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            DtsLiveNode node = stack.Pop();
            if (node.Labels.ContainsLive(label))
            {
                return node;
            }

            for (int i = node.Children.Count - 1; i >= 0; i--)
            {
                if (!node.Children[i].Deleted)
                {
                    stack.Push(node.Children[i]);
                }
            }
        }

        return null;
    }

    private static void DeletePropertyByName(DtsLiveNode node, string name)
    {
        foreach (DtsLiveProperty property in node.Properties)
        {
            if (property.Name == name)
            {
                property.Delete();
                return;
            }
        }
    }

    private static DtsLiveNode ResolveOrFail(DtsLiveNode root, in DtsToken reference)
    {
        DtsLiveNode? target = FindByReference(root, reference.Text!);
        if (target is null)
        {
            Fail($"label or path {reference.Text} not found", reference.Position);
        }

        return target;
    }
}
