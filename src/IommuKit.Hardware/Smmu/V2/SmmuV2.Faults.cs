using IommuKit.Hardware.PageTables.ArmLpae;
using static IommuKit.Hardware.Smmu.V2.SmmuV2Registers;

namespace IommuKit.Hardware.Smmu.V2;

/// <summary>Fault recording (SMMU_CBn_FSR / FAR / FSYNR0 / IPAFAR, SMMU_sGFSR / sGFAR / sGFSYNRn) and interrupt lines.</summary>
public sealed partial class SmmuV2
{
    private const uint GlobalFaultBits = sGFSR_ICF | sGFSR_USF | sGFSR_SMCF | sGFSR_UCBF | sGFSR_UCIF | sGFSR_CAF | sGFSR_EF | sGFSR_PF | sGFSR_UUT | sGFSR_MULTI;

    private readonly bool[] _lineLevel;
    private readonly bool[] _lineScratch;
    private bool _globalLevel;
    private bool _globalEdge;
    private volatile bool _edgePending;
    private ulong _lineEdges0;
    private ulong _lineEdges1;
    private ulong _lineEdges2;
    private ulong _lineEdges3;

    /// <summary>True while the global fault interrupt is asserted: sGFSR holds a fault and sCR0.GFIE is set.</summary>
    public bool GlobalInterruptPending
    {
        get
        {
            lock (_lock)
            {
                return GlobalLevel();
            }
        }
    }

    /// <summary>True while context bank <paramref name="contextBank"/> asserts its fault interrupt: FSR holds a fault and SCTLR.CFIE is set.</summary>
    public bool ContextInterruptPending(int contextBank)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(contextBank);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(contextBank, _banks.Length);
        lock (_lock)
        {
            return BankAsserts(_banks[contextBank]);
        }
    }

    /// <summary>True while context interrupt line <paramref name="line"/> is asserted by any bank routed to it (bank n on SMMUv2, CBAR.IRPTNDX on SMMUv1).</summary>
    public bool ContextInterruptLinePending(int line)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(line);
        lock (_lock)
        {
            return line < _lineLevel.Length && _lineLevel[line];
        }
    }

    private static bool BankAsserts(SmmuV2ContextBank b) => (b.Fsr & FSR_FAULT) != 0 && (b.Sctlr & SCTLR_CFIE) != 0;

    private bool GlobalLevel() => (_sgfsr & GlobalFaultBits) != 0 && (_scr0 & sCR0_GFIE) != 0;

    private int InterruptLineOf(SmmuV2ContextBank b) => _version2 ? b.Index : (int)(b.Cbar >> CBAR_IRPTNDX_Shift);

    /// <summary>Recomputes the interrupt levels after a register or fault change and notes rising edges (caller holds the lock).</summary>
    private void UpdateInterrupts()
    {
        bool g = GlobalLevel();
        if (g && !_globalLevel)
        {
            _globalEdge = true;
            _edgePending = true;
        }

        _globalLevel = g;
        Span<bool> now = _lineScratch;
        now.Clear();
        foreach (SmmuV2ContextBank b in _banks)
        {
            int line = InterruptLineOf(b);
            if (line < now.Length && BankAsserts(b))
            {
                now[line] = true;
            }
        }

        for (int line = 0; line < now.Length; line++)
        {
            if (now[line] && !_lineLevel[line])
            {
                SetEdge(line);
            }

            _lineLevel[line] = now[line];
        }
    }

    private void SetEdge(int line)
    {
        _edgePending = true;
        ulong bit = 1UL << (line & 63);
        switch (line >> 6)
        {
            case 0: _lineEdges0 |= bit; break;
            case 1: _lineEdges1 |= bit; break;
            case 2: _lineEdges2 |= bit; break;
            default: _lineEdges3 |= bit; break;
        }
    }

    /// <summary>Raises the interrupt events noted while the lock was held. Call after releasing the lock.</summary>
    private void RaiseInterruptEdges()
    {
        if (!_edgePending || _lock.IsHeldByCurrentThread)
        {
            return; // nothing new, or the outermost caller raises them
        }

        bool global;
        ulong e0, e1, e2, e3;
        lock (_lock)
        {
            global = _globalEdge;
            e0 = _lineEdges0;
            e1 = _lineEdges1;
            e2 = _lineEdges2;
            e3 = _lineEdges3;
            _globalEdge = false;
            _edgePending = false;
            _lineEdges0 = _lineEdges1 = _lineEdges2 = _lineEdges3 = 0;
        }

        if (global)
        {
            GlobalInterruptRaised?.Invoke();
        }

        RaiseLines(e0, 0);
        RaiseLines(e1, 64);
        RaiseLines(e2, 128);
        RaiseLines(e3, 192);
    }

    private void RaiseLines(ulong edges, int baseLine)
    {
        while (edges != 0)
        {
            int bit = System.Numerics.BitOperations.TrailingZeroCount(edges);
            edges &= edges - 1;
            ContextInterruptRaised?.Invoke(baseLine + bit);
        }
    }

    /// <summary>Records a global fault and says how the transaction ends (caller holds the lock, inside a mutation).</summary>
    private SmmuV2Translation GlobalFault(uint gfsrBit, SmmuV2Fault fault, in Transaction t)
    {
        if ((_sgfsr & GlobalFaultBits) != 0)
        {
            _sgfsr |= sGFSR_MULTI;
        }
        else
        {
            _sgfsr |= gfsrBit;
            _sgfar = t.Address;
            _sgfsynr0 = (t.Write ? sGFSYNR0_WNR : 0) | (t.Privileged ? sGFSYNR0_PNU : 0) | (t.Instruction ? sGFSYNR0_IND : 0);
            _sgfsynr1 = t.StreamId & 0xFFFF;
            _sgfsynr2 = 0;
        }

        UpdateInterrupts();
        return new SmmuV2Translation
        {
            Status = (_scr0 & sCR0_GFRE) != 0 ? SmmuV2TranslationStatus.FaultAbort : SmmuV2TranslationStatus.FaultRazWi,
            Fault = fault,
            ContextBank = -1,
            RangeShift = 12,
        };
    }

    /// <summary>
    /// Records a context fault in bank <paramref name="b"/> (FSR, FAR, FSYNR0, IPAFAR, CBFRSYNRA)
    /// and says how the transaction ends (caller holds the lock, inside a mutation).
    /// </summary>
    private SmmuV2Translation ContextFault(
        SmmuV2ContextBank b, SmmuV2Fault fault, int level, in Transaction t, ulong ipa, bool tableWalkFault = false, int stage1Bank = 0)
    {
        if ((b.Fsr & FSR_FAULT) != 0)
        {
            b.Fsr |= FSR_MULTI;
        }
        else
        {
            b.Fsr = FsrBit(fault) | (b.FsrFormat << FSR_FORMAT_Shift);
            b.Far = t.Address;
            b.Ipafar = ipa;
            b.Fsynr0 = ((uint)level & FSYNR0_PLVL_Mask) |
                (t.Write ? FSYNR0_WNR : 0) |
                (t.Privileged ? FSYNR0_PNU : 0) |
                (t.Instruction ? FSYNR0_IND : 0) |
                (tableWalkFault ? FSYNR0_PTWF : 0) |
                ((uint)(stage1Bank & 0xFF) << FSYNR0_S1CBNDX_Shift);
            b.Cbfrsynra = t.StreamId & 0xFFFF;
        }

        if ((b.Sctlr & SCTLR_CFIE) != 0 && InterruptLineOf(b) >= _features.ContextInterruptCount)
        {
            // The bank's interrupt goes to a line that does not exist (SMMUv1 CBAR.IRPTNDX).
            RecordGlobalStatus(sGFSR_UCIF, t);
        }

        UpdateInterrupts();
        return new SmmuV2Translation
        {
            Status = (b.Sctlr & SCTLR_CFRE) != 0 ? SmmuV2TranslationStatus.FaultAbort : SmmuV2TranslationStatus.FaultRazWi,
            Fault = fault,
            ContextBank = b.Index,
            RangeShift = 12,
        };
    }

    private void RecordGlobalStatus(uint gfsrBit, in Transaction t)
    {
        if ((_sgfsr & GlobalFaultBits) != 0)
        {
            _sgfsr |= sGFSR_MULTI;
            return;
        }

        _sgfsr |= gfsrBit;
        _sgfar = t.Address;
        _sgfsynr1 = t.StreamId & 0xFFFF;
    }

    private static uint FsrBit(SmmuV2Fault fault) => fault switch
    {
        SmmuV2Fault.AccessFlag => FSR_AFF,
        SmmuV2Fault.Permission => FSR_PF,
        SmmuV2Fault.External => FSR_EF,
        SmmuV2Fault.AddressSize => FSR_ASF,
        _ => FSR_TF,
    };

    private static SmmuV2Fault FromWalk(ArmLpaeFault fault) => fault switch
    {
        ArmLpaeFault.AccessFlag => SmmuV2Fault.AccessFlag,
        ArmLpaeFault.Permission => SmmuV2Fault.Permission,
        ArmLpaeFault.AddressSize => SmmuV2Fault.AddressSize,
        ArmLpaeFault.ExternalAbort => SmmuV2Fault.External,
        _ => SmmuV2Fault.Translation,
    };
}
