using IommuKit.Hardware.PageTables;
using IommuKit.Hardware.PageTables.ArmLpae;

namespace IommuKit.Hardware.Tests.PageTables;

public sealed class ArmLpaeConcurrencyTests
{
    [Fact]
    public void MapUnmapWalk_TwoThreadsInterleavedPages_AgreeWithOracles()
    {
        // Thread t owns the pages whose index has parity t, so both threads constantly need the
        // same new tables (compare-and-exchange installs, lost races free their table).
        var h = new PageTableHarness(PageTableHarness.S1());
        const int Pages = 1 << 14; // 64 MiB of IOVA, 32 level-3 tables, spread over two level-1 slots
        const ulong IovaBase = 0x0000_0040_3F00_0000;
        var oracles = new Dictionary<ulong, ulong>[] { [], [] };
        var errors = new List<string>();

        void Run(int t)
        {
            var rng = new Random(100 + t);
            Dictionary<ulong, ulong> mine = oracles[t];
            for (int op = 0; op < 30_000; op++)
            {
                ulong iova = IovaBase + ((((ulong)rng.Next(Pages / 2) * 2) + (ulong)t) * Sizes.K4);
                int kind = rng.Next(3);
                if (kind == 0)
                {
                    ulong pa = 0x1_0000_0000 + ((ulong)rng.Next(1 << 20) * Sizes.K4);
                    PageTableStatus s = h.T.MapPages(iova, pa, Sizes.K4, 1, IommuProt.Read | IommuProt.Write, out _);
                    PageTableStatus expected = mine.ContainsKey(iova) ? PageTableStatus.Exists : PageTableStatus.Ok;
                    if (s != expected)
                    {
                        lock (errors)
                        {
                            errors.Add($"map 0x{iova:x}: {s}, expected {expected}");
                        }
                    }

                    if (s == PageTableStatus.Ok)
                    {
                        mine[iova] = pa;
                    }
                }
                else if (kind == 1)
                {
                    ulong n = h.T.UnmapPages(iova, Sizes.K4, 1, null);
                    ulong expected = mine.Remove(iova) ? Sizes.K4 : 0;
                    if (n != expected)
                    {
                        lock (errors)
                        {
                            errors.Add($"unmap 0x{iova:x}: {n}, expected {expected}");
                        }
                    }
                }
                else
                {
                    ulong expected = mine.TryGetValue(iova, out ulong pa) ? pa + 0x40 : 0;
                    ulong got = h.T.IovaToPhys(iova + 0x40);
                    ArmLpaeWalkResult w = h.Walk(iova + 0x40);
                    ulong walked = w.IsOk ? w.OutputAddress : 0;
                    if (got != expected || walked != expected)
                    {
                        lock (errors)
                        {
                            errors.Add($"lookup 0x{iova:x}: {got:x}/{walked:x}, expected {expected:x}");
                        }
                    }
                }
            }
        }

        var threads = new[] { new Thread(() => Run(0)), new Thread(() => Run(1)) };
        foreach (Thread th in threads)
        {
            th.Start();
        }

        foreach (Thread th in threads)
        {
            th.Join();
        }

        Assert.Empty(errors);
        for (ulong i = 0; i < Pages; i++)
        {
            ulong iova = IovaBase + (i * Sizes.K4);
            ulong expected = oracles[(int)(i & 1)].TryGetValue(iova, out ulong pa) ? pa : 0;
            Assert.Equal(expected, h.T.IovaToPhys(iova));
        }

        // Every lost race freed its table: after Free nothing is left allocated.
        h.T.Free();
        Assert.Equal(0, h.Allocator.AllocatedCount);
    }
}
