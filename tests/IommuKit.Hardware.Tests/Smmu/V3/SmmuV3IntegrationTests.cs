using IommuKit.Hardware.Dma;
using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables;
using IommuKit.Hardware.PageTables.ArmLpae;
using IommuKit.Hardware.Smmu.V3;
using static IommuKit.Hardware.Tests.Smmu.V3.SmmuV3Spec;

namespace IommuKit.Hardware.Tests.Smmu.V3;

/// <summary>The SMMU walking tables built by Linux's io-pgtable; coherency of its own accesses; privilege, HTTU, EL2.</summary>
public sealed class SmmuV3IntegrationTests
{
    private sealed class TlbiFlushOps(SmmuV3Rig rig, ushort asid) : IIoPageTableFlushOps
    {
        public void TlbFlushAll() => rig.Submit(TlbiNhAsid(0, asid), Sync());

        public void TlbFlushWalk(ulong iova, ulong size, ulong granule)
        {
            for (ulong a = iova; a < iova + size; a += granule)
            {
                rig.Submit(TlbiNhVa(0, asid, a, leaf: false));
            }

            rig.Submit(Sync());
        }

        public void TlbAddPage(IotlbGather gather, ulong iova, ulong granule) => rig.Submit(TlbiNhVa(0, asid, iova));
    }

    private static ArmLpaeIoPageTable NewIoPgtable(SmmuV3Rig rig, ushort asid, bool coherent)
    {
        var cfg = new IoPageTableConfig
        {
            Format = ArmLpaeFormat.Arm64LpaeS1,
            PgsizeBitmap = 0x4020_1000, // 4K | 2M | 1G
            Ias = 48,
            Oas = 48,
            CoherentWalk = coherent,
        };
        ulong pool = rig.Alloc(4 << 20, 4 << 20);
        var allocator = new SimpleTablePageAllocator(rig.Memory, pool, 4 << 20);
        Assert.Equal(PageTableStatus.Ok, ArmLpaeIoPageTable.TryCreate(cfg, rig.Memory, allocator, new TlbiFlushOps(rig, asid), out ArmLpaeIoPageTable? table));
        return table!;
    }

    /// <summary>A CD built from the io-pgtable's TCR/MAIR, as arm_smmu_make_s1_cd does.</summary>
    private static ulong[] CdFrom(ArmLpaeIoPageTable table, ushort asid)
    {
        ArmLpaeTcr tcr = table.Tcr;
        ulong dw0 = (uint)tcr.Tsz | ((ulong)(uint)tcr.Tg << 6) | ((ulong)(uint)tcr.Irgn << 8) | ((ulong)(uint)tcr.Orgn << 10) | ((ulong)(uint)tcr.Sh << 12) |
            (1UL << 30) | (1UL << 31) | ((ulong)(uint)tcr.Ips << 32) | (1UL << 41) | (1UL << 45) | (1UL << 46) | (1UL << 47) | ((ulong)asid << 48);
        return [dw0, table.Ttbr & 0x000F_FFFF_FFFF_FFF0, 0, table.Mair, 0, 0, 0, 0];
    }

    [Fact]
    public void IoPgtable_MapTranslateUnmapWithTlbi_FaultsAfterUnmap()
    {
        var rig = new SmmuV3Rig();
        ArmLpaeIoPageTable table = NewIoPgtable(rig, asid: 3, coherent: true);
        ulong cd = rig.Alloc(64, 64);
        rig.WriteStruct(cd, CdFrom(table, 3));
        rig.SetSte(2, SteS1(cd));
        ulong page = rig.Alloc(4096);
        ulong block = rig.Alloc(2 << 20, 2 << 20);
        Assert.Equal(PageTableStatus.Ok, table.MapPages(0x10_0000, page, 4096, 1, IommuProt.Read | IommuProt.Write | IommuProt.Cache, out _));
        Assert.Equal(PageTableStatus.Ok, table.MapPages(0x4000_0000, block, 2 << 20, 1, IommuProt.Read | IommuProt.Cache, out _));

        Assert.True(rig.Smmu.Translate(2, 0x10_0123, default, true, out SmmuV3Translation t1));
        Assert.True(rig.Smmu.Translate(2, 0x4012_3456, default, false, out SmmuV3Translation t2));
        Assert.False(rig.Smmu.Translate(2, 0x4012_3456, default, true, out SmmuV3Translation t3));
        Assert.Equal(page + 0x123, t1.OutputAddress);
        Assert.Equal(BusAccess.Snoop, t1.Access);
        Assert.Equal(block + 0x12_3456, t2.OutputAddress);
        Assert.Equal(SmmuV3EventId.F_PERMISSION, t3.Fault);

        var gather = new IotlbGather();
        Assert.Equal(4096UL, table.UnmapPages(0x10_0000, 4096, 1, gather));
        rig.Submit(Sync());

        Assert.False(rig.Smmu.Translate(2, 0x10_0123, default, false, out SmmuV3Translation gone));
        Assert.Equal(SmmuV3EventId.F_TRANSLATION, gone.Fault);
    }

    [Fact]
    public void NonCoherentWalker_SeesPteOnlyAfterCacheClean()
    {
        var rig = new SmmuV3Rig(coherentWalk: false, cpuCache: true);
        (_, ulong root) = rig.AddS1Stream(1, asid: 1);
        Assert.Equal(0u, rig.R32(GERROR)); // the queue writes were cleaned, so the reset commands ran
        ulong pa = rig.Alloc(4096);
        rig.Map(root, 0x9000, S1Leaf(pa, page: true)); // the PTE write stays in the CPU cache

        Assert.False(rig.Smmu.Translate(1, 0x9000, default, false, out SmmuV3Translation stale));
        Assert.Equal(SmmuV3EventId.F_TRANSLATION, stale.Fault);

        rig.Memory.Cache!.WriteBackInvalidateAll(); // clean every new table page and the PTE
        Assert.True(rig.Smmu.Translate(1, 0x9000, default, false, out SmmuV3Translation t));
        Assert.Equal(pa, t.OutputAddress);
    }

    [Fact]
    public void CoherentWalker_SeesPteInCpuCacheWithoutClean()
    {
        var rig = new SmmuV3Rig(coherentWalk: true, cpuCache: true);
        (_, ulong root) = rig.AddS1Stream(1, asid: 1);
        ulong pa = rig.Alloc(4096);
        rig.Map(root, 0x9000, S1Leaf(pa, page: true));

        Assert.True(rig.Smmu.Translate(1, 0x9000, default, false, out SmmuV3Translation t));
        Assert.Equal(pa, t.OutputAddress);
    }

    [Fact]
    public void CoherentSmmuWithNonCacheableWalkAttributes_DoesNotSnoop()
    {
        var rig = new SmmuV3Rig(coherentWalk: true, cpuCache: true);
        ulong root = rig.NewTable();
        ulong cd = rig.Alloc(64, 64);
        ulong[] desc = Cd(root, 1);
        desc[0] &= ~0xF00UL; // IR0 = OR0 = Non-cacheable
        rig.WriteStruct(cd, desc);
        rig.SetSte(1, SteS1(cd));
        rig.Map(root, 0x9000, S1Leaf(rig.Alloc(4096), page: true));

        Assert.False(rig.Smmu.Translate(1, 0x9000, default, false, out _));
    }

    [Fact]
    public void Privilege_UnprivilegedAccessToPrivilegedPage_FaultsPrivilegedSucceeds()
    {
        var rig = new SmmuV3Rig();
        (_, ulong root) = rig.AddS1Stream(1, asid: 1);
        ulong pa = rig.Alloc(4096);
        rig.Map(root, 0x9000, S1Leaf(pa, page: true, unpriv: false));

        Assert.True(rig.Smmu.Translate(1, 0x9000, new DmaAttributes { Privileged = true }, false, out _));
        Assert.False(rig.Smmu.Translate(1, 0x9000, default, false, out SmmuV3Translation t));

        Assert.Equal(SmmuV3EventId.F_PERMISSION, t.Fault);
    }

    [Fact]
    public void HardwareDirty_WriteAfterCachedRead_WalksAndMarksDirty()
    {
        var rig = new SmmuV3Rig();
        ulong root = rig.NewTable();
        ulong cd = rig.Alloc(64, 64);
        rig.WriteStruct(cd, Cd(root, 1, ha: true, hd: true));
        rig.SetSte(1, SteS1(cd));
        ulong pa = rig.Alloc(4096);
        ulong dbmClean = S1Leaf(pa, page: true, readOnly: true) | (1UL << 51); // writable-clean
        rig.Map(root, 0x9000, dbmClean);

        Assert.True(rig.Smmu.Translate(1, 0x9000, default, false, out _)); // read: cached, still clean
        Assert.True(rig.Smmu.Translate(1, 0x9000, default, true, out _)); // write: walks, sets dirty

        Assert.Equal(0UL, rig.Read64(rig.LeafSlot(root, 0x9000)) & (1UL << 7)); // AP[2] cleared: dirty
    }

    [Fact]
    public void El2E2hStream_TaggedByAsidAndInvalidatedByTlbiEl2()
    {
        var features = new SmmuV3Features { Hyp = true };
        var rig = new SmmuV3Rig(features, enable: false);
        rig.W32(CR2, 2 | 1); // RECINVSID, E2H
        rig.W32(CR0, CR0_CMDQEN | CR0_EVTQEN | CR0_SMMUEN);
        ulong root = rig.NewTable();
        ulong cd = rig.Alloc(64, 64);
        rig.WriteStruct(cd, Cd(root, 4));
        rig.SetSte(1, SteS1(cd, strw: 2));
        ulong pa = rig.Alloc(4096);
        rig.Map(root, 0x9000, S1Leaf(pa, page: true));
        Assert.True(rig.Smmu.Translate(1, 0x9000, default, false, out _));
        rig.Map(root, 0x9000, 0);

        rig.Submit(TlbiNhAll(0), TlbiNsnhAll(), Sync()); // EL1 invalidations do not touch EL2 entries
        Assert.True(rig.Smmu.Translate(1, 0x9000, default, false, out _));

        rig.Submit((0x22 | (4UL << 48), 0x9000), Sync()); // CMD_TLBI_EL2_VA(ASID 4)
        Assert.False(rig.Smmu.Translate(1, 0x9000, default, false, out _));
    }

    [Fact]
    public void DmaRead_AcrossPagesWithSecondPageUnmapped_FaultAfterFirstChunk()
    {
        var rig = new SmmuV3Rig();
        (_, ulong root) = rig.AddS1Stream(1, asid: 1);
        rig.Map(root, 0x9000, S1Leaf(rig.Alloc(4096), page: true));

        Assert.Equal(DmaStatus.Fault, rig.Smmu.DmaRead(1, 0x9FF0, new byte[32], DmaAttributes.Coherent));

        SpecEvent e = Assert.Single(rig.Events());
        Assert.Equal(0xA000UL, e.InputAddr);
    }
}
