using System.Numerics;
using IommuKit.Hardware.PageTables;
using IommuKit.Hardware.PageTables.ArmLpae;
using IommuKit.Kernel.Base;
using IommuKit.Kernel.Iommu;
using static IommuKit.Kernel.Drivers.ArmSmmuV3.ArmSmmuV3Regs;

namespace IommuKit.Kernel.Drivers.ArmSmmuV3;

/// <summary>
/// struct arm_smmu_domain for a paging domain: an Arm LPAE io-pgtable (stage 1 with an ASID and
/// a CD, or stage 2 with a VMID) whose walks are coherent iff ARM_SMMU_FEAT_COHERENCY, and the
/// TLB maintenance it needs through the Command queue (the io-pgtable's flush ops).
/// </summary>
public sealed class ArmSmmuV3Domain : IIommuDomainOps, IIoPageTableFlushOps
{
    /// <summary>CMDQ_MAX_TLBI_OPS: without range invalidation, more pages than this invalidate the whole context.</summary>
    private const int MaxTlbiOps = 1 << (12 - 3);

    private readonly List<ArmSmmuV3Master> _masters = [];
    private readonly Lock _mastersLock = new();
    private readonly ulong[] _cd = new ulong[CTXDESC_CD_DWORDS];
    private ArmLpaeIoPageTable? _table;
    private IotlbGather? _spareGather;
    private int _leafShift;

    private ArmSmmuV3Domain(ArmSmmuV3Driver driver, ArmSmmuV3Stage stage)
    {
        Driver = driver;
        Stage = stage;
    }

    public ArmSmmuV3Driver Driver { get; }

    public ArmSmmuV3Stage Stage { get; }

    /// <summary>The stage-1 ASID (0 for stage 2).</summary>
    public int Asid { get; private set; }

    /// <summary>The stage-2 VMID (0 for stage 1).</summary>
    public int Vmid { get; private set; }

    /// <summary>The domain's page table.</summary>
    public ArmLpaeIoPageTable Table => _table!;

    /// <summary>The stage-1 context descriptor attached masters use (arm_smmu_make_s1_cd).</summary>
    public IReadOnlyList<ulong> Cd => _cd;

    internal ReadOnlySpan<ulong> CdWords => _cd;

    /// <summary>True once enforce_cache_coherency succeeded.</summary>
    public bool EnforcesCacheCoherency { get; private set; }

    /// <summary>Masters currently attached.</summary>
    public IReadOnlyList<ArmSmmuV3Master> Masters
    {
        get
        {
            lock (_mastersLock)
            {
                return [.. _masters];
            }
        }
    }

    /// <summary>
    /// arm_smmu_domain_alloc_paging + arm_smmu_domain_finalise(): stage 1: ias = min(48 or 52 with
    /// VAX, VA_BITS 48), oas = SMMU ias; stage 2: ias = SMMU ias, oas = SMMU oas (S2FWB quirk when
    /// supported). EOPNOTSUPP for a stage the SMMU lacks, ENOSPC without a free ASID/VMID.
    /// </summary>
    internal static Errno TryCreate(ArmSmmuV3Driver driver, ArmSmmuV3Stage stage, out IommuDomain? domain)
    {
        domain = null;
        ArmSmmuV3Features need = stage == ArmSmmuV3Stage.S1 ? ArmSmmuV3Features.TransS1 : ArmSmmuV3Features.TransS2;
        if ((driver.Features & need) == 0)
        {
            return Errno.EOPNOTSUPP;
        }

        var ops = new ArmSmmuV3Domain(driver, stage);
        bool coherent = (driver.Features & ArmSmmuV3Features.Coherency) != 0;
        IoPageTableConfig cfg = stage == ArmSmmuV3Stage.S1
            ? new IoPageTableConfig
            {
                Format = ArmLpaeFormat.Arm64LpaeS1,
                Ias = Math.Min((driver.Features & ArmSmmuV3Features.Vax) != 0 ? 52 : 48, 48),
                Oas = driver.Ias,
                PgsizeBitmap = driver.PgsizeBitmap,
                CoherentWalk = coherent,
            }
            : new IoPageTableConfig
            {
                Format = ArmLpaeFormat.Arm64LpaeS2,
                Ias = driver.Ias,
                Oas = driver.Oas,
                PgsizeBitmap = driver.PgsizeBitmap,
                CoherentWalk = coherent,
                Quirks = (driver.Features & ArmSmmuV3Features.S2Fwb) != 0 ? ArmLpaeQuirks.ArmS2Fwb : ArmLpaeQuirks.None,
            };
        PageTableStatus st = ArmLpaeIoPageTable.TryCreate(cfg, driver.Memory, driver.Allocator, ops, out ArmLpaeIoPageTable? table);
        if (st != PageTableStatus.Ok)
        {
            return st == PageTableStatus.NoMemory ? Errno.ENOMEM : Errno.EINVAL;
        }

        ops._table = table!;
        ops._leafShift = BitOperations.TrailingZeroCount(table!.PgsizeBitmap);
        if (stage == ArmSmmuV3Stage.S1)
        {
            int asid = driver.AllocAsid();
            if (asid < 0)
            {
                table.Free();
                return Errno.ENOSPC;
            }

            ops.Asid = asid;
            ops.MakeS1Cd();
        }
        else
        {
            int vmid = driver.AllocVmid();
            if (vmid < 0)
            {
                table.Free();
                return Errno.ENOSPC;
            }

            ops.Vmid = vmid;
        }

        int ias = table.Config.Ias;
        domain = new IommuDomain(ops)
        {
            PgsizeBitmap = table.PgsizeBitmap,
            Geometry = new IommuDomainGeometry(0, ias >= 64 ? ulong.MaxValue : (1UL << ias) - 1, true),
        };
        return Errno.Ok;
    }

    public Errno AttachDev(IommuDomain domain, Device dev, IommuDomain? old)
    {
        ArgumentNullException.ThrowIfNull(dev);
        return dev.Iommu?.Priv is ArmSmmuV3Master master ? Driver.AttachPaging(master, this) : Errno.EINVAL;
    }

    /// <summary>arm_smmu_map_pages(): the io-pgtable map (no TLB maintenance: invalid entries are not cached).</summary>
    public Errno MapPages(IommuDomain domain, ulong iova, ulong paddr, ulong pgsize, ulong pgcount, IommuProt prot, out ulong mapped) =>
        ToErrno(_table!.MapPages(iova, paddr, pgsize, pgcount, prot, out mapped));

    /// <summary>
    /// arm_smmu_unmap_pages(): the io-pgtable unmap; leaves are gathered (arm_smmu_tlb_inv_page_nosync
    /// syncing first when the page size changes or the range would become disjoint) and invalidated
    /// at iotlb_sync.
    /// </summary>
    public ulong UnmapPages(IommuDomain domain, ulong iova, ulong pgsize, ulong pgcount, ref IommuIotlbGather gather)
    {
        IotlbGather g = Interlocked.Exchange(ref _spareGather, null) ?? new IotlbGather();
        g.Reset();
        g.Queued = gather.Queued;
        ulong unmapped = _table!.UnmapPages(iova, pgsize, pgcount, g);
        if (!g.IsEmpty)
        {
            ulong size = g.End - g.Start + 1;
            if ((gather.PgSize != 0 && gather.PgSize != g.PgSize) || gather.IsDisjoint(g.Start, size))
            {
                IotlbSync(domain, ref gather);
                gather.Init();
            }

            gather.PgSize = g.PgSize;
            gather.AddRange(g.Start, size);
        }

        _spareGather = g;
        return unmapped;
    }

    public ulong IovaToPhys(IommuDomain domain, ulong iova) => _table!.IovaToPhys(iova);

    /// <summary>arm_smmu_iotlb_sync(): a leaf range invalidation of the gathered range, then CMD_SYNC.</summary>
    public void IotlbSync(IommuDomain domain, ref IommuIotlbGather gather)
    {
        if (gather.PgSize == 0 || gather.IsEmpty)
        {
            return;
        }

        InvRange(gather.Start, gather.End - gather.Start + 1, gather.PgSize, leaf: true);
    }

    /// <summary>arm_smmu_flush_iotlb_all().</summary>
    public void FlushIotlbAll(IommuDomain domain) => TlbFlushAll();

    /// <summary>arm_smmu_enforce_cache_coherency(): true iff every attached master is CANWBS; remembered for later attaches.</summary>
    public bool EnforceCacheCoherency(IommuDomain domain)
    {
        if (Driver.Options.KernelProfile == ArmSmmuV3KernelProfile.Before2022)
        {
            return false;
        }

        lock (_mastersLock)
        {
            bool ok = _masters.TrueForAll(m => m.Canwbs);
            EnforcesCacheCoherency = ok;
            return ok;
        }
    }

    /// <summary>arm_smmu_domain_free_paging(): flush the context (free_io_pgtable_ops), free the tables and the ASID/VMID.</summary>
    public void Free(IommuDomain domain)
    {
        TlbFlushAll();
        _table!.Free();
        if (Stage == ArmSmmuV3Stage.S1)
        {
            Driver.FreeAsid(Asid);
        }
        else
        {
            Driver.FreeVmid(Vmid);
        }
    }

    /// <summary>arm_smmu_tlb_inv_context(): TLBI_NH_ASID (stage 1) or TLBI_S12_VMALL (stage 2), then CMD_SYNC.</summary>
    public void TlbFlushAll()
    {
        Span<ulong> cmd = stackalloc ulong[2];
        cmd[0] = Stage == ArmSmmuV3Stage.S1
            ? CMDQ_OP_TLBI_NH_ASID | ((ulong)(uint)Asid << CMDQ_TLBI_0_ASID_SHIFT)
            : CMDQ_OP_TLBI_S12_VMALL | ((ulong)(uint)Vmid << CMDQ_TLBI_0_VMID_SHIFT);
        cmd[1] = 0;
        Driver.IssueCmds(cmd, sync: true);
    }

    /// <summary>arm_smmu_tlb_inv_walk(): a non-leaf range invalidation (walk caches too), synchronous.</summary>
    public void TlbFlushWalk(ulong iova, ulong size, ulong granule) => InvRange(iova, size, granule, leaf: false);

    /// <summary>arm_smmu_tlb_inv_page_nosync(): gather the page, syncing first if it cannot be merged.</summary>
    public void TlbAddPage(IotlbGather gather, ulong iova, ulong granule)
    {
        ArgumentNullException.ThrowIfNull(gather);
        if (gather.NeedsSyncBefore(iova, granule))
        {
            InvRange(gather.Start, gather.End - gather.Start + 1, gather.PgSize, leaf: true);
            gather.Reset();
        }

        gather.Add(iova, granule);
    }

    internal void AddMaster(ArmSmmuV3Master master)
    {
        lock (_mastersLock)
        {
            _masters.Add(master);
        }
    }

    internal void Detach(ArmSmmuV3Master master)
    {
        lock (_mastersLock)
        {
            _masters.Remove(master);
        }
    }

    /// <summary>
    /// __arm_smmu_tlb_inv_range(): TLBI_NH_VA (stage 1) or TLBI_S2_IPA (stage 2) commands, as
    /// range commands (NUM/SCALE/TG/TTL) when IDR3.RIL, else one per granule; more than
    /// CMDQ_MAX_TLBI_OPS granules without RIL invalidate the whole context instead. Batched, then
    /// CMD_SYNC. Allocation-free.
    /// </summary>
    private void InvRange(ulong iova, ulong size, ulong granule, bool leaf)
    {
        if (size == 0)
        {
            return;
        }

        bool ril = (Driver.Features & ArmSmmuV3Features.RangeInv) != 0;
        if (!ril && size >= MaxTlbiOps * granule)
        {
            TlbFlushAll();
            return;
        }

        ulong w0 = Stage == ArmSmmuV3Stage.S1
            ? CMDQ_OP_TLBI_NH_VA | ((ulong)(uint)Asid << CMDQ_TLBI_0_ASID_SHIFT)
            : CMDQ_OP_TLBI_S2_IPA | ((ulong)(uint)Vmid << CMDQ_TLBI_0_VMID_SHIFT);
        ulong w1Base = leaf ? CMDQ_TLBI_1_LEAF : 0;
        ulong addrMask = Stage == ArmSmmuV3Stage.S1 ? CMDQ_TLBI_1_VA_MASK : CMDQ_TLBI_1_IPA_MASK;
        int tg = _leafShift;
        ulong numPages = 0;
        if (ril)
        {
            numPages = size >> tg;
            w1Base |= (ulong)((tg - 10) / 2) << CMDQ_TLBI_1_TG_SHIFT;
            if (leaf)
            {
                int ttl = 4 - ((BitOperations.Log2(granule) - 3) / (tg - 3));
                w1Base |= (ulong)(ttl & 3) << CMDQ_TLBI_1_TTL_SHIFT;
            }
        }

        Span<ulong> batch = stackalloc ulong[2 * CMDQ_BATCH_ENTRIES];
        int n = 0;
        ulong end = iova + size;
        while (iova < end)
        {
            ulong cmd0 = w0;
            ulong invRange = granule;
            if (ril)
            {
                if (numPages == 0)
                {
                    break;
                }

                int scale = BitOperations.TrailingZeroCount(numPages);
                ulong num = (numPages >> scale) & CMDQ_TLBI_RANGE_NUM_MAX;
                cmd0 |= ((ulong)scale << CMDQ_TLBI_0_SCALE_SHIFT) | ((num - 1) << CMDQ_TLBI_0_NUM_SHIFT);
                invRange = num << (scale + tg);
                numPages -= num << scale;
            }

            if (n == batch.Length)
            {
                Driver.IssueCmds(batch, sync: false);
                n = 0;
            }

            batch[n++] = cmd0;
            batch[n++] = w1Base | (iova & addrMask);
            iova += invRange;
        }

        Driver.IssueCmds(batch[..n], sync: true);
    }

    /// <summary>arm_smmu_make_s1_cd().</summary>
    private void MakeS1Cd()
    {
        ArmLpaeTcr tcr = _table!.Tcr;
        _cd[0] = ((ulong)(uint)tcr.Tsz << CTXDESC_CD_0_TCR_T0SZ_SHIFT) |
                 ((ulong)(uint)tcr.Tg << CTXDESC_CD_0_TCR_TG0_SHIFT) |
                 ((ulong)(uint)tcr.Irgn << CTXDESC_CD_0_TCR_IRGN0_SHIFT) |
                 ((ulong)(uint)tcr.Orgn << CTXDESC_CD_0_TCR_ORGN0_SHIFT) |
                 ((ulong)(uint)tcr.Sh << CTXDESC_CD_0_TCR_SH0_SHIFT) |
                 CTXDESC_CD_0_TCR_EPD1 | CTXDESC_CD_0_V |
                 ((ulong)(uint)tcr.Ips << CTXDESC_CD_0_TCR_IPS_SHIFT) |
                 CTXDESC_CD_0_AA64 | CTXDESC_CD_0_R | CTXDESC_CD_0_A | CTXDESC_CD_0_ASET |
                 ((ulong)(uint)Asid << CTXDESC_CD_0_ASID_SHIFT);
        _cd[1] = _table.Ttbr & CTXDESC_CD_1_TTB0_MASK;
        _cd[3] = _table.Mair;
    }

    private static Errno ToErrno(PageTableStatus st) => st switch
    {
        PageTableStatus.Ok => Errno.Ok,
        PageTableStatus.Exists => Errno.EEXIST,
        PageTableStatus.NoMemory => Errno.ENOMEM,
        PageTableStatus.Range => Errno.ERANGE,
        _ => Errno.EINVAL,
    };
}
