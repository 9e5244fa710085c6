using System.Numerics;
using IommuKit.Hardware.PageTables;
using IommuKit.Kernel.Iommu;

namespace IommuKit.Kernel.Drivers.Mock;

/// <summary>
/// The mock's sparse page table: leaves keyed by their (size-aligned) IOVA, one dictionary per page
/// size, plus per-block counts of smaller leaves so that, as in a real multi-level table, a block
/// cannot be mapped over existing smaller mappings (EEXIST) and unmapping a block-sized range over
/// smaller leaves removes the whole sub-table. Unmapping part of a larger leaf is refused (returns
/// 0), as io-pgtable-arm does since v6.13. Steady-state map/unmap does not allocate.
/// </summary>
public sealed class MockPageTable
{
    private readonly Dictionary<ulong, MockLeaf>?[] _leaves = new Dictionary<ulong, MockLeaf>?[64];
    private readonly Dictionary<ulong, int>?[] _children = new Dictionary<ulong, int>?[64];
    private readonly ulong _sizes;

    /// <summary>A table whose leaves can be any size in <paramref name="pgsizeBitmap"/>.</summary>
    public MockPageTable(ulong pgsizeBitmap)
    {
        if (pgsizeBitmap == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(pgsizeBitmap), "A page table needs at least one page size.");
        }

        _sizes = pgsizeBitmap;
    }

    /// <summary>The page sizes leaves may have.</summary>
    public ulong PgsizeBitmap => _sizes;

    /// <summary>Number of leaf entries.</summary>
    public int LeafCount { get; private set; }

    /// <summary>Maps one page of 2^<paramref name="shift"/> bytes; EEXIST if anything is mapped inside it.</summary>
    public Errno Map(ulong iova, ulong paddr, int shift, IommuProt prot)
    {
        if (Find(iova, out _, out _, out _) || (_children[shift] is { } c && c.ContainsKey(iova)))
        {
            return Errno.EEXIST;
        }

        if ((_sizes & (1UL << shift)) == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(shift), shift, "Page size not supported by this table.");
        }

        (_leaves[shift] ??= []).Add(iova, new MockLeaf(paddr, prot));
        LeafCount++;
        ulong larger = _sizes & ~((2UL << shift) - 1);
        while (larger != 0)
        {
            int s = BitOperations.TrailingZeroCount(larger);
            larger &= larger - 1;
            Dictionary<ulong, int> d = _children[s] ??= [];
            ulong block = iova & ~((1UL << s) - 1);
            d[block] = d.GetValueOrDefault(block) + 1;
        }

        return Errno.Ok;
    }

    /// <summary>
    /// Unmaps the page of 2^<paramref name="shift"/> bytes at <paramref name="iova"/>: a leaf of that size,
    /// or every smaller leaf inside it. Returns the bytes unmapped: the page size, or 0 if nothing is
    /// mapped there or a larger leaf would have to be split.
    /// </summary>
    public ulong Unmap(ulong iova, int shift)
    {
        ulong size = 1UL << shift;
        if (_children[shift] is { } c && c.ContainsKey(iova))
        {
            for (int s = 0; s < shift; s++)
            {
                if (_leaves[s] is { Count: > 0 } d)
                {
                    for (ulong a = iova; a - iova < size; a += 1UL << s)
                    {
                        if (d.ContainsKey(a))
                        {
                            Remove(a, s);
                        }
                    }
                }
            }

            return size;
        }

        if (!Find(iova, out int leafShift, out ulong leafIova, out _) || leafShift != shift || leafIova != iova)
        {
            return 0;
        }

        Remove(iova, shift);
        return size;
    }

    /// <summary>The leaf translating <paramref name="iova"/>, if any.</summary>
    public bool Find(ulong iova, out int shift, out ulong leafIova, out MockLeaf leaf)
    {
        ulong sizes = _sizes;
        while (sizes != 0)
        {
            int s = BitOperations.TrailingZeroCount(sizes);
            sizes &= sizes - 1;
            ulong key = iova & ~((1UL << s) - 1);
            if (_leaves[s] is { } d && d.TryGetValue(key, out leaf))
            {
                shift = s;
                leafIova = key;
                return true;
            }
        }

        shift = 0;
        leafIova = 0;
        leaf = default;
        return false;
    }

    /// <summary>Every leaf as (iova, paddr, size, prot), sorted by IOVA.</summary>
    public IReadOnlyList<(ulong Iova, ulong Paddr, ulong Size, IommuProt Prot)> Leaves()
    {
        var list = new List<(ulong, ulong, ulong, IommuProt)>();
        for (int s = 0; s < 64; s++)
        {
            if (_leaves[s] is { } d)
            {
                foreach ((ulong iova, MockLeaf leaf) in d)
                {
                    list.Add((iova, leaf.Paddr, 1UL << s, leaf.Prot));
                }
            }
        }

        list.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return list;
    }

    private void Remove(ulong iova, int shift)
    {
        _leaves[shift]!.Remove(iova);
        LeafCount--;
        ulong larger = _sizes & ~((2UL << shift) - 1);
        while (larger != 0)
        {
            int s = BitOperations.TrailingZeroCount(larger);
            larger &= larger - 1;
            if (_children[s] is { } d)
            {
                ulong block = iova & ~((1UL << s) - 1);
                int n = d[block] - 1;
                if (n == 0)
                {
                    d.Remove(block);
                }
                else
                {
                    d[block] = n;
                }
            }
        }
    }
}

/// <summary>One leaf of a <see cref="MockPageTable"/>.</summary>
public readonly record struct MockLeaf(ulong Paddr, IommuProt Prot);
