using IommuKit.Hardware.PageTables;
using IommuKit.Hardware.PageTables.ArmLpae;
using IommuKit.Kernel.Base;
using IommuKit.Kernel.Iommu;
using static IommuKit.Kernel.Drivers.ArmSmmu.ArmSmmuRegs;

namespace IommuKit.Kernel.Drivers.ArmSmmu;

/// <summary>
/// struct arm_smmu_domain: a paging domain. It is finalised on first attach
/// (arm_smmu_init_domain_context): a context bank, ASID/VMID, an LPAE page table and the bank's
/// registers. It is also the page table's flush-ops cookie (arm_smmu_s1_tlb_ops /
/// arm_smmu_s2_tlb_ops_v2).
/// </summary>
public sealed class ArmSmmuDomain : IIommuDomainOps, IIoPageTableFlushOps
{
    private readonly Lock _initLock = new();
    private readonly Lock _cbLock = new();
    private readonly IotlbGather _gather = new();
    private readonly IotlbGather _queuedGather = new() { Queued = true };
    private ArmLpaeIoPageTable? _table;

    internal ArmSmmuDomain(ArmSmmuDriver driver)
    {
        Driver = driver;
    }

    public ArmSmmuDriver Driver { get; }

    /// <summary>smmu_domain->smmu: set once the domain is finalised on an SMMU.</summary>
    public ArmSmmuDriver? Smmu { get; private set; }

    public ArmSmmuDomainStage Stage { get; private set; }

    /// <summary>The context bank (valid once finalised).</summary>
    public int Cbndx { get; private set; } = -1;

    /// <summary>Context interrupt index (= cbndx on SMMUv2).</summary>
    public int Irptndx { get; private set; } = -1;

    /// <summary>ASID (stage 1: cbndx).</summary>
    public int Asid { get; private set; }

    /// <summary>VMID (stage 2: cbndx + 1).</summary>
    public int Vmid { get; private set; }

    /// <summary>CBAR.TYPE of the bank.</summary>
    public uint Cbar { get; private set; }

    public ArmSmmuContextFormat Format { get; private set; }

    /// <summary>The page table, once finalised.</summary>
    public ArmLpaeIoPageTable? Table => _table;

    /// <summary>
    /// arm_smmu_enable_nesting() (legacy VFIO_TYPE1_NESTING_IOMMU, removed in newer kernels):
    /// request a nested (set up as stage-2) context; EPERM once the domain is finalised.
    /// </summary>
    public Errno EnableNesting()
    {
        lock (_initLock)
        {
            if (Smmu is not null)
            {
                return Errno.EPERM;
            }

            Stage = ArmSmmuDomainStage.Nested;
            return Errno.Ok;
        }
    }

    /// <summary>arm_smmu_attach_dev(): finalise on the device's SMMU (EINVAL if another SMMU owns it), then point its S2CRs here.</summary>
    public Errno AttachDev(IommuDomain domain, Device dev, IommuDomain? old)
    {
        if (dev.Iommu?.Priv is not ArmSmmuMasterCfg cfg)
        {
            return Errno.ENODEV;
        }

        Errno err = InitDomainContext(domain, cfg.Smmu);
        if (err != Errno.Ok)
        {
            return err;
        }

        if (Smmu != cfg.Smmu)
        {
            return Errno.EINVAL;
        }

        cfg.Smmu.MasterInstallS2crs(cfg, S2crTypeTrans, Cbndx);
        return Errno.Ok;
    }

    public Errno MapPages(IommuDomain domain, ulong iova, ulong paddr, ulong pgsize, ulong pgcount, IommuProt prot, out ulong mapped)
    {
        mapped = 0;
        ArmLpaeIoPageTable? table = Volatile.Read(ref _table);
        if (table is null)
        {
            return Errno.ENODEV;
        }

        return table.MapPages(iova, paddr, pgsize, pgcount, prot, out mapped) switch
        {
            PageTableStatus.Ok => Errno.Ok,
            PageTableStatus.Exists => Errno.EEXIST,
            PageTableStatus.NoMemory => Errno.ENOMEM,
            PageTableStatus.Range => Errno.ERANGE,
            _ => Errno.EINVAL,
        };
    }

    public ulong UnmapPages(IommuDomain domain, ulong iova, ulong pgsize, ulong pgcount, ref IommuIotlbGather gather)
    {
        ArmLpaeIoPageTable? table = Volatile.Read(ref _table);
        if (table is null)
        {
            return 0;
        }

        // tlb_add_page issues TLBIVA(L)/TLBIIPAS2(L) at once and never looks at the gather, so a
        // shared, never-mutated gather only carries the "queued" flag.
        return table.UnmapPages(iova, pgsize, pgcount, gather.Queued ? _queuedGather : _gather);
    }

    /// <summary>arm_smmu_iova_to_phys(): the hardware ATS1PR walk for stage 1 when the SMMU has translation ops, else the software walk.</summary>
    public ulong IovaToPhys(IommuDomain domain, ulong iova)
    {
        ArmLpaeIoPageTable? table = Volatile.Read(ref _table);
        if (table is null)
        {
            return 0;
        }

        if ((Smmu!.Features & ArmSmmuFeatures.TransOps) != 0 && Stage == ArmSmmuDomainStage.S1)
        {
            return IovaToPhysHard(table, iova);
        }

        return table.IovaToPhys(iova);
    }

    /// <summary>arm_smmu_iotlb_sync(): wait for the invalidations unmap issued (TLBSYNC on the bank; global sync for v1 stage 2).</summary>
    public void IotlbSync(IommuDomain domain, ref IommuIotlbGather gather)
    {
        ArmSmmuDriver? smmu = Smmu;
        if (smmu is null)
        {
            return;
        }

        if (smmu.Version == 2 || Stage == ArmSmmuDomainStage.S1)
        {
            TlbSyncContext();
        }
        else
        {
            smmu.TlbSyncGlobal();
        }
    }

    /// <summary>arm_smmu_flush_iotlb_all(): tlb_flush_all of the domain's flush ops.</summary>
    public void FlushIotlbAll(IommuDomain domain)
    {
        if (Smmu is not null)
        {
            TlbFlushAll();
        }
    }

    /// <summary>arm_smmu_domain_free() → arm_smmu_destroy_domain_context(): disable the bank, flush, free the table and the bank.</summary>
    public void Free(IommuDomain domain)
    {
        ArmSmmuDriver? smmu = Smmu;
        ArmLpaeIoPageTable? table = _table;
        if (smmu is null || table is null)
        {
            return;
        }

        smmu.SetContextBankDomain(Cbndx, null);
        smmu.WriteContextBank(Cbndx);
        _table = null;
        TlbFlushAll(); // free_io_pgtable_ops() flushes before freeing the tables
        table.Free();
        smmu.FreeContextBank(Cbndx);
    }

    /// <summary>tlb_flush_all: TLBIASID + context sync (stage 1) or TLBIVMID + global sync (stage 2).</summary>
    public void TlbFlushAll()
    {
        ArmSmmuDriver smmu = Smmu!;
        if (Cbar != CbarTypeS2Trans)
        {
            smmu.CbWrite(Cbndx, CbTlbiasid, (uint)Asid);
            TlbSyncContext();
        }
        else
        {
            smmu.Gr0Write(Gr0Tlbivmid, (uint)Vmid);
            smmu.TlbSyncGlobal();
        }
    }

    /// <summary>tlb_flush_walk: TLBIVA (stage 1) or TLBIIPAS2 (stage 2) over the range, then a context sync.</summary>
    public void TlbFlushWalk(ulong iova, ulong size, ulong granule)
    {
        if (Cbar != CbarTypeS2Trans)
        {
            TlbInvRangeS1(iova, size, granule, CbTlbiva);
        }
        else
        {
            TlbInvRangeS2(iova, size, granule, CbTlbiipas2);
        }

        TlbSyncContext();
    }

    /// <summary>tlb_add_page: TLBIVAL (stage 1) or TLBIIPAS2L (stage 2) for one leaf, without waiting.</summary>
    public void TlbAddPage(IotlbGather gather, ulong iova, ulong granule)
    {
        if (Cbar != CbarTypeS2Trans)
        {
            TlbInvRangeS1(iova, granule, granule, CbTlbival);
        }
        else
        {
            TlbInvRangeS2(iova, granule, granule, CbTlbiipas2l);
        }
    }

    /// <summary>The context fault handler's view of this domain (arm_smmu_context_fault).</summary>
    internal bool HandleContextFault()
    {
        ArmSmmuDriver smmu = Smmu!;
        int idx = Cbndx;
        uint fsr = smmu.CbRead(idx, CbFsr);
        uint fsynr = smmu.CbRead(idx, CbFsynr0);
        ulong iova = smmu.CbReadQ(idx, CbFar);
        uint cbfrsynra = smmu.Gr1Read(ArmSmmuRegs.Gr1Cbfrsynra(idx));
        if ((fsr & FsrFault) == 0)
        {
            return false;
        }

        // report_iommu_fault(): no domain fault handler is modelled, so it is always -ENOSYS.
        smmu.DevErr($"Unhandled context fault: fsr=0x{fsr:x}, iova=0x{iova:x8}, fsynr=0x{fsynr:x}, cbfrsynra=0x{cbfrsynra:x}, cb={idx}");
        smmu.CbWrite(idx, CbFsr, fsr);
        return true;
    }

    /// <summary>arm_smmu_init_domain_context(): finalise the domain on <paramref name="smmu"/> (no-op if already done).</summary>
    private Errno InitDomainContext(IommuDomain domain, ArmSmmuDriver smmu)
    {
        lock (_initLock)
        {
            if (Smmu is not null)
            {
                return Errno.Ok;
            }

            // Map the requested stage onto what the SMMU supports (S1+S2 SMMUs need not nest).
            ArmSmmuFeatures f = smmu.Features;
            if ((f & ArmSmmuFeatures.TransNested) == 0 && Stage == ArmSmmuDomainStage.Nested)
            {
                Stage = ArmSmmuDomainStage.S2;
            }

            if ((f & ArmSmmuFeatures.TransS1) == 0)
            {
                Stage = ArmSmmuDomainStage.S2;
            }

            if ((f & ArmSmmuFeatures.TransS2) == 0)
            {
                Stage = ArmSmmuDomainStage.S1;
            }

            // A 64-bit kernel: AArch64 if any granule is offered, else AArch32 LPAE (no v7s io-pgtable).
            ArmSmmuContextFormat fmt = ArmSmmuContextFormat.None;
            if ((f & ArmSmmuFeatures.FmtAarch32L) != 0)
            {
                fmt = ArmSmmuContextFormat.Aarch32L;
            }

            if ((f & (ArmSmmuFeatures.FmtAarch64_4K | ArmSmmuFeatures.FmtAarch64_16K | ArmSmmuFeatures.FmtAarch64_64K)) != 0)
            {
                fmt = ArmSmmuContextFormat.Aarch64;
            }

            if (fmt == ArmSmmuContextFormat.None)
            {
                return Errno.EINVAL;
            }

            int start;
            int ias;
            int oas;
            ArmLpaeFormat pgfmt;
            uint cbar;
            if (Stage == ArmSmmuDomainStage.S1)
            {
                cbar = CbarTypeS1TransS2Bypass;
                start = smmu.NumS2ContextBanks;
                ias = smmu.VaSize;
                oas = smmu.IpaSize;
                if (fmt == ArmSmmuContextFormat.Aarch64)
                {
                    pgfmt = ArmLpaeFormat.Arm64LpaeS1;
                }
                else
                {
                    pgfmt = ArmLpaeFormat.Arm32LpaeS1;
                    ias = Math.Min(ias, 32);
                    oas = Math.Min(oas, 40);
                }
            }
            else
            {
                // Nested is set up as a stage-2 context too.
                cbar = CbarTypeS2Trans;
                start = 0;
                ias = smmu.IpaSize;
                oas = smmu.PaSize;
                if (fmt == ArmSmmuContextFormat.Aarch64)
                {
                    pgfmt = ArmLpaeFormat.Arm64LpaeS2;
                }
                else
                {
                    pgfmt = ArmLpaeFormat.Arm32LpaeS2;
                    ias = Math.Min(ias, 40);
                    oas = Math.Min(oas, 40);
                }
            }

            int cbndx = smmu.AllocContextBank(start, smmu.NumContextBanks);
            if (cbndx < 0)
            {
                return (Errno)(-cbndx);
            }

            Format = fmt;
            Cbar = cbar;
            Cbndx = cbndx;
            Irptndx = smmu.Version < 2 ? smmu.NextIrptndx() : cbndx;
            if (Stage == ArmSmmuDomainStage.S1)
            {
                Asid = cbndx;
            }
            else
            {
                Vmid = cbndx + 1;
            }

            Smmu = smmu; // the flush ops need it while the table is built
            var pgtblCfg = new IoPageTableConfig
            {
                Format = pgfmt,
                PgsizeBitmap = smmu.PgsizeBitmap,
                Ias = ias,
                Oas = oas,
                CoherentWalk = (f & ArmSmmuFeatures.CoherentWalk) != 0,
                CpuPageSize = smmu.Options.CpuPageSize,
            };
            if (ArmLpaeIoPageTable.TryCreate(pgtblCfg, smmu.Memory, smmu.TableAllocator, this, out ArmLpaeIoPageTable? table) != PageTableStatus.Ok)
            {
                smmu.FreeContextBank(cbndx);
                Smmu = null;
                Cbndx = -1;
                return Errno.ENOMEM;
            }

            domain.PgsizeBitmap = table!.PgsizeBitmap;
            domain.Geometry = new IommuDomainGeometry(0, ias >= 64 ? ulong.MaxValue : (1UL << ias) - 1, true);

            InitContextBank(smmu, table);
            smmu.SetContextBankDomain(cbndx, this);
            smmu.WriteContextBank(cbndx);
            Volatile.Write(ref _table, table);
            return Errno.Ok;
        }
    }

    /// <summary>arm_smmu_init_context_bank(): TCR/TCR2 or VTCR, TTBRs with the ASID, MAIRs.</summary>
    private void InitContextBank(ArmSmmuDriver smmu, ArmLpaeIoPageTable table)
    {
        ArmSmmuCb cb = smmu.Cb(Cbndx);
        bool stage1 = Cbar != CbarTypeS2Trans;
        if (stage1)
        {
            ArmLpaeTcr t = table.Tcr;
            uint tcr = ((uint)t.Tg << TcrTg0Shift) | ((uint)t.Sh << TcrSh0Shift) | ((uint)t.Orgn << TcrOrgn0Shift) |
                ((uint)t.Irgn << TcrIrgn0Shift) | ((uint)t.Tsz & 0x3F) | TcrEpd1;
            uint tcr2 = ((uint)t.Ips & 0xF) | (Tcr2SepUpstream << Tcr2SepShift);
            if (Format == ArmSmmuContextFormat.Aarch64)
            {
                tcr2 |= Tcr2As;
            }
            else
            {
                tcr |= TcrEae;
            }

            cb.Tcr[0] = tcr;
            cb.Tcr[1] = tcr2;
            cb.Ttbr[0] = ((ulong)(uint)Asid << TtbrAsidShift) | table.Ttbr;
            cb.Ttbr[1] = (ulong)(uint)Asid << TtbrAsidShift;
            cb.Mair[0] = (uint)table.Mair;
            cb.Mair[1] = (uint)(table.Mair >> 32);
        }
        else
        {
            cb.Tcr[0] = VtcrRes1 | (uint)table.Vtcr.Value;
            cb.Tcr[1] = 0;
            cb.Ttbr[0] = table.Ttbr;
            cb.Ttbr[1] = 0;
            cb.Mair[0] = 0;
            cb.Mair[1] = 0;
        }
    }

    /// <summary>arm_smmu_tlb_sync_context(): under the domain's cb_lock.</summary>
    private void TlbSyncContext()
    {
        lock (_cbLock)
        {
            Smmu!.TlbSyncContextLocked(Cbndx);
        }
    }

    /// <summary>arm_smmu_tlb_inv_range_s1(): one TLBIVA(L) per granule, tagged with the ASID.</summary>
    private void TlbInvRangeS1(ulong iova, ulong size, ulong granule, int reg)
    {
        ArmSmmuDriver smmu = Smmu!;
        int idx = Cbndx;
        if (Format != ArmSmmuContextFormat.Aarch64)
        {
            iova = (iova >> 12) << 12;
            iova |= (uint)Asid;
            do
            {
                smmu.CbWrite(idx, reg, (uint)iova);
                iova += granule;
                size -= granule;
            }
            while (size != 0);
        }
        else
        {
            iova >>= 12;
            iova |= (ulong)(uint)Asid << 48;
            do
            {
                smmu.CbWriteQ(idx, reg, iova);
                iova += granule >> 12;
                size -= granule;
            }
            while (size != 0);
        }
    }

    /// <summary>arm_smmu_tlb_inv_range_s2(): one TLBIIPAS2(L) per granule (IPA >> 12).</summary>
    private void TlbInvRangeS2(ulong iova, ulong size, ulong granule, int reg)
    {
        ArmSmmuDriver smmu = Smmu!;
        int idx = Cbndx;
        iova >>= 12;
        do
        {
            if (Format == ArmSmmuContextFormat.Aarch64)
            {
                smmu.CbWriteQ(idx, reg, iova);
            }
            else
            {
                smmu.CbWrite(idx, reg, (uint)iova);
            }

            iova += granule >> 12;
            size -= granule;
        }
        while (size != 0);
    }

    /// <summary>
    /// arm_smmu_iova_to_phys_hard(): ATS1PR, poll ATSR (readl_poll_timeout_atomic, 5 µs steps
    /// up to 50 µs), read PAR; a fault logs and returns 0; a timeout falls back to the table walk.
    /// As in Linux, the result keeps PA bits [39:12] only.
    /// </summary>
    private ulong IovaToPhysHard(ArmLpaeIoPageTable table, ulong iova)
    {
        ArmSmmuDriver smmu = Smmu!;
        int idx = Cbndx;
        ulong phys;
        lock (_cbLock)
        {
            ulong va = iova & ~0xFFFUL;
            if (Format == ArmSmmuContextFormat.Aarch64)
            {
                smmu.CbWriteQ(idx, CbAts1pr, va);
            }
            else
            {
                smmu.CbWrite(idx, CbAts1pr, (uint)va);
            }

            bool done = false;
            for (int polls = 0; polls <= 10; polls++)
            {
                if ((smmu.CbRead(idx, CbAtsr) & AtsrActive) == 0)
                {
                    done = true;
                    break;
                }
            }

            if (!done)
            {
                smmu.DevErr($"iova to phys timed out on 0x{iova:x16}. Falling back to software table walk.");
                return table.IovaToPhys(iova);
            }

            phys = smmu.CbReadQ(idx, CbPar);
        }

        if ((phys & ParF) != 0)
        {
            smmu.DevErr("translation fault!");
            smmu.DevErr($"PAR = 0x{phys:x}");
            return 0;
        }

        return (phys & 0x000000FF_FFFFF000UL) | (iova & 0xFFF);
    }
}
