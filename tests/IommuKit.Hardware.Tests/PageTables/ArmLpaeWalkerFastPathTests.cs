using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables.ArmLpae;

namespace IommuKit.Hardware.Tests.PageTables;

/// <summary>
/// The walker's fast path against its reference walk: on tables of random descriptors (valid and
/// invalid types, random attribute, hierarchical and out-of-range address bits), every walk the
/// fast path completes gives exactly the reference result, and <see cref="ArmLpaeWalker.Walk"/>
/// always equals the reference.
/// </summary>
public sealed class ArmLpaeWalkerFastPathTests
{
    private const ulong PoolSize = 2UL << 20;
    private const ulong PoolGranule = 64 * 1024; // table pointers suit every granule

    [Theory]
    [InlineData(0UL)]
    [InlineData(0x8000_0000UL)] // RAM where many SoCs have it: the walker's view does not start at PA 0
    [InlineData(0x8010_0000UL)] // RAM not aligned to its size: the walker's view has holes around it
    public void Walk_RandomTables_EqualsTheReferenceWalk(ulong ramBase)
    {
        var rng = new Random(20261121);
        var memory = new PhysicalMemory();
        memory.AddRam(ramBase, PoolSize);
        int fast = 0;
        int walks = 0;
        for (int fill = 0; fill < 12; fill++)
        {
            FillPool(memory, rng, ramBase);
            for (int c = 0; c < 400; c++)
            {
                ArmLpaeWalkConfig cfg = RandomConfig(rng, ramBase);
                for (int n = 0; n < 4; n++)
                {
                    ulong ia = (ulong)rng.NextInt64() & ((1UL << Math.Clamp(cfg.InputSize + (rng.Next(8) == 0 ? 1 : 0), 1, 63)) - 1);
                    for (int a = 0; a < 8; a++)
                    {
                        var access = (ArmLpaeAccess)a;
                        ArmLpaeWalker.WalkReference(memory, in cfg, ia, access, out ArmLpaeWalkResult expected);
                        if (ArmLpaeWalker.TryWalkFast(memory, in cfg, ia, access, out ArmLpaeWalkResult quick))
                        {
                            Assert.Equal(Describe(expected), Describe(quick));
                            Assert.Equal(expected, quick);
                            fast++;
                        }

                        ArmLpaeWalker.Walk(memory, in cfg, ia, access, out ArmLpaeWalkResult walked);
                        Assert.Equal(expected, walked);
                        walks++;
                    }
                }
            }
        }

        // The fast path must have taken a real share of the walks for the comparison to mean something.
        Assert.InRange(fast, walks / 50, walks);
    }

    [Fact]
    public void Walk_NonCoherentWalkerWithCacheModel_ReadsRamNotTheCache()
    {
        var memory = new PhysicalMemory(new CpuCacheOptions());
        memory.AddRam(0, 1UL << 20);
        ArmLpaeWalkConfig cfg = ArmLpaeWalkConfig.FromS1(16, 0, 5, 0x1000, BusAccess.NoSnoop);
        Assert.Equal(BusStatus.Ok, memory.Write64(0x1000, 0x2000 | 3, BusAccess.NoSnoop));
        Assert.Equal(BusStatus.Ok, memory.Write64(0x2000, 0x3000 | 3, BusAccess.NoSnoop));
        Assert.Equal(BusStatus.Ok, memory.Write64(0x3000, 0x4000 | 3, BusAccess.NoSnoop));
        Assert.Equal(BusStatus.Ok, memory.Write64(0x4000, 0x8_0000 | ArmLpaePte.Af | 3, BusAccess.NoSnoop));

        // The CPU rewrites the leaf in its cache and does not clean it: the device still sees RAM.
        Assert.Equal(BusStatus.Ok, memory.Write64(0x4000, 0x9_0000 | ArmLpaePte.Af | 3, BusAccess.Cpu));
        ArmLpaeWalker.Walk(memory, in cfg, 0x123, ArmLpaeAccess.Privileged, out ArmLpaeWalkResult before);
        memory.Cache!.Clean(0x4000, 8);
        ArmLpaeWalker.Walk(memory, in cfg, 0x123, ArmLpaeAccess.Privileged, out ArmLpaeWalkResult after);

        Assert.Equal(0x8_0123UL, before.OutputAddress);
        Assert.Equal(0x9_0123UL, after.OutputAddress);
    }

    private static string Describe(ArmLpaeWalkResult r) =>
        $"fault {r.Fault} L{r.Level} S{r.Stage} oa {r.OutputAddress:x} ipa {r.IntermediateAddress:x} fa {r.FaultAddress:x} desc {r.Descriptor:x} "
        + $"bs {r.BlockShift} attr {r.AttrIndx}/{r.S2MemAttr} sh {r.Shareability}/{r.S2Shareability} ap {r.AccessPermissions}/{r.S2AccessPermissions} "
        + $"ng {r.NotGlobal} ns {r.NonSecure} ct {r.ContiguousHint} dbm {r.DirtyBitModifier} rwx {r.Readable}{r.Writable}{r.Executable} ft {r.FaultOnTableFetch}";

    private static void FillPool(PhysicalMemory memory, Random rng, ulong ramBase)
    {
        for (ulong pa = ramBase; pa < ramBase + PoolSize; pa += 8)
        {
            Assert.Equal(BusStatus.Ok, memory.Write64(pa, RandomDescriptor(rng, ramBase), BusAccess.Cpu));
        }
    }

    private static ulong RandomDescriptor(Random rng, ulong ramBase)
    {
        int kind = rng.Next(20);
        ulong type = kind == 0 ? 0UL : kind == 1 ? 2UL : kind < 6 ? 1UL : 3UL;
        ulong address = ramBase + ((ulong)rng.NextInt64((long)(PoolSize / PoolGranule)) * PoolGranule);
        if (rng.Next(25) == 0)
        {
            address |= 1UL << rng.Next(32, 48); // beyond some output sizes
        }
        else if (rng.Next(25) == 0)
        {
            // Just outside RAM, below or above: a bus error, though it may lie in the walker's view.
            address = rng.Next(2) == 0 && ramBase != 0 ? ramBase - PoolGranule : address + PoolSize;
        }

        ulong attrs = (ulong)rng.NextInt64() & 0xFFF & ~3UL & ~ArmLpaePte.Af;
        if (rng.Next(8) != 0)
        {
            attrs |= ArmLpaePte.Af;
        }

        if (rng.Next(10) == 0)
        {
            attrs |= ArmLpaePte.Dbm;
        }

        attrs |= (ulong)rng.Next(4) << 52; // contiguous, PXN
        attrs |= (ulong)rng.Next(2) << 54; // UXN / XN
        ulong low = (ulong)rng.Next(16) << 12; // address bits with 4K, RES0 / OA[51:48] with larger granules
        if (type == 3 && rng.Next(2) == 0)
        {
            attrs = 0; // a table descriptor as software writes it: no attributes, no ignored bits set
            low = 0;
        }

        if (rng.Next(5) == 0)
        {
            attrs |= (ulong)rng.Next(1, 32) << 59; // NSTable, APTable, UXNTable, PXNTable
        }

        return type | address | attrs | low;
    }

    private static ArmLpaeWalkConfig RandomConfig(Random rng, ulong ramBase)
    {
        int tg = rng.Next(3);
        ulong root = ramBase + ((ulong)rng.NextInt64((long)(PoolSize / PoolGranule)) * PoolGranule);
        if (rng.Next(40) == 0)
        {
            root |= 1UL << rng.Next(32, 48); // beyond some output sizes (an address size fault at level 0)
        }

        BusAccess walkAccess = rng.Next(2) == 0 ? BusAccess.Snoop : BusAccess.NoSnoop;
        ArmLpaeWalkConfig cfg = rng.Next(2) == 0
            ? ArmLpaeWalkConfig.FromS1(rng.Next(12, 40), tg, rng.Next(7), root, walkAccess)
            : ArmLpaeWalkConfig.FromS2(rng.Next(12, 40), rng.Next(3), tg, rng.Next(7), root, walkAccess);
        return cfg with
        {
            Aarch64 = rng.Next(6) != 0,
            Wxn = rng.Next(3) == 0,
            HardwareAccessFlag = rng.Next(3) == 0,
            HardwareDirty = rng.Next(3) == 0,
            HierarchicalPermissionsDisabled = rng.Next(3) == 0,
        };
    }
}
