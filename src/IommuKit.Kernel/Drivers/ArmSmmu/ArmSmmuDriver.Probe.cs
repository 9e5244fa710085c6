using IommuKit.Hardware.Memory;
using static IommuKit.Kernel.Drivers.ArmSmmu.ArmSmmuRegs;

namespace IommuKit.Kernel.Drivers.ArmSmmu;

public sealed partial class ArmSmmuDriver
{
    private const ulong SZ4K = 1UL << 12;
    private const ulong SZ16K = 1UL << 14;
    private const ulong SZ64K = 1UL << 16;
    private const ulong SZ1M = 1UL << 20;
    private const ulong SZ2M = 1UL << 21;
    private const ulong SZ16M = 1UL << 24;
    private const ulong SZ32M = 1UL << 25;
    private const ulong SZ512M = 1UL << 29;
    private const ulong SZ1G = 1UL << 30;

    /// <summary>arm_smmu_device_cfg_probe(): features and sizes from IDR0–IDR2 plus firmware.</summary>
    private Errno DeviceCfgProbe()
    {
        bool cttwFw = Firmware.DmaCoherent;
        ArmSmmuFeatures features = cttwFw ? ArmSmmuFeatures.CoherentWalk : ArmSmmuFeatures.None;
        DevNotice("probing hardware configuration...");
        DevNotice($"SMMUv{(Version == 2 ? 2 : 1)} with:");

        if (_memory.Read32(_base + Gr0Id0, BusAccess.Cpu, out uint id) != BusStatus.Ok)
        {
            DevErr("failed to read ID registers");
            return Errno.ENODEV;
        }

        // Restrict available stages based on the module parameter.
        if (Options.ForceStage == 1)
        {
            id &= ~(Id0S2ts | Id0Nts);
        }
        else if (Options.ForceStage == 2)
        {
            id &= ~(Id0S1ts | Id0Nts);
        }

        if ((id & Id0S1ts) != 0)
        {
            features |= ArmSmmuFeatures.TransS1;
            DevNotice("\tstage 1 translation");
        }

        if ((id & Id0S2ts) != 0)
        {
            features |= ArmSmmuFeatures.TransS2;
            DevNotice("\tstage 2 translation");
        }

        if ((id & Id0Nts) != 0)
        {
            features |= ArmSmmuFeatures.TransNested;
            DevNotice("\tnested translation");
        }

        if ((features & (ArmSmmuFeatures.TransS1 | ArmSmmuFeatures.TransS2)) == 0)
        {
            DevErr("\tno translation support!");
            return Errno.ENODEV;
        }

        if ((id & Id0S1ts) != 0 && (Version < 2 || (id & Id0Atosns) == 0))
        {
            features |= ArmSmmuFeatures.TransOps;
            DevNotice("\taddress translation ops");
        }

        // The DMA API must agree with firmware about coherency, whatever IDR0.CTTW claims; this
        // also works around integrations that strap CTTW wrongly.
        bool cttwReg = (id & Id0Cttw) != 0;
        if (cttwFw || cttwReg)
        {
            DevNotice($"\t{(cttwFw ? string.Empty : "non-")}coherent table walk");
        }

        if (cttwFw != cttwReg)
        {
            DevNotice("\t(IDR0.CTTW overridden by FW configuration)");
        }

        uint size;
        if (Version == 2 && (id & Id0Exids) != 0)
        {
            features |= ArmSmmuFeatures.Exids;
            size = 1u << 16;
        }
        else
        {
            size = 1u << (int)((id >> Id0NumsidbShift) & 0xF);
        }

        StreamIdMask = size - 1;
        bool streamMatch = (id & Id0Sms) != 0;
        if (streamMatch)
        {
            features |= ArmSmmuFeatures.StreamMatch;
            size = id & Id0NumsmrgMask;
            if (size == 0)
            {
                DevErr("stream-matching supported, but no SMRs present!");
                return Errno.ENODEV;
            }

            _smrs = new ArmSmmuSmr[size];
            DevNotice($"\tstream matching with {size} register groups");
        }

        _s2crs = new ArmSmmuS2cr[size];
        for (int i = 0; i < _s2crs.Length; i++)
        {
            _s2crs[i] = S2crInitVal;
        }

        NumMappingGroups = (int)size;

        if (Version < 2 || (id & Id0PtfsNoAarch32) == 0)
        {
            features |= ArmSmmuFeatures.FmtAarch32L;
            if ((id & Id0PtfsNoAarch32S) == 0)
            {
                features |= ArmSmmuFeatures.FmtAarch32S;
            }
        }

        // ID1
        id = Gr0Read(Gr0Id1);
        PageShift = (id & Id1Pagesize) != 0 ? 16 : 12;
        size = 1u << (int)(((id >> Id1NumpagendxbShift) & 0x7) + 1);
        ulong expected = 2UL * size << PageShift;
        if (Firmware.RegionSize != expected)
        {
            DevWarn($"SMMU address space size (0x{expected:x}) differs from mapped region size (0x{Firmware.RegionSize:x})!");
        }

        NumPage = (int)size;
        NumS2ContextBanks = (int)((id >> Id1Nums2cbShift) & 0xFF);
        NumContextBanks = (int)(id & 0xFF);
        if (NumS2ContextBanks > NumContextBanks)
        {
            DevErr("impossible number of S2 context banks!");
            return Errno.ENODEV;
        }

        DevNotice($"\t{NumContextBanks} context banks ({NumS2ContextBanks} stage-2 only)");
        _cbs = new ArmSmmuCb[NumContextBanks];
        for (int i = 0; i < _cbs.Length; i++)
        {
            _cbs[i] = new ArmSmmuCb();
        }

        _contextMap = new bool[NumContextBanks];

        // ID2
        id = Gr0Read(Gr0Id2);
        IpaSize = IdSizeToBits(id & 0xF);
        PaSize = IdSizeToBits((id >> Id2OasShift) & 0xF);
        if ((id & Id2Vmid16) != 0)
        {
            features |= ArmSmmuFeatures.Vmid16;
        }

        if (Version < 2)
        {
            VaSize = IpaSize;
        }
        else
        {
            VaSize = IdSizeToBits((id >> Id2UbsShift) & 0xF);
            if ((id & Id2Ptfs4K) != 0)
            {
                features |= ArmSmmuFeatures.FmtAarch64_4K;
            }

            if ((id & Id2Ptfs16K) != 0)
            {
                features |= ArmSmmuFeatures.FmtAarch64_16K;
            }

            if ((id & Id2Ptfs64K) != 0)
            {
                features |= ArmSmmuFeatures.FmtAarch64_64K;
            }
        }

        ulong pgsize = 0;
        if ((features & ArmSmmuFeatures.FmtAarch32S) != 0)
        {
            pgsize |= SZ4K | SZ64K | SZ1M | SZ16M;
        }

        if ((features & (ArmSmmuFeatures.FmtAarch32L | ArmSmmuFeatures.FmtAarch64_4K)) != 0)
        {
            pgsize |= SZ4K | SZ2M | SZ1G;
        }

        if ((features & ArmSmmuFeatures.FmtAarch64_16K) != 0)
        {
            pgsize |= SZ16K | SZ32M;
        }

        if ((features & ArmSmmuFeatures.FmtAarch64_64K) != 0)
        {
            pgsize |= SZ64K | SZ512M;
        }

        PgsizeBitmap = pgsize;
        Features = features;
        DevNotice($"\tSupported page sizes: 0x{pgsize:x8}");
        if ((features & ArmSmmuFeatures.TransS1) != 0)
        {
            DevNotice($"\tStage-1: {VaSize}-bit VA -> {IpaSize}-bit IPA");
        }

        if ((features & ArmSmmuFeatures.TransS2) != 0)
        {
            DevNotice($"\tStage-2: {IpaSize}-bit IPA -> {PaSize}-bit PA");
        }

        return Errno.Ok;
    }

    /// <summary>arm_smmu_device_reset(): all stream map entries and context banks to their idle state, TLBs invalidated, then sCR0.</summary>
    private void DeviceReset()
    {
        // Clear the global FSR.
        uint reg = Gr0Read(Gr0Sgfsr);
        Gr0Write(Gr0Sgfsr, reg);

        // SMRs invalid, S2CRs fault or bypass (disable_bypass).
        for (int i = 0; i < NumMappingGroups; i++)
        {
            WriteSme(i);
        }

        // Every context bank disabled, its FSR cleared.
        for (int i = 0; i < NumContextBanks; i++)
        {
            WriteContextBank(i);
            CbWrite(i, CbFsr, FsrFault);
        }

        // Invalidate the TLB, just in case.
        Gr0Write(Gr0Tlbiallh, DummyVal);
        Gr0Write(Gr0Tlbiallnsnh, DummyVal);

        reg = Gr0Read(Gr0Scr0);
        reg |= Scr0Gfre | Scr0Gfie | Scr0GcfgFre | Scr0GcfgFie; // fault reporting
        reg |= Scr0VmidPne | Scr0Ptm; // no TLB broadcasting
        reg &= ~Scr0ClientPd;
        reg = Options.DisableBypass ? reg | Scr0Usfcfg : reg & ~Scr0Usfcfg;
        reg &= ~Scr0Fb;
        reg &= ~Scr0Bsu;
        if ((Features & ArmSmmuFeatures.Vmid16) != 0)
        {
            reg |= Scr0Vmid16En;
        }

        if ((Features & ArmSmmuFeatures.Exids) != 0)
        {
            reg |= Scr0ExidEnable;
        }

        if (Firmware.IsMmu500)
        {
            Mmu500Reset();
        }

        // Push the button.
        TlbSyncGlobal();
        Gr0Write(Gr0Scr0, reg);
    }

    /// <summary>arm_mmu500_reset() (arm-smmu-impl.c): sACR TLB-enable bits and the next-page prefetcher off.</summary>
    private void Mmu500Reset()
    {
        uint major = (Gr0Read(Gr0Id7) >> 4) & 0xF;
        uint reg = Gr0Read(Gr0Sacr);
        if (major >= 2)
        {
            reg &= ~Mmu500AcrCacheLock;
        }

        reg |= Mmu500AcrSmtnmbTlbEn | Mmu500AcrS2crbTlbEn;
        Gr0Write(Gr0Sacr, reg);
        for (int i = 0; i < NumContextBanks; i++)
        {
            reg = CbRead(i, CbActlr);
            reg &= ~Mmu500ActlrCpre;
            CbWrite(i, CbActlr, reg);
            reg = CbRead(i, CbActlr);
            if ((reg & Mmu500ActlrCpre) != 0 && !_warnedPrefetcher)
            {
                _warnedPrefetcher = true;
                DevWarn("Failed to disable prefetcher for errata workarounds, check SACR.CACHE_LOCK");
            }
        }
    }

    /// <summary>
    /// arm_smmu_test_smr_masks(): write all-ones ID, then all-ones MASK, to a free SMR and keep the
    /// bits that stick (SMR.ID bits may not hold while MASK bits are set, hence one at a time).
    /// </summary>
    private void TestSmrMasks()
    {
        if (_smrs.Length == 0)
        {
            SmrMaskMask = 0;
            return;
        }

        int i = Array.FindIndex(_smrs, s => !s.Valid);
        if (i < 0)
        {
            return;
        }

        uint smr = StreamIdMask & SmrIdMask;
        Gr0Write(Gr0Smr + (i << 2), smr);
        smr = Gr0Read(Gr0Smr + (i << 2));
        StreamIdMask = smr & SmrIdMask;

        smr = (StreamIdMask & SmrIdMask) << SmrMaskShift;
        Gr0Write(Gr0Smr + (i << 2), smr);
        smr = Gr0Read(Gr0Smr + (i << 2));
        SmrMaskMask = (smr >> SmrMaskShift) & SmrIdMask;
    }

    /// <summary>
    /// __arm_smmu_tlb_sync(): write the sync register, then poll the status register, backing off
    /// as Linux does (TLB_SPIN_COUNT reads per step, delays doubling up to TLB_LOOP_TIMEOUT µs);
    /// false and an error message if it never completes.
    /// </summary>
    internal bool TlbSync(ulong page, int sync, int status)
    {
        _memory.Write32(page + (ulong)sync, DummyVal, BusAccess.Cpu);
        for (int delay = 1; delay < TlbLoopTimeout; delay *= 2)
        {
            for (int spin = TlbSpinCount; spin > 0; spin--)
            {
                _memory.Read32(page + (ulong)status, BusAccess.Cpu, out uint reg);
                if ((reg & TlbstatusSactive) == 0)
                {
                    return true;
                }
            }
        }

        DevErr("TLB sync timed out -- SMMU may be deadlocked");
        return false;
    }

    /// <summary>arm_smmu_tlb_sync_global().</summary>
    internal void TlbSyncGlobal()
    {
        lock (_globalSyncLock)
        {
            TlbSync(_base, Gr0Stlbgsync, Gr0Stlbgstatus);
        }
    }

    /// <summary>arm_smmu_tlb_sync_context() without the domain lock (the caller holds it).</summary>
    internal void TlbSyncContextLocked(int cbndx) => TlbSync(CbBase(cbndx), CbTlbsync, CbTlbstatus);

}
