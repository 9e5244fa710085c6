namespace IommuKit.Firmware.DeviceTree.Properties;

/// <summary>
/// <c>#address-cells</c>, <c>#size-cells</c>, <c>reg</c>, <c>ranges</c> and <c>dma-ranges</c>
/// (Devicetree Specification v0.4 §2.3.5–§2.3.9).
/// </summary>
/// <remarks>
/// A node's <c>#address-cells</c>/<c>#size-cells</c> describe its children's <c>reg</c>; when absent
/// the specification's defaults (2 and 1) apply. (Linux's <c>of_n_addr_cells</c> instead keeps
/// walking up the ancestors, a deprecated fallback that newer kernels warn about; dtc-built blobs
/// state the cells on every bus, so both give the same answer on real trees.) Linux caps
/// addresses at 4 cells (<c>OF_MAX_ADDR_CELLS</c>); sizes here are 64-bit (at most 2 cells).
/// </remarks>
public static class DtAddressing
{
    /// <summary>Default <c>#address-cells</c> when a bus node does not state it.</summary>
    public const int DefaultAddressCells = 2;

    /// <summary>Default <c>#size-cells</c> when a bus node does not state it.</summary>
    public const int DefaultSizeCells = 1;

    /// <summary>
    /// The <c>#address-cells</c> the node gives its children: its own property, or 2 when absent.
    /// Malformed when the property is not one cell or exceeds 4.
    /// </summary>
    public static DtReadResult ReadAddressCells(DtNode node, out int cells) => ReadCellCount(node, "#address-cells", DefaultAddressCells, DtCells.MaxAddressCells, out cells);

    /// <summary>
    /// The <c>#size-cells</c> the node gives its children: its own property, or 1 when absent.
    /// Malformed when the property is not one cell or exceeds 2.
    /// </summary>
    public static DtReadResult ReadSizeCells(DtNode node, out int cells) => ReadCellCount(node, "#size-cells", DefaultSizeCells, DtCells.MaxSizeCells, out cells);

    /// <summary>The <c>#address-cells</c> for the node's children (default 2, also when malformed).</summary>
    public static int GetAddressCells(DtNode node) => ReadAddressCells(node, out int cells) == DtReadResult.Malformed ? DefaultAddressCells : cells;

    /// <summary>The <c>#size-cells</c> for the node's children (default 1, also when malformed).</summary>
    public static int GetSizeCells(DtNode node) => ReadSizeCells(node, out int cells) == DtReadResult.Malformed ? DefaultSizeCells : cells;

    /// <summary>
    /// Decodes the node's <c>reg</c> with the cell counts of its parent (the root uses the defaults).
    /// Malformed when the parent's cell counts are, or the length is not a whole number of entries.
    /// </summary>
    public static DtReadResult ReadReg(DtNode node, out DtRegEntry[] entries)
    {
        ArgumentNullException.ThrowIfNull(node);
        entries = [];
        DtProperty? reg = node.FindProperty("reg");
        if (reg is null)
        {
            return DtReadResult.Absent;
        }

        if (!TryGetBusCells(node.Parent, out int addressCells, out int sizeCells))
        {
            return DtReadResult.Malformed;
        }

        return TryDecodeReg(reg.Value.Span, addressCells, sizeCells, out entries) ? DtReadResult.Ok : DtReadResult.Malformed;
    }

    /// <summary>
    /// Decodes the node's <c>ranges</c>: child addresses with the node's own <c>#address-cells</c>,
    /// parent addresses with its parent's, sizes with the node's <c>#size-cells</c>. An empty
    /// property (identity mapping) reads as Ok with no entries.
    /// </summary>
    public static DtReadResult ReadRanges(DtNode node, out DtRangeEntry[] entries) => ReadRangesProperty(node, "ranges", out entries);

    /// <summary>
    /// Decodes the node's <c>dma-ranges</c> with the same cell rule as <see cref="ReadRanges"/>:
    /// how DMA addresses of the node's children map to the parent bus. An empty property (identity)
    /// reads as Ok with no entries; an absent one means no DMA translation information.
    /// </summary>
    public static DtReadResult ReadDmaRanges(DtNode node, out DtRangeEntry[] entries) => ReadRangesProperty(node, "dma-ranges", out entries);

    /// <summary>Decodes a <c>reg</c> value given the cell counts; false on a length that is not whole entries.</summary>
    public static bool TryDecodeReg(ReadOnlySpan<byte> value, int addressCells, int sizeCells, out DtRegEntry[] entries)
    {
        entries = [];
        if (!CellsInRange(addressCells, DtCells.MaxAddressCells) || !CellsInRange(sizeCells, DtCells.MaxSizeCells))
        {
            return false;
        }

        int entrySize = (addressCells + sizeCells) * DtCells.CellSize;
        if (!TryCountEntries(value.Length, entrySize, out int count))
        {
            return false;
        }

        entries = new DtRegEntry[count];
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> entry = value.Slice(i * entrySize, entrySize);
            DtCells.TryReadNumber(entry, addressCells, out UInt128 address);
            DtCells.TryReadSize(entry[(addressCells * DtCells.CellSize)..], sizeCells, out ulong size);
            entries[i] = new DtRegEntry(address, size);
        }

        return true;
    }

    /// <summary>Decodes a <c>ranges</c>/<c>dma-ranges</c> value given the three cell counts.</summary>
    public static bool TryDecodeRanges(ReadOnlySpan<byte> value, int childAddressCells, int parentAddressCells, int sizeCells, out DtRangeEntry[] entries)
    {
        entries = [];
        if (!CellsInRange(childAddressCells, DtCells.MaxAddressCells)
            || !CellsInRange(parentAddressCells, DtCells.MaxAddressCells)
            || !CellsInRange(sizeCells, DtCells.MaxSizeCells))
        {
            return false;
        }

        int entrySize = (childAddressCells + parentAddressCells + sizeCells) * DtCells.CellSize;
        if (!TryCountEntries(value.Length, entrySize, out int count))
        {
            return false;
        }

        entries = new DtRangeEntry[count];
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> entry = value.Slice(i * entrySize, entrySize);
            DtCells.TryReadNumber(entry, childAddressCells, out UInt128 child);
            DtCells.TryReadNumber(entry[(childAddressCells * DtCells.CellSize)..], parentAddressCells, out UInt128 parent);
            DtCells.TryReadSize(entry[((childAddressCells + parentAddressCells) * DtCells.CellSize)..], sizeCells, out ulong size);
            entries[i] = new DtRangeEntry(child, parent, size);
        }

        return true;
    }

    private static DtReadResult ReadRangesProperty(DtNode node, string name, out DtRangeEntry[] entries)
    {
        ArgumentNullException.ThrowIfNull(node);
        entries = [];
        DtProperty? property = node.FindProperty(name);
        if (property is null)
        {
            return DtReadResult.Absent;
        }

        if (property.Length == 0)
        {
            return DtReadResult.Ok;
        }

        if (ReadAddressCells(node, out int childCells) == DtReadResult.Malformed
            || ReadSizeCells(node, out int sizeCells) == DtReadResult.Malformed
            || !TryGetBusCells(node.Parent, out int parentCells, out _))
        {
            return DtReadResult.Malformed;
        }

        return TryDecodeRanges(property.Value.Span, childCells, parentCells, sizeCells, out entries) ? DtReadResult.Ok : DtReadResult.Malformed;
    }

    private static bool TryGetBusCells(DtNode? bus, out int addressCells, out int sizeCells)
    {
        if (bus is null)
        {
            addressCells = DefaultAddressCells;
            sizeCells = DefaultSizeCells;
            return true;
        }

        bool ok = ReadAddressCells(bus, out addressCells) != DtReadResult.Malformed;
        ok &= ReadSizeCells(bus, out sizeCells) != DtReadResult.Malformed;
        return ok;
    }

    private static DtReadResult ReadCellCount(DtNode node, string name, int fallback, int max, out int cells)
    {
        ArgumentNullException.ThrowIfNull(node);
        DtReadResult result = node.ReadU32(name, out uint raw);
        if (result == DtReadResult.Absent)
        {
            cells = fallback;
            return result;
        }

        if (result == DtReadResult.Malformed || raw > (uint)max)
        {
            cells = fallback;
            return DtReadResult.Malformed;
        }

        cells = (int)raw;
        return DtReadResult.Ok;
    }

    private static bool CellsInRange(int cells, int max) => cells >= 0 && cells <= max;

    private static bool TryCountEntries(int length, int entrySize, out int count)
    {
        count = 0;
        if (entrySize == 0)
        {
            return length == 0;
        }

        if (length % entrySize != 0)
        {
            return false;
        }

        count = length / entrySize;
        return true;
    }
}
