using IommuKit.Firmware.DeviceTree.Properties;

namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>
/// A decoded <c>iommu-map</c> or <c>msi-map</c> with its mask (<c>iommu-map-mask</c>/<c>msi-map-mask</c>),
/// and the ID mapping rule of Linux's <c>of_map_id</c>: mask the ID (the mask defaults to all ones),
/// then the first entry covering it wins; the output is <c>masked - id-base + out-base</c>.
/// </summary>
/// <remarks>
/// Entries are always 4 cells (rid-base, phandle, out-base, length) whatever the target's
/// <c>#iommu-cells</c>, as in Linux up to at least 6.12 and the <c>pci-iommu</c>/<c>pci-msi</c>
/// bindings. <see cref="Map(uint)"/> does not allocate.
/// </remarks>
public sealed class IdMap
{
    /// <summary>The value of a map mask that selects every bit (the default).</summary>
    public const uint DefaultMask = 0xFFFF_FFFF;

    private readonly IdMapEntry[] _entries;

    private IdMap(string propertyName, IdMapEntry[] entries, uint mask, DtReadResult maskRead, bool wellFormed)
    {
        PropertyName = propertyName;
        _entries = entries;
        Mask = mask;
        MaskRead = maskRead;
        IsWellFormed = wellFormed;
    }

    /// <summary>"iommu-map" or "msi-map".</summary>
    public string PropertyName { get; }

    /// <summary>The entries in property order (empty when malformed).</summary>
    public IReadOnlyList<IdMapEntry> Entries => _entries;

    /// <summary>The mask applied to input IDs (all ones when the mask property is absent or unreadable).</summary>
    public uint Mask { get; }

    /// <summary>Whether the mask property was absent, read, or unreadable (shorter than a cell).</summary>
    public DtReadResult MaskRead { get; }

    /// <summary>True when the mask property is present and was used.</summary>
    public bool HasMask => MaskRead == DtReadResult.Ok;

    /// <summary>False when the property length is not a non-zero multiple of 16 bytes.</summary>
    public bool IsWellFormed { get; }

    /// <summary>
    /// Decodes the map <paramref name="mapName"/> of <paramref name="node"/> with its mask
    /// <paramref name="maskName"/>, resolving each entry's phandle. Null when the map is absent.
    /// </summary>
    public static IdMap? Read(DtNode node, string mapName, string maskName, DtPhandleIndex phandles)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(phandles);
        DtProperty? map = node.FindProperty(mapName);
        if (map is null)
        {
            return null;
        }

        // of_property_read_u32: a value shorter than a cell is refused and the default mask stays.
        uint mask = DefaultMask;
        DtReadResult maskRead = DtReadResult.Absent;
        DtProperty? maskProperty = node.FindProperty(maskName);
        if (maskProperty is not null)
        {
            maskRead = DtPhandleList.TryReadCellsProperty(node, maskName, out uint m) ? DtReadResult.Ok : DtReadResult.Malformed;
            if (maskRead == DtReadResult.Ok)
            {
                mask = m;
            }
        }

        ReadOnlySpan<byte> value = map.Value.Span;
        const int entryBytes = 4 * DtCells.CellSize;
        if (value.Length == 0 || value.Length % entryBytes != 0)
        {
            return new IdMap(mapName, [], mask, maskRead, wellFormed: false);
        }

        var entries = new IdMapEntry[value.Length / entryBytes];
        for (int i = 0; i < entries.Length; i++)
        {
            int cell = i * 4;
            uint phandle = DtCells.ReadCell(value, cell + 1);
            entries[i] = new IdMapEntry(
                DtCells.ReadCell(value, cell),
                phandle,
                DtCells.ReadCell(value, cell + 2),
                DtCells.ReadCell(value, cell + 3),
                phandles.Find(phandle));
        }

        return new IdMap(mapName, entries, mask, maskRead, wellFormed: true);
    }

    /// <summary>
    /// Maps one input ID as <c>of_map_id</c> does with no preset target: entries are visited in
    /// order; one whose base has bits outside the mask fails the lookup; the first covering entry
    /// decides; its phandle must name a node.
    /// </summary>
    public IdMapResult Map(uint id)
    {
        uint masked = id & Mask;
        if (!IsWellFormed)
        {
            return new IdMapResult(IdMapStatus.Malformed, id, masked, -1, null, 0);
        }

        for (int i = 0; i < _entries.Length; i++)
        {
            ref readonly IdMapEntry entry = ref _entries[i];
            if ((entry.IdBase & ~Mask) != 0)
            {
                return new IdMapResult(IdMapStatus.MaskIgnoresBase, id, masked, i, null, 0);
            }

            if (!entry.Covers(masked))
            {
                continue;
            }

            if (entry.Target is null)
            {
                return new IdMapResult(IdMapStatus.DanglingPhandle, id, masked, i, null, 0);
            }

            return new IdMapResult(IdMapStatus.Mapped, id, masked, i, entry.Target, unchecked(masked - entry.IdBase + entry.OutputBase));
        }

        return new IdMapResult(IdMapStatus.NoMatch, id, masked, -1, null, id);
    }
}
