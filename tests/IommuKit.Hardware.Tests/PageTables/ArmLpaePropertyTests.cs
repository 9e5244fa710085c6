using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables;
using IommuKit.Hardware.PageTables.ArmLpae;

namespace IommuKit.Hardware.Tests.PageTables;

/// <summary>
/// Random map/unmap sequences (fixed seeds) against an oracle of what Linux's io-pgtable does:
/// pages, 2 MiB blocks, and which 2 MiB slots hold a level-3 table (tables outlive their pages).
/// After every operation IovaToPhys and the hardware walker must agree with the oracle.
/// </summary>
public sealed class ArmLpaePropertyTests
{
    private const IommuProt Rw = IommuProt.Read | IommuProt.Write;

    // Two windows far apart in the 48-bit space, 8 MiB each (4 block slots of 512 pages).
    private static readonly ulong[] Windows = [0x0000_0000_0000_0000, 0x0000_FFFF_FF80_0000];
    private const ulong WindowSize = 8UL << 20;

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    public void RandomMapUnmap_AgreesWithOracle(int seed, bool nonCoherent)
    {
        var h = new PageTableHarness(PageTableHarness.S1(coherent: !nonCoherent), nonCoherent ? new CpuCacheOptions() : null);
        BusAccess walkAccess = nonCoherent ? BusAccess.NoSnoop : BusAccess.Snoop;
        var oracle = new Oracle();
        var rng = new Random(seed);
        var outcomes = new Dictionary<string, int>();
        void Count(string outcome) => outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        for (int op = 0; op < 1500; op++)
        {
            ulong window = Windows[rng.Next(Windows.Length)];
            bool block = rng.Next(8) == 0;
            bool map = rng.Next(2) == 0;
            if (block)
            {
                ulong slot = window + ((ulong)rng.Next((int)(WindowSize / Sizes.M2)) * Sizes.M2);
                ulong pa = 0x1_0000_0000 + ((ulong)rng.Next(4096) * Sizes.M2);
                if (map)
                {
                    PageTableStatus s = h.T.MapPages(slot, pa, Sizes.M2, 1, Rw, out ulong mapped);
                    Assert.Equal(oracle.MapBlock(slot, pa), s);
                    Count($"block map {s}");
                    Assert.Equal(s == PageTableStatus.Ok ? Sizes.M2 : 0, mapped);
                }
                else
                {
                    ulong n = h.T.UnmapPages(slot, Sizes.M2, 1, new IotlbGather());
                    Assert.Equal(oracle.UnmapBlock(slot), n);
                    Count(n == 0 ? "block unmap none" : "block unmap");
                }

                Check(h, oracle, slot, Sizes.M2 / Sizes.K4, rng, walkAccess);
            }
            else
            {
                ulong page = window + ((ulong)rng.Next((int)(WindowSize / Sizes.K4)) * Sizes.K4);
                ulong room = 512 - ((page >> 12) & 511);
                ulong count = Math.Min((ulong)rng.Next(1, 9), room); // stay within one level-3 table
                ulong pa = 0x2_0000_0000 + ((ulong)rng.Next(1 << 20) * Sizes.K4);
                if (map)
                {
                    PageTableStatus s = h.T.MapPages(page, pa, Sizes.K4, count, Rw, out ulong mapped);
                    Assert.Equal(oracle.MapPages(page, pa, count), s);
                    Count($"page map {s}");
                    Assert.Equal(s == PageTableStatus.Ok ? count * Sizes.K4 : 0, mapped);
                }
                else
                {
                    ulong n = h.T.UnmapPages(page, Sizes.K4, count, new IotlbGather());
                    Assert.Equal(oracle.UnmapPages(page, count), n);
                    Count(n == 0 ? "page unmap none" : n == count * Sizes.K4 ? "page unmap all" : "page unmap short");
                }

                Check(h, oracle, page, count, rng, walkAccess);
            }
        }

        // The sequence reached every interesting outcome.
        foreach (string outcome in new[] { "block map Ok", "block map Exists", "block unmap", "block unmap none", "page map Ok", "page map Exists", "page unmap none", "page unmap all", "page unmap short" })
        {
            Assert.True(outcomes.GetValueOrDefault(outcome) > 0, $"no '{outcome}' in the sequence");
        }

        foreach (ulong window in Windows)
        {
            for (ulong va = window; va < window + WindowSize; va += Sizes.K4)
            {
                CheckOne(h, oracle, va + 0x18, walkAccess);
            }
        }

        h.T.Free();
        Assert.Equal(0, h.Allocator.AllocatedCount);
    }

    private static void Check(PageTableHarness h, Oracle oracle, ulong start, ulong pages, Random rng, BusAccess walkAccess)
    {
        for (ulong i = 0; i < pages; i += Math.Max(1, pages / 16))
        {
            CheckOne(h, oracle, start + (i * Sizes.K4) + (ulong)rng.Next(4096), walkAccess);
        }

        ulong window = Windows[rng.Next(Windows.Length)];
        CheckOne(h, oracle, window + (ulong)rng.NextInt64((long)WindowSize), walkAccess);
    }

    private static void CheckOne(PageTableHarness h, Oracle oracle, ulong va, BusAccess walkAccess)
    {
        ulong expected = oracle.Translate(va);
        Assert.Equal(expected, h.T.IovaToPhys(va));
        ArmLpaeWalkResult w = h.Walk(va, ArmLpaeAccess.Write, walkAccess);
        if (expected == 0)
        {
            Assert.Equal(ArmLpaeFault.Translation, w.Fault);
        }
        else
        {
            Assert.Equal(ArmLpaeFault.None, w.Fault);
            Assert.Equal(expected, w.OutputAddress);
        }
    }

    private sealed class Oracle
    {
        private readonly Dictionary<ulong, ulong> _pages = [];
        private readonly Dictionary<ulong, ulong> _blocks = [];
        private readonly HashSet<ulong> _tables = [];

        public ulong Translate(ulong va)
        {
            ulong slot = va & ~(Sizes.M2 - 1);
            if (_blocks.TryGetValue(slot, out ulong b))
            {
                return b + (va - slot);
            }

            return _pages.TryGetValue(va & ~(Sizes.K4 - 1), out ulong p) ? p + (va & (Sizes.K4 - 1)) : 0;
        }

        public PageTableStatus MapBlock(ulong slot, ulong pa)
        {
            if (_blocks.ContainsKey(slot))
            {
                return PageTableStatus.Exists;
            }

            // A level-3 table in the slot is unmapped and freed, with whatever pages it held.
            if (_tables.Remove(slot))
            {
                for (ulong i = 0; i < 512; i++)
                {
                    _pages.Remove(slot + (i * Sizes.K4));
                }
            }

            _blocks[slot] = pa;
            return PageTableStatus.Ok;
        }

        public ulong UnmapBlock(ulong slot)
        {
            if (_blocks.Remove(slot))
            {
                return Sizes.M2;
            }

            if (_tables.Remove(slot))
            {
                for (ulong i = 0; i < 512; i++)
                {
                    _pages.Remove(slot + (i * Sizes.K4));
                }

                return Sizes.M2;
            }

            return 0;
        }

        public PageTableStatus MapPages(ulong va, ulong pa, ulong count)
        {
            ulong slot = va & ~(Sizes.M2 - 1);
            if (_blocks.ContainsKey(slot))
            {
                return PageTableStatus.Exists;
            }

            _tables.Add(slot);
            for (ulong i = 0; i < count; i++)
            {
                if (_pages.ContainsKey(va + (i * Sizes.K4)))
                {
                    return PageTableStatus.Exists; // the whole batch is checked before anything is written
                }
            }

            for (ulong i = 0; i < count; i++)
            {
                _pages[va + (i * Sizes.K4)] = pa + (i * Sizes.K4);
            }

            return PageTableStatus.Ok;
        }

        public ulong UnmapPages(ulong va, ulong count)
        {
            ulong slot = va & ~(Sizes.M2 - 1);
            if (_blocks.ContainsKey(slot) || !_tables.Contains(slot))
            {
                return 0; // partial unmap of a block, or no table to walk
            }

            ulong i = 0;
            while (i < count && _pages.Remove(va + (i * Sizes.K4)))
            {
                i++;
            }

            return i * Sizes.K4;
        }
    }
}
