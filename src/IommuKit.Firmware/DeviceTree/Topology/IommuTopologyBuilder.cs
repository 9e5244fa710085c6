using System.Globalization;
using IommuKit.Firmware.DeviceTree.Properties;

namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>Builds an <see cref="IommuTopology"/>: one depth-first pass to find candidates, then resolution.</summary>
internal sealed class IommuTopologyBuilder
{
    private readonly DeviceTree _tree;
    private readonly IommuTopologyOptions _options;
    private readonly List<TopologyProblem> _problems = [];
    private readonly List<(uint Phandle, DtNode Node)> _phandlePairs = [];
    private readonly List<(DtNode Node, bool Enabled)> _iommuCandidates = [];
    private readonly List<(DtNode Node, bool Enabled, DtNode? HostBridge, bool HasIommus, bool HasMap)> _masterCandidates = [];
    private readonly List<(DtNode Node, bool Enabled)> _bridgeCandidates = [];
    private readonly List<(DtNode Node, bool Enabled, DtNode HostBridge)> _endpointCandidates = [];
    private readonly Dictionary<DtNode, IommuInstance> _iommuByNode = [];
    private readonly Dictionary<DtNode, PciHostBridge> _bridgeByNode = [];
    private readonly Dictionary<DtNode, IommuTopology.BridgeMsi> _bridgeMsi = [];
    private DtPhandleIndex _phandles = null!;

    public IommuTopologyBuilder(DeviceTree tree, IommuTopologyOptions options)
    {
        _tree = tree;
        _options = options;
    }

    public IommuTopology Build()
    {
        Walk();
        _phandles = DtPhandleIndex.FromPairs(_phandlePairs);
        foreach (DtNode duplicate in _phandles.Duplicates)
        {
            duplicate.TryGetPhandle(out uint phandle);
            DtNode first = _phandles.Find(phandle)!;
            Add(ProblemSeverity.Error, TopologyProblemCode.DuplicatePhandle, duplicate, $"phandle 0x{phandle:x} is also used by {first.FullPath}; references resolve to that node");
        }

        var iommus = new List<IommuInstance>(_iommuCandidates.Count);
        foreach ((DtNode node, bool enabled) in _iommuCandidates)
        {
            IommuInstance iommu = BuildIommu(node, enabled);
            iommus.Add(iommu);
            _iommuByNode.Add(node, iommu);
        }

        var bridges = new List<PciHostBridge>(_bridgeCandidates.Count);
        foreach ((DtNode node, bool enabled) in _bridgeCandidates)
        {
            PciHostBridge bridge = BuildBridge(node, enabled);
            bridges.Add(bridge);
            _bridgeByNode.Add(node, bridge);
        }

        var masters = new List<DmaMaster>(_masterCandidates.Count);
        foreach ((DtNode node, bool enabled, DtNode? hostBridge, bool hasIommus, bool hasMap) in _masterCandidates)
        {
            if (hasIommus)
            {
                masters.Add(BuildIommusMaster(node, enabled, hostBridge));
            }

            if (hasMap)
            {
                masters.Add(BuildMapMaster(node, enabled));
            }
        }

        var legacy = new List<LegacyMmuMaster>();
        foreach (IommuInstance iommu in iommus)
        {
            ReadLegacyMasters(iommu, legacy);
        }

        var topology = new IommuTopology(_tree, _options, _phandles, iommus, masters, bridges, legacy, _problems, _iommuByNode, _bridgeByNode, _bridgeMsi);
        foreach ((DtNode node, bool enabled, DtNode hostBridge) in _endpointCandidates)
        {
            AddEndpoint(topology, node, enabled, _bridgeByNode[hostBridge]);
        }

        return topology;
    }

    // One depth-first pass in tree order: phandles, enabled state, and the candidate nodes.
    private void Walk()
    {
        var stack = new Stack<(DtNode Node, bool ParentEnabled, DtNode? HostBridge)>();
        stack.Push((_tree.Root, true, null));
        while (stack.Count > 0)
        {
            (DtNode node, bool parentEnabled, DtNode? hostBridge) = stack.Pop();
            bool enabled = parentEnabled;
            bool hasIommuCells = false, hasIommus = false, hasMap = false, isPciBus = false, hasReg = false, hasPhandle = false;
            IReadOnlyList<DtProperty> properties = node.Properties;
            for (int i = 0; i < properties.Count; i++)
            {
                DtProperty property = properties[i];
                switch (property.Name)
                {
                    case "#iommu-cells":
                        hasIommuCells = true;
                        break;
                    case "iommus":
                        hasIommus = true;
                        break;
                    case "iommu-map":
                        hasMap = true;
                        break;
                    case "status":
                        enabled &= DtStatus.IsOkay(property.Value.Span);
                        break;
                    case "device_type":
                        ReadOnlySpan<byte> type = property.Value.Span;
                        isPciBus = type.SequenceEqual("pci\0"u8) || type.SequenceEqual("pciex\0"u8);
                        break;
                    case "reg":
                        hasReg = true;
                        break;
                    case "phandle":
                    case "linux,phandle":
                        hasPhandle = true;
                        break;
                }
            }

            if (hasPhandle && node.TryGetPhandle(out uint phandle))
            {
                _phandlePairs.Add((phandle, node));
            }

            DtNode? childBridge = hostBridge;
            if (hostBridge is not null)
            {
                if (hasReg)
                {
                    _endpointCandidates.Add((node, enabled, hostBridge));
                }
            }
            else if (isPciBus)
            {
                _bridgeCandidates.Add((node, enabled));
                childBridge = node;
            }

            if (hasIommuCells)
            {
                _iommuCandidates.Add((node, enabled));
            }

            // An iommu-map below a host bridge (on a PCI-PCI bridge) is not used by Linux.
            hasMap &= hostBridge is null;
            if (hasIommus || hasMap)
            {
                _masterCandidates.Add((node, enabled, hostBridge, hasIommus, hasMap));
            }

            IReadOnlyList<DtNode> children = node.Children;
            for (int i = children.Count - 1; i >= 0; i--)
            {
                stack.Push((children[i], enabled, childBridge));
            }
        }
    }

    private IommuInstance BuildIommu(DtNode node, bool enabled)
    {
        string[] compatible = node.GetCompatible();
        IommuIdentity identity = IommuIdentity.Classify(compatible);
        DtProperty cellsProperty = node.FindProperty("#iommu-cells")!;

        // of_phandle_iterator reads the cells with of_property_read_u32 and falls back to 0.
        uint cells = 0;
        if (cellsProperty.Length >= DtCells.CellSize)
        {
            cells = DtCells.ReadCell(cellsProperty.Value.Span, 0);
        }

        if (cellsProperty.Length != DtCells.CellSize)
        {
            Add(ProblemSeverity.Warning, TopologyProblemCode.MalformedProperty, node, $"#iommu-cells is {cellsProperty.Length} bytes, not one cell; Linux reads it as {cells}");
        }

        bool accepted = true;
        IommuCellsRule? rule = IommuCellsRule.For(identity.Family);
        if (rule is { } r && !r.Allows(cells))
        {
            accepted = !r.EnforcedByLinux;
            string allowed = r.Min == r.Max ? r.Min.ToString(CultureInfo.InvariantCulture) : $"{r.Min} to {r.Max}";
            string effect = r.EnforcedByLinux ? "Linux refuses it, so no master can be behind this IOMMU" : "Linux does not check, but the binding requires it";
            Add(r.EnforcedByLinux ? ProblemSeverity.Error : ProblemSeverity.Warning, TopologyProblemCode.InvalidIommuCells, node, $"#iommu-cells = {cells} for {identity.Family}, which needs {allowed} ({r.Reference}); {effect}");
        }

        if (identity.Family == IommuFamily.Unknown)
        {
            string list = compatible.Length == 0 ? "no compatible" : $"compatible \"{string.Join("\", \"", compatible)}\"";
            Add(ProblemSeverity.Info, TopologyProblemCode.UnknownIommuFamily, node, $"node has #iommu-cells but {list} matches no known IOMMU driver");
        }

        uint? streamMatchMask = null;
        if (identity.Family == IommuFamily.ArmSmmu)
        {
            DtReadResult read = node.ReadU32("stream-match-mask", out uint mask);
            if (read == DtReadResult.Ok)
            {
                streamMatchMask = mask;
            }
            else if (read == DtReadResult.Malformed)
            {
                Add(ProblemSeverity.Warning, TopologyProblemCode.MalformedProperty, node, "stream-match-mask is not one cell");
            }
        }

        uint? phandle = node.TryGetPhandle(out uint p) ? p : null;
        DmaCoherence coherence = DmaCoherence.Resolve(node, _options.DefaultDmaCoherent, _phandles);
        return new IommuInstance(node, compatible, identity, cells, phandle, enabled, coherence, streamMatchMask, accepted);
    }

    private PciHostBridge BuildBridge(DtNode node, bool enabled)
    {
        IdMap? iommuMap = IdMap.Read(node, "iommu-map", "iommu-map-mask", _phandles);
        IdMap? msiMap = IdMap.Read(node, "msi-map", "msi-map-mask", _phandles);
        var chain = new List<(DtNode Node, IdMap Map)>();
        if (msiMap is not null)
        {
            chain.Add((node, msiMap));
        }

        for (DtNode? n = node.Parent; n is not null; n = n.Parent)
        {
            IdMap? map = IdMap.Read(n, "msi-map", "msi-map-mask", _phandles);
            if (map is not null)
            {
                chain.Add((n, map));
            }
        }

        DtNode? msiParent = null;
        foreach (DtPhandleEntry entry in DtPhandleList.Read(node, "msi-parent", "#msi-cells", 0, _phandles))
        {
            if (entry.Status == DtPhandleListStatus.Ok)
            {
                msiParent = entry.Target;
                break;
            }
        }

        _bridgeMsi.Add(node, new IommuTopology.BridgeMsi(chain, msiParent));
        DmaCoherence coherence = DmaCoherence.Resolve(node, _options.DefaultDmaCoherent, _phandles);
        return new PciHostBridge(node, enabled, coherence, iommuMap, msiMap);
    }

    private DmaMaster BuildIommusMaster(DtNode node, bool enabled, DtNode? hostBridge)
    {
        if (hostBridge is not null)
        {
            Add(ProblemSeverity.Info, TopologyProblemCode.IommusOnPciDevice, node, $"PCI device node has iommus; Linux ignores it and uses the iommu-map of {hostBridge.FullPath}");
        }

        // of_for_each_phandle(&it, err, np, "iommus", "#iommu-cells", 0).
        List<DtPhandleEntry> entries = DtPhandleList.Read(node, "iommus", "#iommu-cells", 0, _phandles);
        var references = new List<IommuReference>(entries.Count);
        IommuAttachmentStatus status = entries.Count == 0 ? IommuAttachmentStatus.NoIommu : IommuAttachmentStatus.Translated;
        if (entries.Count == 0)
        {
            Add(ProblemSeverity.Warning, TopologyProblemCode.WrongCellCount, node, "iommus is empty: the device is not behind an IOMMU");
        }

        foreach (DtPhandleEntry entry in entries)
        {
            IommuInstance? iommu = entry.Target is null ? null : _iommuByNode.GetValueOrDefault(entry.Target);
            IommuAttachmentStatus entryStatus = ReferenceStatus(node, enabled, entry, iommu);
            if (entry.Status != DtPhandleListStatus.Malformed)
            {
                references.Add(new IommuReference(entry.Index, entry.Phandle, entry.Target, iommu, entry.Arguments, entryStatus));
            }

            if (status == IommuAttachmentStatus.Translated && entryStatus != IommuAttachmentStatus.Translated)
            {
                status = entryStatus;
            }
        }

        var master = new DmaMaster(node, node.GetCompatible(), DmaMasterKind.Iommus, enabled, DmaCoherence.Resolve(node, _options.DefaultDmaCoherent, _phandles), references, null, MappedIdSpace.None, status);
        foreach (IommuReference reference in references)
        {
            reference.Iommu?.AddMaster(master);
        }

        return master;
    }

    private IommuAttachmentStatus ReferenceStatus(DtNode node, bool enabled, DtPhandleEntry entry, IommuInstance? iommu)
    {
        switch (entry.Status)
        {
            case DtPhandleListStatus.Malformed:
                Add(ProblemSeverity.Error, TopologyProblemCode.WrongCellCount, node, "iommus length is not a whole number of cells");
                return IommuAttachmentStatus.MalformedProperty;
            case DtPhandleListStatus.EmptyEntry:
                Add(ProblemSeverity.Error, TopologyProblemCode.DanglingPhandle, node, $"iommus entry {entry.Index} has phandle 0; Linux stops there and leaves the device without IOMMU");
                return IommuAttachmentStatus.DanglingPhandle;
            case DtPhandleListStatus.DanglingPhandle:
                Add(ProblemSeverity.Error, TopologyProblemCode.DanglingPhandle, node, $"iommus entry {entry.Index}: phandle 0x{entry.Phandle:x} names no node");
                return IommuAttachmentStatus.DanglingPhandle;
            case DtPhandleListStatus.Truncated:
                uint cells = iommu?.IommuCells ?? 0;
                Add(ProblemSeverity.Error, TopologyProblemCode.WrongCellCount, node, $"iommus entry {entry.Index} ({entry.Target!.FullPath}, #iommu-cells = {cells}) runs past the end of the property");
                return IommuAttachmentStatus.MalformedProperty;
        }

        if (iommu is null)
        {
            Add(ProblemSeverity.Error, TopologyProblemCode.NotAnIommu, node, $"iommus entry {entry.Index} names {entry.Target!.FullPath}, which has no #iommu-cells");
            return IommuAttachmentStatus.NotAnIommu;
        }

        if (!iommu.Enabled)
        {
            if (enabled)
            {
                Add(ProblemSeverity.Warning, TopologyProblemCode.DisabledIommuReference, node, $"enabled device references disabled IOMMU {iommu.Path}: Linux leaves it without IOMMU");
            }

            return IommuAttachmentStatus.IommuDisabled;
        }

        return iommu.IommuCellsAccepted ? IommuAttachmentStatus.Translated : IommuAttachmentStatus.IommuRejected;
    }

    private DmaMaster BuildMapMaster(DtNode node, bool enabled)
    {
        _bridgeByNode.TryGetValue(node, out PciHostBridge? bridge);
        IdMap map = bridge?.IommuMap ?? IdMap.Read(node, "iommu-map", "iommu-map-mask", _phandles)!;
        MappedIdSpace idSpace = bridge is not null ? MappedIdSpace.PciRequesterId
            : node.IsCompatible("fsl,qoriq-mc") ? MappedIdSpace.FslMcIcid
            : MappedIdSpace.Other;

        if (map.MaskRead == DtReadResult.Malformed)
        {
            Add(ProblemSeverity.Warning, TopologyProblemCode.MalformedProperty, node, "iommu-map-mask is shorter than a cell; Linux uses the default mask 0xffffffff");
        }

        IommuAttachmentStatus status = IommuAttachmentStatus.PerId;
        if (!map.IsWellFormed)
        {
            int length = node.FindProperty("iommu-map")!.Length;
            Add(ProblemSeverity.Error, TopologyProblemCode.WrongCellCount, node, $"iommu-map is {length} bytes, not a non-zero multiple of 4 cells (rid-base, phandle, iommu-base, length): Linux rejects it and no device below is behind an IOMMU");
            status = IommuAttachmentStatus.MalformedProperty;
        }

        var master = new DmaMaster(node, node.GetCompatible(), DmaMasterKind.IommuMap, enabled, DmaCoherence.Resolve(node, _options.DefaultDmaCoherent, _phandles), [], map, idSpace, status);
        if (bridge is not null)
        {
            bridge.Master = master;
        }

        for (int i = 0; i < map.Entries.Count; i++)
        {
            CheckMapEntry(node, enabled, map, i, master);
        }

        return master;
    }

    private void CheckMapEntry(DtNode node, bool enabled, IdMap map, int index, DmaMaster master)
    {
        IdMapEntry entry = map.Entries[index];
        if (entry.Length == 0)
        {
            Add(ProblemSeverity.Warning, TopologyProblemCode.ZeroLengthMapEntry, node, $"{Where(index, entry)} has length 0 and can never match");
        }

        if ((entry.IdBase & ~map.Mask) != 0)
        {
            Add(ProblemSeverity.Error, TopologyProblemCode.MapMaskIgnoresBase, node, $"{Where(index, entry)}: iommu-map-mask 0x{map.Mask:x} ignores bits of the base; Linux fails every lookup that reaches this entry");
        }

        if (entry.Target is null)
        {
            Add(ProblemSeverity.Error, TopologyProblemCode.DanglingPhandle, node, $"{Where(index, entry)}: phandle names no node");
            return;
        }

        if (!_iommuByNode.TryGetValue(entry.Target, out IommuInstance? iommu))
        {
            Add(ProblemSeverity.Error, TopologyProblemCode.NotAnIommu, node, $"{Where(index, entry)} names {entry.Target.FullPath}, which has no #iommu-cells");
            return;
        }

        iommu.AddMaster(master);
        if (iommu.IommuCells != 1)
        {
            Add(ProblemSeverity.Info, TopologyProblemCode.MultiCellMapTarget, node, $"{Where(index, entry)} targets {iommu.Path} with #iommu-cells = {iommu.IommuCells}; iommu-map supplies exactly one specifier cell (Linux passes it as a 1-cell specifier)");
        }

        if (enabled && !iommu.Enabled)
        {
            Add(ProblemSeverity.Warning, TopologyProblemCode.DisabledIommuReference, node, $"{Where(index, entry)}: enabled bus references disabled IOMMU {iommu.Path}; requesters it maps are not behind an IOMMU");
        }
    }

    private static string Where(int index, IdMapEntry entry) => $"iommu-map entry {index} <0x{entry.IdBase:x} 0x{entry.Phandle:x} 0x{entry.OutputBase:x} 0x{entry.Length:x}>";

    private void AddEndpoint(IommuTopology topology, DtNode node, bool enabled, PciHostBridge bridge)
    {
        // A PCI node's reg is (phys.hi phys.mid phys.lo size.hi size.lo) with the bus's 3/2 cells.
        DtReadResult read = DtAddressing.ReadReg(node, out DtRegEntry[] reg);
        if (read != DtReadResult.Ok || reg.Length == 0 || DtAddressing.GetAddressCells(node.Parent!) != 3)
        {
            if (read == DtReadResult.Malformed)
            {
                Add(ProblemSeverity.Warning, TopologyProblemCode.MalformedProperty, node, "reg of a node below a PCI host bridge does not decode with the bus's cell counts");
            }

            return;
        }

        var rid = PciRequesterId.FromPhysHi((uint)(reg[0].Address >> 64));
        bridge.AddEndpoint(new PciEndpoint(node, rid, enabled, topology.ResolvePciRequester(bridge, rid)));
    }

    private void ReadLegacyMasters(IommuInstance iommu, List<LegacyMmuMaster> legacy)
    {
        DtNode node = iommu.Node;
        if (node.FindProperty("mmu-masters") is null)
        {
            return;
        }

        Add(ProblemSeverity.Warning, TopologyProblemCode.LegacyMmuMasters, node, "uses the deprecated mmu-masters binding (Linux needs CONFIG_ARM_SMMU_LEGACY_DT_BINDINGS and refuses to mix it with iommus)");

        // arm_smmu_register_legacy_master: of_for_each_phandle(..., "mmu-masters", "#stream-id-cells", -1).
        foreach (DtPhandleEntry entry in DtPhandleList.Read(node, "mmu-masters", "#stream-id-cells", -1, _phandles))
        {
            bool valid = entry.Status == DtPhandleListStatus.Ok;
            if (!valid)
            {
                Add(ProblemSeverity.Error, entry.Status == DtPhandleListStatus.DanglingPhandle ? TopologyProblemCode.DanglingPhandle : TopologyProblemCode.WrongCellCount, node, $"mmu-masters entry {entry.Index}: {LegacyReason(entry)}");
            }

            if (entry.Status != DtPhandleListStatus.Malformed)
            {
                legacy.Add(new LegacyMmuMaster(iommu, entry.Phandle, entry.Target, entry.Arguments, valid));
            }
        }
    }

    private static string LegacyReason(DtPhandleEntry entry) => entry.Status switch
    {
        DtPhandleListStatus.DanglingPhandle => $"phandle 0x{entry.Phandle:x} names no node",
        DtPhandleListStatus.MissingCellsProperty => $"{entry.Target!.FullPath} has no #stream-id-cells",
        DtPhandleListStatus.Truncated => "stream IDs run past the end of the property",
        DtPhandleListStatus.EmptyEntry => "phandle 0",
        _ => "length is not a whole number of cells",
    };

    private void Add(ProblemSeverity severity, TopologyProblemCode code, DtNode node, string message) => _problems.Add(new TopologyProblem(severity, code, node.FullPath, message));
}
