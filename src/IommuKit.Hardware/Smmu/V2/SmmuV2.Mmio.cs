using IommuKit.Hardware.Memory;
using static IommuKit.Hardware.Smmu.V2.SmmuV2Registers;

namespace IommuKit.Hardware.Smmu.V2;

/// <summary>
/// The programming interface: page 0 (GR0), page 1 (GR1), pages 2..NUMPAGE−1 (RAZ/WI), then one
/// page per context bank. Registers are 32-bit, some 64-bit; accesses are 4 or 8 bytes, naturally
/// aligned (anything else is a slave error and changes nothing). An 8-byte access to a pair of
/// 32-bit registers acts on both, low first; a 4-byte access to half of a 64-bit register reads or
/// writes that half, except that the 64-bit operation registers (TLBIVA…, TLBIIPAS2…, ATS1PR)
/// act on a write of their low word (the AArch32 form) and ignore their high word.
/// Unimplemented and reserved registers read as zero and ignore writes.
/// </summary>
public sealed partial class SmmuV2
{
    /// <summary>Reads a register (4 bytes, or 8 bytes at an 8-byte-aligned offset).</summary>
    public BusStatus MmioRead(ulong offset, int size, out ulong value)
    {
        value = 0;
        if (!IsValidAccess(offset, size))
        {
            return BusStatus.SlaveError;
        }

        lock (_lock)
        {
            ulong pair = Read64Aligned(offset & ~7UL);
            value = size == 8 ? pair : (offset & 4) != 0 ? pair >> 32 : pair & 0xFFFF_FFFF;
        }

        return BusStatus.Ok;
    }

    /// <summary>Writes a register (4 bytes, or 8 bytes at an 8-byte-aligned offset).</summary>
    public BusStatus MmioWrite(ulong offset, int size, ulong value)
    {
        if (!IsValidAccess(offset, size))
        {
            return BusStatus.SlaveError;
        }

        lock (_lock)
        {
            BeginMutation();
            if (size == 8)
            {
                Write64(offset, value);
            }
            else
            {
                Write32(offset, (uint)value);
            }

            UpdateInterrupts();
            EndMutation();
        }

        RaiseInterruptEdges();
        return BusStatus.Ok;
    }

    private bool IsValidAccess(ulong offset, int size) =>
        (size == 4 || size == 8) && (offset & (ulong)(size - 1)) == 0 && offset < _features.RegisterSpaceSize;

    private enum Page
    {
        None,
        Gr0,
        Gr1,
        ContextBank,
    }

    private Page Locate(ulong offset, out int reg, out SmmuV2ContextBank? bank)
    {
        ulong page = offset >> _pageShift;
        reg = (int)(offset & ((1UL << _pageShift) - 1));
        bank = null;
        if (page == 0)
        {
            return Page.Gr0;
        }

        if (page == 1)
        {
            return Page.Gr1;
        }

        ulong cb = page - (ulong)_numPage;
        if (page >= (ulong)_numPage && cb < (ulong)_banks.Length)
        {
            bank = _banks[cb];
            return Page.ContextBank;
        }

        return Page.None;
    }

    private ulong Read64Aligned(ulong offset)
    {
        switch (Locate(offset, out int reg, out SmmuV2ContextBank? bank))
        {
            case Page.Gr0:
                return reg == SMMU_sGFAR ? _sgfar : Gr0Read32(reg) | ((ulong)Gr0Read32(reg + 4) << 32);
            case Page.Gr1:
                return Gr1Read32(reg) | ((ulong)Gr1Read32(reg + 4) << 32);
            case Page.ContextBank:
                return CbRead64(bank!, reg);
            default:
                return 0;
        }
    }

    private void Write64(ulong offset, ulong value)
    {
        Page page = Locate(offset, out int reg, out SmmuV2ContextBank? bank);
        if (page == Page.Gr0 && reg == SMMU_sGFAR)
        {
            _sgfar = value;
            return;
        }

        if (page == Page.ContextBank && IsCb64(reg))
        {
            CbWrite64(bank!, reg, value);
            return;
        }

        Write32(offset, (uint)value);
        Write32(offset + 4, (uint)(value >> 32));
    }

    private void Write32(ulong offset, uint value)
    {
        switch (Locate(offset, out int reg, out SmmuV2ContextBank? bank))
        {
            case Page.Gr0:
                if ((reg & ~7) == SMMU_sGFAR)
                {
                    _sgfar = (reg & 4) != 0 ? (_sgfar & 0xFFFF_FFFF) | ((ulong)value << 32) : (_sgfar & ~0xFFFF_FFFFUL) | value;
                }
                else
                {
                    Gr0Write32(reg, value);
                }

                break;
            case Page.Gr1:
                Gr1Write32(reg, value);
                break;
            case Page.ContextBank:
                if (IsCb64(reg & ~7))
                {
                    CbWriteHalf(bank!, reg, value);
                }
                else
                {
                    CbWrite32(bank!, reg, value);
                }

                break;
        }
    }

    // ---- GR0 ----------------------------------------------------------------------------

    private uint Scr0WriteMask =>
        0xBFFF_FFFFu & ~(_features.ExtendedStreamIds ? 0 : sCR0_EXIDENABLE) & ~(_features.Vmid16 ? 0 : sCR0_VMID16EN);

    private uint Gr0Read32(int reg)
    {
        switch (reg)
        {
            case SMMU_sCR0: return _scr0;
            case SMMU_sCR2: return _scr2;
            case SMMU_sACR: return _sacr;
            case SMMU_IDR0: return _features.Idr0;
            case SMMU_IDR1: return _features.Idr1;
            case SMMU_IDR2: return _features.Idr2;
            case SMMU_IDR7: return _features.Idr7;
            case SMMU_sGFAR: return (uint)_sgfar;
            case SMMU_sGFAR + 4: return (uint)(_sgfar >> 32);
            case SMMU_sGFSR: return _sgfsr;
            case SMMU_sGFSYNR0: return _sgfsynr0;
            case SMMU_sGFSYNR1: return _sgfsynr1;
            case SMMU_sGFSYNR2: return _sgfsynr2;
        }

        if (reg >= SMMU_SMR0 && reg < SMMU_SMR0 + (4 * _smr.Length))
        {
            return _smr[(reg - SMMU_SMR0) >> 2];
        }

        if (reg >= SMMU_S2CR0 && reg < SMMU_S2CR0 + (4 * _s2cr.Length))
        {
            return _s2cr[(reg - SMMU_S2CR0) >> 2];
        }

        return 0; // IDR3–6, write-only operations, sTLBGSTATUS (never active), reserved
    }

    private void Gr0Write32(int reg, uint value)
    {
        switch (reg)
        {
            case SMMU_sCR0:
                _scr0 = value & Scr0WriteMask;
                ClearStreamCache();
                MarkBanksDirty(); // VMID16EN changes every bank's VMID
                return;
            case SMMU_sCR2:
                _scr2 = value & 0xFF; // BPVMID
                return;
            case SMMU_sACR:
                _sacr = value;
                return;
            case SMMU_sGFSR:
                _sgfsr &= ~value;
                return;
            case SMMU_sGFSRRESTORE:
                _sgfsr = value & GlobalFaultBits;
                return;
            case SMMU_sGFSYNR0:
                _sgfsynr0 = value & 0xFF;
                return;
            case SMMU_sGFSYNR1:
                _sgfsynr1 = value;
                return;
            case SMMU_sGFSYNR2:
                _sgfsynr2 = value;
                return;
            case SMMU_TLBIVMID:
                _tlb.InvalidateVmid((ushort)(value & ((_scr0 & sCR0_VMID16EN) != 0 ? 0xFFFFu : 0xFFu)));
                return;
            case SMMU_TLBIALLNSNH:
                _tlb.InvalidateAll();
                return;
            case SMMU_TLBIALLH:
            case SMMU_sTLBGSYNC:
                return; // no hypervisor contexts; invalidations complete at once
        }

        if (reg >= SMMU_SMR0 && reg < SMMU_SMR0 + (4 * _smr.Length))
        {
            WriteSmr((reg - SMMU_SMR0) >> 2, value);
        }
        else if (reg >= SMMU_S2CR0 && reg < SMMU_S2CR0 + (4 * _s2cr.Length))
        {
            WriteS2cr((reg - SMMU_S2CR0) >> 2, value);
        }
    }

    private void MarkBanksDirty()
    {
        foreach (SmmuV2ContextBank b in _banks)
        {
            b.Dirty = true;
        }
    }

    // ---- GR1 ----------------------------------------------------------------------------

    private uint Cba2rWriteMask =>
        !_version2 ? 0 : ((_features.Granule4K || _features.Granule16K || _features.Granule64K ? CBA2R_VA64 : 0) | (_features.Vmid16 ? 0xFFFF_0000u : 0));

    private uint Gr1Read32(int reg)
    {
        int n = (reg & 0x3FF) >> 2;
        if (n >= _banks.Length)
        {
            return 0;
        }

        return reg switch
        {
            < SMMU_CBFRSYNRA0 => _banks[n].Cbar,
            < SMMU_CBA2R0 => _banks[n].Cbfrsynra,
            < SMMU_CBA2R0 + 0x400 => _banks[n].Cba2r,
            _ => 0,
        };
    }

    private void Gr1Write32(int reg, uint value)
    {
        int n = (reg & 0x3FF) >> 2;
        if (n >= _banks.Length || reg >= SMMU_CBA2R0 + 0x400)
        {
            return;
        }

        SmmuV2ContextBank b = _banks[n];
        if (reg < SMMU_CBFRSYNRA0)
        {
            b.Cbar = value & 0xFF03_FFFF;
        }
        else if (reg < SMMU_CBA2R0)
        {
            b.Cbfrsynra = value & 0xFFFF;
        }
        else
        {
            b.Cba2r = value & Cba2rWriteMask;
        }

        b.Dirty = true;
    }

    // ---- Context banks ------------------------------------------------------------------

    private static bool IsCb64(int reg) => reg switch
    {
        SMMU_CBn_TTBR0 or SMMU_CBn_TTBR1 or SMMU_CBn_PAR or SMMU_CBn_FAR or SMMU_CBn_IPAFAR => true,
        SMMU_CBn_TLBIVA or SMMU_CBn_TLBIVAA or SMMU_CBn_TLBIVAL or SMMU_CBn_TLBIVAAL => true,
        SMMU_CBn_TLBIIPAS2 or SMMU_CBn_TLBIIPAS2L or SMMU_CBn_ATS1PR => true,
        _ => false,
    };

    private static ulong CbRead64(SmmuV2ContextBank b, int reg) => reg switch
    {
        SMMU_CBn_TTBR0 => b.Ttbr0,
        SMMU_CBn_TTBR1 => b.Ttbr1,
        SMMU_CBn_PAR => b.Par,
        SMMU_CBn_FAR => b.Far,
        SMMU_CBn_IPAFAR => b.Ipafar,
        _ => CbRead32(b, reg) | ((ulong)CbRead32(b, reg + 4) << 32),
    };

    private static uint CbRead32(SmmuV2ContextBank b, int reg) => reg switch
    {
        SMMU_CBn_SCTLR => b.Sctlr,
        SMMU_CBn_ACTLR => b.Actlr,
        SMMU_CBn_TCR2 => b.Tcr2,
        SMMU_CBn_TCR => b.Tcr,
        SMMU_CBn_CONTEXTIDR => b.Contextidr,
        SMMU_CBn_MAIR0 => b.Mair0,
        SMMU_CBn_MAIR1 => b.Mair1,
        SMMU_CBn_FSR => b.Fsr,
        SMMU_CBn_FSYNR0 => b.Fsynr0,
        SMMU_CBn_FSYNR1 => b.Fsynr1,
        _ => 0, // write-only operations, TLBSTATUS and ATSR (never active), reserved
    };

    private void CbWrite32(SmmuV2ContextBank b, int reg, uint value)
    {
        switch (reg)
        {
            case SMMU_CBn_SCTLR:
                b.Sctlr = value & 0x3FFF_F7FFu;
                break;
            case SMMU_CBn_ACTLR:
                b.Actlr = value;
                return;
            case SMMU_CBn_TCR2:
                b.Tcr2 = _version2 ? value & 0x0003_801Fu : 0;
                break;
            case SMMU_CBn_TCR:
                b.Tcr = value;
                break;
            case SMMU_CBn_CONTEXTIDR:
                b.Contextidr = value;
                return;
            case SMMU_CBn_MAIR0:
                b.Mair0 = value;
                break;
            case SMMU_CBn_MAIR1:
                b.Mair1 = value;
                break;
            case SMMU_CBn_FSR:
                b.Fsr &= ~(value & FSR_FAULT);
                if ((b.Fsr & FSR_FAULT) == 0)
                {
                    b.Fsr = 0; // FORMAT describes the recorded fault; nothing is recorded now
                }

                return;
            case SMMU_CBn_FSRRESTORE:
                b.Fsr = value & (FSR_FAULT | (3u << FSR_FORMAT_Shift));
                return;
            case SMMU_CBn_FSYNR0:
                b.Fsynr0 = value & 0x00FF_0FF3u;
                return;
            case SMMU_CBn_FSYNR1:
                b.Fsynr1 = value;
                return;
            case SMMU_CBn_TLBIASID:
                TlbiAsid(b, value);
                return;
            case SMMU_CBn_TLBIALL:
                TlbiAll(b);
                return;
            default:
                return; // RESUME (no stalls), TLBSYNC (invalidation is immediate), reserved
        }

        b.Dirty = true;
    }

    private void CbWriteHalf(SmmuV2ContextBank b, int reg, uint value)
    {
        int reg64 = reg & ~7;
        bool high = (reg & 4) != 0;
        ulong current = CbRead64(b, reg64);
        ulong merged = high ? (current & 0xFFFF_FFFF) | ((ulong)value << 32) : (current & ~0xFFFF_FFFFUL) | value;
        switch (reg64)
        {
            case SMMU_CBn_TTBR0:
            case SMMU_CBn_TTBR1:
            case SMMU_CBn_PAR:
            case SMMU_CBn_FAR:
            case SMMU_CBn_IPAFAR:
                CbWrite64(b, reg64, merged);
                return;
            default:
                if (!high)
                {
                    CbWrite64(b, reg64, value);
                }

                return;
        }
    }

    private void CbWrite64(SmmuV2ContextBank b, int reg, ulong value)
    {
        switch (reg)
        {
            case SMMU_CBn_TTBR0:
                b.Ttbr0 = value;
                b.Dirty = true;
                return;
            case SMMU_CBn_TTBR1:
                b.Ttbr1 = value;
                b.Dirty = true;
                return;
            case SMMU_CBn_PAR:
                b.Par = value;
                return;
            case SMMU_CBn_FAR:
                b.Far = value;
                return;
            case SMMU_CBn_IPAFAR:
                b.Ipafar = value;
                return;
            case SMMU_CBn_TLBIVA:
            case SMMU_CBn_TLBIVAL:
                TlbiVa(b, value, allAsids: false);
                return;
            case SMMU_CBn_TLBIVAA:
            case SMMU_CBn_TLBIVAAL:
                TlbiVa(b, value, allAsids: true);
                return;
            case SMMU_CBn_TLBIIPAS2:
            case SMMU_CBn_TLBIIPAS2L:
                TlbiIpa(b, value);
                return;
            case SMMU_CBn_ATS1PR:
                Ats1pr(b, value);
                return;
        }
    }
}
