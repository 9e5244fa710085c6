namespace IommuKit.Firmware.DeviceTree.Properties;

/// <summary>
/// Reads phandle-with-arguments lists (<c>iommus</c>, <c>mmu-masters</c>, <c>interconnects</c>,
/// <c>msi-parent</c>) the way Linux's <c>of_phandle_iterator_next</c> walks them: each entry is a
/// phandle followed by as many cells as the target's cells property says; a phandle of 0 is an
/// empty entry with no arguments; an unknown phandle, a target without the cells property (when no
/// default is given) or arguments that run past the end stop the walk with an error entry.
/// </summary>
public static class DtPhandleList
{
    /// <summary>
    /// Reads every entry of <paramref name="listName"/> on <paramref name="node"/>. The last entry
    /// carries the error when the walk stopped early. Returns an empty list when the property is
    /// absent, and one <see cref="DtPhandleListStatus.Malformed"/> entry when its length is not
    /// whole cells.
    /// </summary>
    /// <param name="node">The node holding the list.</param>
    /// <param name="listName">The list property.</param>
    /// <param name="cellsName">The cells property read on each target (<c>#iommu-cells</c>).</param>
    /// <param name="defaultCells">Cell count used when a target lacks the cells property; -1 makes that an error.</param>
    /// <param name="phandles">The tree's phandle index.</param>
    public static List<DtPhandleEntry> Read(DtNode node, string listName, string cellsName, int defaultCells, DtPhandleIndex phandles)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(phandles);
        var entries = new List<DtPhandleEntry>();
        DtProperty? property = node.FindProperty(listName);
        if (property is null)
        {
            return entries;
        }

        ReadOnlySpan<byte> value = property.Value.Span;
        if (!DtCells.TryGetCellCount(value, out int total))
        {
            entries.Add(new DtPhandleEntry(0, 0, null, [], DtPhandleListStatus.Malformed));
            return entries;
        }

        int cursor = 0;
        for (int index = 0; cursor < total; index++)
        {
            uint phandle = DtCells.ReadCell(value, cursor++);
            if (phandle == 0)
            {
                entries.Add(new DtPhandleEntry(index, 0, null, [], DtPhandleListStatus.EmptyEntry));
                continue;
            }

            DtNode? target = phandles.Find(phandle);
            if (target is null)
            {
                entries.Add(new DtPhandleEntry(index, phandle, null, [], DtPhandleListStatus.DanglingPhandle));
                break;
            }

            int count = defaultCells;
            if (TryReadCellsProperty(target, cellsName, out uint cells))
            {
                count = cells > int.MaxValue ? int.MaxValue : (int)cells;
            }
            else if (defaultCells < 0)
            {
                entries.Add(new DtPhandleEntry(index, phandle, target, [], DtPhandleListStatus.MissingCellsProperty));
                break;
            }

            if (count > total - cursor)
            {
                entries.Add(new DtPhandleEntry(index, phandle, target, [], DtPhandleListStatus.Truncated));
                break;
            }

            uint[] arguments = new uint[count];
            for (int i = 0; i < count; i++)
            {
                arguments[i] = DtCells.ReadCell(value, cursor++);
            }

            entries.Add(new DtPhandleEntry(index, phandle, target, arguments, DtPhandleListStatus.Ok));
        }

        return entries;
    }

    /// <summary>
    /// Reads a cells property as Linux's <c>of_property_read_u32</c> does: the first cell of a
    /// value at least one cell long (a longer value is accepted; a shorter one is not).
    /// </summary>
    public static bool TryReadCellsProperty(DtNode node, string name, out uint cells)
    {
        ArgumentNullException.ThrowIfNull(node);
        DtProperty? property = node.FindProperty(name);
        if (property is null || property.Length < DtCells.CellSize)
        {
            cells = 0;
            return false;
        }

        cells = DtCells.ReadCell(property.Value.Span, 0);
        return true;
    }
}
