using System.Buffers.Binary;
using System.Text;

namespace IommuKit.Firmware.DeviceTree.Dts;

/// <summary>
/// What dtc does between parsing and writing (checks.c, dtc 1.6.1): the checks that are errors by
/// default, in dtc's order, then the fixups that turn references into phandles and paths, drop
/// unreferenced <c>/omit-if-no-ref/</c> nodes, and finally the copy of the live tree into a
/// <see cref="DeviceTree"/>. Warning-level checks (reg format, unit addresses...) are not run.
/// </summary>
/// <remarks>
/// Phandles are numbered exactly as dtc numbers them: references are resolved depth first in
/// node, property and value order, and each node referenced without a phandle of its own gets the
/// lowest number from a counter starting at 1 that no node holds yet, plus a <c>phandle</c>
/// property appended to the node (dtc's default <c>-H epapr</c>).
/// </remarks>
internal sealed class DtsChecks
{
    private readonly DtsLiveNode _root;
    private readonly Dictionary<uint, DtsLiveNode> _phandles = [];
    private readonly Dictionary<string, DtsLiveNode> _labels = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (object Owner, string Description)> _labelOwners = new(StringComparer.Ordinal);
    private uint _nextPhandle = 1;

    private DtsChecks(DtsLiveNode root)
    {
        _root = root;
    }

    public static DeviceTree Finish(DtsLiveNode root, List<DtMemoryReservation> reservations, DtsReaderOptions options)
    {
        if (root.Deleted)
        {
            DtsSyntaxException.Throw("the root node is deleted (/delete-node/ &{/}), leaving no tree", root.Position);
        }

        uint bootCpu = options.BootCpuIdPhys ?? GuessBootCpuId(root);
        CheckDepth(root, options.MaxNodeDepth);

        var checks = new DtsChecks(root);
        checks.Run();
        if (root.Deleted)
        {
            DtsSyntaxException.Throw("the root node is omitted (/omit-if-no-ref/ &{/}), leaving no tree", root.Position);
        }

        DeviceTree tree = ToDeviceTree(root);
        tree.BootCpuIdPhys = bootCpu;
        tree.MemoryReservations.AddRange(reservations);
        return tree;
    }

    /// <summary>
    /// dtc's <c>guess_boot_cpuid</c>: the <c>reg</c> of the first child of <c>/cpus</c> (the first
    /// in the list, deleted or not) when it is exactly one cell, else 0.
    /// </summary>
    private static uint GuessBootCpuId(DtsLiveNode root)
    {
        DtsLiveNode? cpus = DtsParser.FindByPath(root, "/cpus");
        if (cpus is null || cpus.Children.Count == 0)
        {
            return 0;
        }

        DtsLiveProperty? reg = cpus.Children[0].FindProperty("reg");
        return reg is null || reg.Value.Length != 4 ? 0 : BinaryPrimitives.ReadUInt32BigEndian(reg.Value.Span);
    }

    private static void CheckDepth(DtsLiveNode root, int maxDepth)
    {
        var stack = new Stack<(DtsLiveNode Node, int Depth)>();
        stack.Push((root, 1));
        while (stack.Count > 0)
        {
            (DtsLiveNode node, int depth) = stack.Pop();
            if (depth > maxDepth)
            {
                DtsSyntaxException.Throw($"nodes nested deeper than {maxDepth} levels after merging ({node.FullPath()})", node.Position);
            }

            foreach (DtsLiveNode child in node.Children)
            {
                if (!child.Deleted)
                {
                    stack.Push((child, depth + 1));
                }
            }
        }
    }

    /// <summary>Live nodes depth first, parents before children, in list order (dtc's check walk).</summary>
    private static List<DtsLiveNode> LiveNodes(DtsLiveNode root)
    {
        var result = new List<DtsLiveNode>();
        var stack = new Stack<DtsLiveNode>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            DtsLiveNode node = stack.Pop();
            result.Add(node);
            for (int i = node.Children.Count - 1; i >= 0; i--)
            {
                if (!node.Children[i].Deleted)
                {
                    stack.Push(node.Children[i]);
                }
            }
        }

        return result;
    }

    private static DeviceTree ToDeviceTree(DtsLiveNode liveRoot)
    {
        var tree = new DeviceTree();
        var stack = new Stack<(DtsLiveNode Live, DtNode Node)>();
        stack.Push((liveRoot, tree.Root));
        while (stack.Count > 0)
        {
            (DtsLiveNode live, DtNode node) = stack.Pop();
            for (int i = 0; i < live.Labels.Count; i++)
            {
                (string label, bool deleted) = live.Labels[i];
                if (!deleted)
                {
                    node.AddLabel(label);
                }
            }

            foreach (DtsLiveProperty liveProperty in live.Properties)
            {
                if (liveProperty.Deleted)
                {
                    continue;
                }

                var property = new DtProperty(liveProperty.Name, liveProperty.Value.Memory);
                for (int i = 0; i < liveProperty.Labels.Count; i++)
                {
                    (string label, bool deleted) = liveProperty.Labels[i];
                    if (!deleted)
                    {
                        property.AddLabel(label);
                    }
                }

                node.AppendPropertyUnchecked(property);
            }

            var children = new List<(DtsLiveNode, DtNode)>();
            foreach (DtsLiveNode liveChild in live.Children)
            {
                if (!liveChild.Deleted)
                {
                    var child = new DtNode(liveChild.Name);
                    node.AppendChildUnchecked(child);
                    children.Add((liveChild, child));
                }
            }

            for (int i = children.Count - 1; i >= 0; i--)
            {
                stack.Push(children[i]);
            }
        }

        return tree;
    }

    private static bool IsOneString(ReadOnlySpan<byte> value) =>
        value.Length > 0 && value[^1] == 0 && value[..^1].IndexOf((byte)0) < 0;

    private static string Describe(DtsLiveNode node, DtsLiveProperty? property, DtsMarker? marker) =>
        (marker is not null ? "value of " : string.Empty)
        + (property is not null ? $"'{property.Name}' in " : string.Empty)
        + node.FullPath();

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Fail(string reason, in DtsSourcePosition position) => DtsSyntaxException.Throw(reason, position);

    private void Run()
    {
        List<DtsLiveNode> nodes = LiveNodes(_root);
        foreach (DtsLiveNode node in nodes)
        {
            CheckDuplicateNodeNames(node);
        }

        foreach (DtsLiveNode node in nodes)
        {
            CheckDuplicatePropertyNames(node);
        }

        foreach (DtsLiveNode node in nodes)
        {
            CheckNodeName(node);
        }

        foreach (DtsLiveNode node in nodes)
        {
            CheckPropertyNames(node);
        }

        foreach (DtsLiveNode node in nodes)
        {
            CheckNameProperty(node);
        }

        foreach (DtsLiveNode node in nodes)
        {
            CheckDuplicateLabels(node);
        }

        foreach (DtsLiveNode node in nodes)
        {
            CheckExplicitPhandles(node);
        }

        foreach (DtsLiveNode node in nodes)
        {
            FixPhandleReferences(node);
        }

        foreach (DtsLiveNode node in nodes)
        {
            FixPathReferences(node);
        }

        OmitUnusedNodes();
    }

    // dtc compares each live child with every later sibling, deleted ones included.
    private static void CheckDuplicateNodeNames(DtsLiveNode node)
    {
        List<DtsLiveNode> children = node.Children;
        if (children.Count < 2)
        {
            return;
        }

        var later = new HashSet<string>(StringComparer.Ordinal);
        DtsLiveNode? duplicate = null;
        for (int i = children.Count - 1; i >= 0; i--)
        {
            DtsLiveNode child = children[i];
            if (!child.Deleted && later.Contains(child.Name))
            {
                duplicate = child;
            }

            later.Add(child.Name);
        }

        if (duplicate is not null)
        {
            // Report the later definition, as dtc does.
            int index = children.IndexOf(duplicate);
            DtsLiveNode second = children.Find(c => c.Name == duplicate.Name && children.IndexOf(c) > index)!;
            Fail($"duplicate node name '{duplicate.Name}' in {node.FullPath()}", second.Position);
        }
    }

    private static void CheckDuplicatePropertyNames(DtsLiveNode node)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (DtsLiveProperty property in node.Properties)
        {
            if (!property.Deleted && !seen.Add(property.Name))
            {
                Fail($"duplicate property name '{property.Name}' in {node.FullPath()}", property.Position);
            }
        }
    }

    // NODECHARS: letters, digits and ",._+-@"; at most one '@'.
    private static void CheckNodeName(DtsLiveNode node)
    {
        string name = node.Name;
        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is ',' or '.' or '_' or '+' or '-' or '@'))
            {
                Fail($"bad character '{c}' in node name '{name}'", node.Position);
            }
        }

        int at = name.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0 && name.IndexOf('@', at + 1) >= 0)
        {
            Fail($"multiple '@' characters in node name '{name}'", node.Position);
        }
    }

    // PROPCHARS: letters, digits and ",._+*#?-".
    private static void CheckPropertyNames(DtsLiveNode node)
    {
        foreach (DtsLiveProperty property in node.Properties)
        {
            if (property.Deleted)
            {
                continue;
            }

            foreach (char c in property.Name)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is ',' or '.' or '_' or '+' or '*' or '#' or '?' or '-'))
                {
                    Fail($"bad character '{c}' in property name '{property.Name}'", property.Position);
                }
            }
        }
    }

    /// <summary>
    /// dtc's <c>name_is_string</c> and <c>name_properties</c>: a "name" property must be one string
    /// equal to the node name before '@'; being redundant, it is then removed.
    /// </summary>
    private static void CheckNameProperty(DtsLiveNode node)
    {
        DtsLiveProperty? live = node.FindProperty("name");
        if (live is not null && !IsOneString(live.Value.Span))
        {
            Fail($"\"name\" property in {node.FullPath()} is not a string", live.Position);
        }

        // name_properties looks at the first "name" in the list, deleted or not.
        int index = node.Properties.FindIndex(p => p.Name == "name");
        if (index < 0)
        {
            return;
        }

        DtsLiveProperty name = node.Properties[index];
        int at = node.Name.IndexOf('@', StringComparison.Ordinal);
        string baseName = at < 0 ? node.Name : node.Name[..at];
        ReadOnlySpan<byte> value = name.Value.Span;
        if (value.Length != baseName.Length + 1 || !value[..baseName.Length].SequenceEqual(Encoding.ASCII.GetBytes(baseName)))
        {
            int nul = value.IndexOf((byte)0);
            string shown = Encoding.UTF8.GetString(nul < 0 ? value : value[..nul]);
            Fail($"\"name\" property is incorrect (\"{shown}\" instead of base node name)", name.Position);
        }

        node.Properties.RemoveAt(index);
    }

    private void CheckDuplicateLabels(DtsLiveNode node)
    {
        for (int i = 0; i < node.Labels.Count; i++)
        {
            (string label, bool deleted) = node.Labels[i];
            if (!deleted)
            {
                ClaimLabel(label, node, null, null, node.Position);
                _labels[label] = node;
            }
        }

        foreach (DtsLiveProperty property in node.Properties)
        {
            if (property.Deleted)
            {
                continue;
            }

            for (int i = 0; i < property.Labels.Count; i++)
            {
                (string label, bool deleted) = property.Labels[i];
                if (!deleted)
                {
                    ClaimLabel(label, node, property, null, property.Position);
                }
            }

            if (property.Value.Markers is { } markers)
            {
                foreach (DtsMarker marker in markers)
                {
                    if (marker.Kind == DtsMarkerKind.Label)
                    {
                        ClaimLabel(marker.Text, node, property, marker, marker.Position);
                    }
                }
            }
        }
    }

    private void ClaimLabel(string label, DtsLiveNode node, DtsLiveProperty? property, DtsMarker? marker, in DtsSourcePosition position)
    {
        object owner = (object?)marker ?? (object?)property ?? node;
        if (_labelOwners.TryGetValue(label, out (object Owner, string Description) first))
        {
            if (!ReferenceEquals(first.Owner, owner))
            {
                Fail($"duplicate label '{label}' on {Describe(node, property, marker)} and {first.Description}", position);
            }

            return;
        }

        _labelOwners.Add(label, (owner, Describe(node, property, marker)));
    }

    private DtsLiveNode? Resolve(string reference)
    {
        if (reference == "/")
        {
            return _root;
        }

        if (reference[0] == '/')
        {
            return DtsParser.FindByPath(_root, reference);
        }

        return _labels.GetValueOrDefault(reference);
    }

    /// <summary>dtc's <c>check_phandle_prop</c>: the explicit phandle in this property, 0 for none.</summary>
    private uint ExplicitPhandle(DtsLiveNode node, string propertyName)
    {
        DtsLiveProperty? property = node.FindProperty(propertyName);
        if (property is null)
        {
            return 0;
        }

        if (property.Value.Length != 4)
        {
            Fail($"bad length ({property.Value.Length}) {propertyName} property in {node.FullPath()}", property.Position);
        }

        if (property.Value.Markers is { } markers)
        {
            foreach (DtsMarker marker in markers)
            {
                if (marker.Kind != DtsMarkerKind.PhandleReference)
                {
                    continue;
                }

                if (Resolve(marker.Text) != node)
                {
                    Fail($"{propertyName} of {node.FullPath()} is a reference to another node", marker.Position);
                }

                // <&self>: give this node a phandle even if nothing references it; filled in later.
                return 0;
            }
        }

        uint phandle = BinaryPrimitives.ReadUInt32BigEndian(property.Value.Span);
        if (phandle is 0 or uint.MaxValue)
        {
            Fail($"bad value (0x{phandle:x}) in {propertyName} property of {node.FullPath()}", property.Position);
        }

        return phandle;
    }

    private void CheckExplicitPhandles(DtsLiveNode node)
    {
        uint phandle = ExplicitPhandle(node, "phandle");
        uint linuxPhandle = ExplicitPhandle(node, "linux,phandle");
        if (phandle == 0 && linuxPhandle == 0)
        {
            return;
        }

        if (phandle != 0 && linuxPhandle != 0 && phandle != linuxPhandle)
        {
            Fail($"mismatching 'phandle' and 'linux,phandle' properties in {node.FullPath()}", node.Position);
        }

        if (phandle == 0)
        {
            phandle = linuxPhandle;
        }

        if (_phandles.TryGetValue(phandle, out DtsLiveNode? other) && other != node)
        {
            Fail($"{node.FullPath()} has duplicated phandle 0x{phandle:x} (seen before at {other.FullPath()})", node.Position);
        }

        node.Phandle = phandle;
        _phandles[phandle] = node;
    }

    /// <summary>dtc's <c>get_node_phandle</c>: the node's phandle, assigning the next free one (and a property) if it has none.</summary>
    private uint PhandleOf(DtsLiveNode node)
    {
        if (node.Phandle is not (0 or uint.MaxValue))
        {
            return node.Phandle;
        }

        while (_phandles.ContainsKey(_nextPhandle))
        {
            _nextPhandle++;
        }

        uint phandle = _nextPhandle;
        node.Phandle = phandle;
        _phandles[phandle] = node;
        if (node.FindProperty("phandle") is null)
        {
            var value = new DtsValue(4);
            value.AppendInteger(phandle, 32);
            node.Properties.Add(new DtsLiveProperty("phandle", value, node.Position));
        }

        return phandle;
    }

    private void FixPhandleReferences(DtsLiveNode node)
    {
        // A self-reference appends a phandle property while this loop runs: index, do not enumerate.
        for (int p = 0; p < node.Properties.Count; p++)
        {
            DtsLiveProperty property = node.Properties[p];
            if (property.Deleted || property.Value.Markers is not { } markers)
            {
                continue;
            }

            foreach (DtsMarker marker in markers)
            {
                if (marker.Kind != DtsMarkerKind.PhandleReference)
                {
                    continue;
                }

                DtsLiveNode target = Resolve(marker.Text)
                    ?? throw Unresolved(marker);
                BinaryPrimitives.WriteUInt32BigEndian(property.Value.Span[marker.Offset..], PhandleOf(target));
                target.IsReferenced = true;
            }
        }
    }

    private void FixPathReferences(DtsLiveNode node)
    {
        foreach (DtsLiveProperty property in node.Properties)
        {
            if (property.Deleted || property.Value.Markers is not { } markers)
            {
                continue;
            }

            foreach (DtsMarker marker in markers)
            {
                if (marker.Kind != DtsMarkerKind.PathReference)
                {
                    continue;
                }

                DtsLiveNode target = Resolve(marker.Text)
                    ?? throw Unresolved(marker);
                byte[] path = Encoding.ASCII.GetBytes(target.FullPath() + "\0");
                property.Value.InsertAt(marker, path);
                target.IsReferenced = true;
            }
        }
    }

    private static DtsSyntaxException Unresolved(DtsMarker marker) =>
        new($"reference to non-existent node or label \"{marker.Text}\"", marker.Position.File, marker.Position.Line, marker.Position.Column);

    private void OmitUnusedNodes()
    {
        var stack = new Stack<DtsLiveNode>();
        stack.Push(_root);
        while (stack.Count > 0)
        {
            DtsLiveNode node = stack.Pop();
            if (node.OmitIfUnused && !node.IsReferenced)
            {
                node.Delete();
                continue;
            }

            for (int i = node.Children.Count - 1; i >= 0; i--)
            {
                if (!node.Children[i].Deleted)
                {
                    stack.Push(node.Children[i]);
                }
            }
        }
    }
}
