using static IommuKit.Kernel.Drivers.ArmSmmu.ArmSmmuRegs;

namespace IommuKit.Kernel.Drivers.ArmSmmu;

public sealed partial class ArmSmmuDriver
{
    /// <summary>The domain using context bank <paramref name="cbndx"/>, or null.</summary>
    public ArmSmmuDomain? ContextBankDomain(int cbndx)
    {
        lock (_contextLock)
        {
            return _cbs[cbndx].Cfg;
        }
    }

    /// <summary>__arm_smmu_alloc_bitmap(): the first free bank in [start, end), or −ENOSPC.</summary>
    internal int AllocContextBank(int start, int end)
    {
        lock (_contextLock)
        {
            for (int i = start; i < end; i++)
            {
                if (!_contextMap[i])
                {
                    _contextMap[i] = true;
                    return i;
                }
            }

            return -(int)Errno.ENOSPC;
        }
    }

    internal void FreeContextBank(int idx)
    {
        lock (_contextLock)
        {
            _contextMap[idx] = false;
        }
    }

    /// <summary>arm_smmu_v1 context interrupt index: round-robin over the context interrupts.</summary>
    internal int NextIrptndx() => Interlocked.Increment(ref _irptndxCounter) % NumContextIrqs;

    internal ArmSmmuCb Cb(int idx) => _cbs[idx];

    internal void SetContextBankDomain(int idx, ArmSmmuDomain? domain)
    {
        lock (_contextLock)
        {
            _cbs[idx].Cfg = domain;
        }
    }

    /// <summary>
    /// arm_smmu_write_context_bank(): an unassigned bank is just disabled (SCTLR = 0); otherwise
    /// CBA2R, CBAR, TCR2/TCR (before the TTBRs, which they govern), TTBRs, MAIRs, then SCTLR.
    /// </summary>
    internal void WriteContextBank(int idx)
    {
        ArmSmmuCb cb = _cbs[idx];
        ArmSmmuDomain? cfg = cb.Cfg;
        if (cfg is null)
        {
            CbWrite(idx, CbSctlr, 0);
            return;
        }

        bool stage1 = cfg.Cbar != CbarTypeS2Trans;
        uint reg;
        if (Version > 1)
        {
            reg = cfg.Format == ArmSmmuContextFormat.Aarch64 ? Cba2rVa64 : 0;
            if ((Features & ArmSmmuFeatures.Vmid16) != 0)
            {
                reg |= (uint)cfg.Vmid << Cba2rVmid16Shift;
            }

            Gr1Write(Gr1Cba2r(idx), reg);
        }

        reg = cfg.Cbar << CbarTypeShift;
        if (Version < 2)
        {
            reg |= (uint)cfg.Irptndx << CbarIrptndxShift;
        }

        // The weakest shareability and memory type, so that TCR and PTE attributes win.
        if (stage1)
        {
            reg |= (CbarS1BpshcfgNsh << CbarS1BpshcfgShift) | (CbarS1MemattrWb << CbarS1MemattrShift);
        }
        else if ((Features & ArmSmmuFeatures.Vmid16) == 0)
        {
            reg |= (uint)cfg.Vmid & 0xFF; // 8-bit VMIDs live in CBAR
        }

        Gr1Write(Gr1Cbar(idx), reg);

        if (stage1 && Version > 1)
        {
            CbWrite(idx, CbTcr2, cb.Tcr[1]);
        }

        CbWrite(idx, CbTcr, cb.Tcr[0]);
        CbWriteQ(idx, CbTtbr0, cb.Ttbr[0]);
        if (stage1)
        {
            CbWriteQ(idx, CbTtbr1, cb.Ttbr[1]);
            CbWrite(idx, CbMair0, cb.Mair[0]);
            CbWrite(idx, CbMair1, cb.Mair[1]);
        }

        reg = SctlrCfie | SctlrCfre | SctlrAfe | SctlrTre | SctlrM;
        if (stage1)
        {
            reg |= SctlrS1Asidpne;
        }

        CbWrite(idx, CbSctlr, reg);
    }
}
