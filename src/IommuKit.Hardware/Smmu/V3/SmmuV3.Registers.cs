using IommuKit.Hardware.Memory;
using static IommuKit.Hardware.Smmu.V3.SmmuV3Registers;

namespace IommuKit.Hardware.Smmu.V3;

/// <summary>The register file (SMMUv3 §6.3): ID registers, control, global errors, queue and table bases.</summary>
public sealed partial class SmmuV3
{
    private readonly uint _idr0;
    private readonly uint _idr1;
    private readonly uint _idr3;
    private readonly uint _idr5;

    private uint _cr0;
    private volatile bool _smmuEnabled;
    private uint _cr1;
    private uint _cr2;
    private volatile uint _gbpa;
    private uint _irqCtrl;
    private uint _gerror;
    private uint _gerrorn;
    private ulong _strtabBase;
    private uint _strtabBaseCfg;
    private ulong _cmdqBase;
    private uint _cmdqProd;
    private uint _cmdqCons;
    private ulong _eventqBase;
    private uint _eventqProd;
    private uint _eventqCons;

    /// <inheritdoc />
    public BusStatus MmioRead(ulong offset, int size, out ulong value)
    {
        value = 0;
        if (!AccessOk(offset, size))
        {
            return BusStatus.SlaveError;
        }

        lock (_lock)
        {
            if (size == 8)
            {
                if (!TryRead64(offset, out value))
                {
                    return BusStatus.SlaveError;
                }

                return BusStatus.Ok;
            }

            // A 32-bit access: a 32-bit register, or one half of a 64-bit register.
            ulong reg = offset & ~7UL;
            if (TryRead64(reg, out ulong wide))
            {
                value = (offset & 4) == 0 ? (uint)wide : (uint)(wide >> 32);
            }
            else
            {
                value = Read32(offset);
            }

            return BusStatus.Ok;
        }
    }

    /// <inheritdoc />
    public BusStatus MmioWrite(ulong offset, int size, ulong value)
    {
        if (!AccessOk(offset, size))
        {
            return BusStatus.SlaveError;
        }

        lock (_lock)
        {
            ulong reg = offset & ~7UL;
            if (size == 8)
            {
                if (!Is64BitRegister(offset))
                {
                    return BusStatus.SlaveError;
                }

                Write64(offset, value);
            }
            else if (Is64BitRegister(reg))
            {
                TryRead64(reg, out ulong old);
                ulong merged = (offset & 4) == 0 ? (old & 0xFFFF_FFFF_0000_0000) | (uint)value : (old & 0xFFFF_FFFF) | (value << 32);
                Write64(reg, merged);
            }
            else
            {
                Write32(offset, (uint)value);
            }
        }

        FlushIrqs();
        return BusStatus.Ok;
    }

    private static bool AccessOk(ulong offset, int size) =>
        offset < Size && (size == 4 || size == 8) && (offset & (ulong)(size - 1)) == 0;

    private static bool Is64BitRegister(ulong offset) => offset is SMMU_STRTAB_BASE or SMMU_CMDQ_BASE or SMMU_EVENTQ_BASE;

    private bool TryRead64(ulong offset, out ulong value)
    {
        switch (offset)
        {
            case SMMU_STRTAB_BASE:
                value = _strtabBase;
                return true;
            case SMMU_CMDQ_BASE:
                value = _cmdqBase;
                return true;
            case SMMU_EVENTQ_BASE:
                value = _eventqBase;
                return true;
            default:
                value = 0;
                return false;
        }
    }

    private uint Read32(ulong offset) => offset switch
    {
        SMMU_IDR0 => _idr0,
        SMMU_IDR1 => _idr1,
        SMMU_IDR3 => _idr3,
        SMMU_IDR5 => _idr5,
        SMMU_IIDR => Features.Iidr,
        SMMU_AIDR => 0x02, // SMMUv3.2
        SMMU_CR0 or SMMU_CR0ACK => _cr0, // updates are acknowledged at once
        SMMU_CR1 => _cr1,
        SMMU_CR2 => _cr2,
        SMMU_GBPA => _gbpa,
        SMMU_IRQ_CTRL or SMMU_IRQ_CTRLACK => _irqCtrl,
        SMMU_GERROR => _gerror,
        SMMU_GERRORN => _gerrorn,
        SMMU_STRTAB_BASE_CFG => _strtabBaseCfg,
        SMMU_CMDQ_PROD => _cmdqProd,
        SMMU_CMDQ_CONS => _cmdqCons,
        SMMU_EVENTQ_PROD => _eventqProd,
        SMMU_EVENTQ_CONS => _eventqCons,
        _ => 0, // IDR2, IDR4, STATUSR, AGBPA, the RES0 *_IRQ_CFG registers and unimplemented space read as zero
    };

    private void Write64(ulong offset, ulong value)
    {
        switch (offset)
        {
            case SMMU_STRTAB_BASE when (_cr0 & CR0_SMMUEN) == 0:
                _strtabBase = value & (STRTAB_BASE_RA | AddressMask(6, _oas));
                break;
            case SMMU_CMDQ_BASE when (_cr0 & CR0_CMDQEN) == 0:
                _cmdqBase = value & (Q_BASE_RWA | AddressMask(5, _oas) | Q_BASE_LOG2SIZE);
                break;
            case SMMU_EVENTQ_BASE when (_cr0 & CR0_EVENTQEN) == 0:
                _eventqBase = value & (Q_BASE_RWA | AddressMask(5, _oas) | Q_BASE_LOG2SIZE);
                break;
            default:
                break; // written while guarded (SMMUv3.2: IGNORED)
        }
    }

    private void Write32(ulong offset, uint value)
    {
        switch (offset)
        {
            case SMMU_CR0:
                WriteCr0(value);
                break;
            case SMMU_CR1 when (_cr0 & (CR0_SMMUEN | CR0_CMDQEN | CR0_EVENTQEN)) == 0:
                _cr1 = value & CR1_Mask;
                break;
            case SMMU_CR2 when (_cr0 & CR0_SMMUEN) == 0:
                _cr2 = value & (CR2_RECINVSID | (Features.Hyp ? CR2_E2H : 0));
                break;
            case SMMU_GBPA when (value & GBPA_UPDATE) != 0:
                // The update completes at once, so Update reads back as 0. Writes without Update are IGNORED (SMMUv3.2).
                _gbpa = value & GBPA_Mask;
                break;
            case SMMU_IRQ_CTRL:
                _irqCtrl = value & (IRQ_CTRL_GERROR_IRQEN | IRQ_CTRL_EVENTQ_IRQEN);
                break;
            case SMMU_GERRORN:
                WriteGerrorn(value & GERROR_Mask);
                break;
            case SMMU_STRTAB_BASE_CFG when (_cr0 & CR0_SMMUEN) == 0:
                _strtabBaseCfg = value & (Features.TwoLevelStreamTable ? STRTAB_BASE_CFG_Mask : 0x3Fu);
                break;
            case SMMU_CMDQ_PROD:
                _cmdqProd = value & QueueIndexMask(CommandQueueLog2());
                ProcessCommands();
                break;
            case SMMU_CMDQ_CONS when (_cr0 & CR0_CMDQEN) == 0:
                _cmdqCons = (_cmdqCons & ~QueueIndexMask(19)) | (value & QueueIndexMask(CommandQueueLog2()));
                break;
            case SMMU_EVENTQ_PROD when (_cr0 & CR0_EVENTQEN) == 0:
                _eventqProd = value & (QueueIndexMask(EventQueueLog2()) | Q_OVFLG);
                break;
            case SMMU_EVENTQ_CONS:
                _eventqCons = value & (QueueIndexMask(EventQueueLog2()) | Q_OVFLG);
                break;
            default:
                break; // read-only, guarded (IGNORED) or RES0
        }
    }

    private void WriteCr0(uint value)
    {
        uint old = _cr0;
        _cr0 = value & (CR0_SMMUEN | CR0_EVENTQEN | CR0_CMDQEN);
        _smmuEnabled = (_cr0 & CR0_SMMUEN) != 0;
        if ((old & CR0_CMDQEN) == 0 && (_cr0 & CR0_CMDQEN) != 0)
        {
            ProcessCommands();
        }
    }

    private void WriteGerrorn(uint value)
    {
        bool cmdqErrWasActive = ((_gerror ^ _gerrorn) & GERROR_CMDQ_ERR) != 0;
        _gerrorn = value;
        if (cmdqErrWasActive && ((_gerror ^ _gerrorn) & GERROR_CMDQ_ERR) == 0)
        {
            ProcessCommands(); // acknowledging CMDQ_ERR restarts consumption at CONS (§7.1)
        }
    }

    /// <summary>Activates a global error unless it is already active, and pends the GERROR interrupt.</summary>
    private void RaiseGlobalError(uint bit)
    {
        if (((_gerror ^ _gerrorn) & bit) != 0)
        {
            return; // already active: not logged again (§7.5)
        }

        _gerror ^= bit;
        if ((_irqCtrl & IRQ_CTRL_GERROR_IRQEN) != 0)
        {
            PendIrq(SmmuV3Irq.GlobalError);
        }
    }

    private bool GlobalErrorActive(uint bit) => ((_gerror ^ _gerrorn) & bit) != 0;

    /// <summary>Index and wrap bit of a queue of 2^log2 entries.</summary>
    private static uint QueueIndexMask(int log2) => (2u << log2) - 1;

    private int CommandQueueLog2() => (int)Math.Min(_cmdqBase & Q_BASE_LOG2SIZE, (ulong)Features.CommandQueueLog2Entries);

    private int EventQueueLog2() => (int)Math.Min(_eventqBase & Q_BASE_LOG2SIZE, (ulong)Features.EventQueueLog2Entries);

    /// <summary>The effective queue base: ADDR aligned to the larger of the queue size and 32 bytes (§6.3.26).</summary>
    private static ulong QueueBase(ulong baseReg, int log2, int entryShift, int oas)
    {
        int align = Math.Max(log2 + entryShift, 5);
        return baseReg & AddressMask(align, oas);
    }

    /// <summary>Bus attribute of queue accesses (SMMU_CR1.QUEUE_*).</summary>
    private BusAccess QueueAccess() => SmmuV3Attributes.OwnAccess(
        CoherentWalk,
        SmmuV3Attributes.Cr1IsWriteBack((int)(_cr1 >> CR1_QUEUE_IC) & 3),
        SmmuV3Attributes.Cr1IsWriteBack((int)(_cr1 >> CR1_QUEUE_OC) & 3),
        (int)(_cr1 >> CR1_QUEUE_SH) & 3);

    /// <summary>Bus attribute of Stream table accesses (SMMU_CR1.TABLE_*).</summary>
    private BusAccess TableAccess() => SmmuV3Attributes.OwnAccess(
        CoherentWalk,
        SmmuV3Attributes.Cr1IsWriteBack((int)(_cr1 >> CR1_TABLE_IC) & 3),
        SmmuV3Attributes.Cr1IsWriteBack((int)(_cr1 >> CR1_TABLE_OC) & 3),
        (int)(_cr1 >> CR1_TABLE_SH) & 3);

    private static uint ComputeIdr0(SmmuV3Features f)
    {
        uint v = 0;
        v |= f.Stage2 ? 1u << IDR0_S2P : 0;
        v |= f.Stage1 ? 1u << IDR0_S1P : 0;
        v |= 2u << IDR0_TTF; // AArch64 tables only
        v |= f.CoherentAccess ? 1u << IDR0_COHACC : 0;
        v |= (uint)f.Httu << IDR0_HTTU;
        v |= f.Hyp ? 1u << IDR0_HYP : 0;
        v |= f.Asid16 ? 1u << IDR0_ASID16 : 0;
        v |= f.Vmid16 ? 1u << IDR0_VMID16 : 0;
        v |= f.TwoLevelCdTable ? 1u << IDR0_CD2L : 0;
        v |= 2u << IDR0_TTENDIAN; // little-endian tables only
        v |= 1u << IDR0_STALL_MODEL; // no stall
        v |= f.TerminateAbortOnly ? 1u << IDR0_TERM_MODEL : 0;
        v |= f.TwoLevelStreamTable ? 1u << IDR0_ST_LEVEL : 0;
        return v;
    }

    private static uint ComputeIdr1(SmmuV3Features f) =>
        ((uint)f.StreamIdBits << IDR1_SIDSIZE) |
        ((uint)f.SubstreamIdBits << IDR1_SSIDSIZE) |
        ((uint)f.EventQueueLog2Entries << IDR1_EVENTQS) |
        ((uint)f.CommandQueueLog2Entries << IDR1_CMDQS);

    private static uint ComputeIdr5(SmmuV3Features f) =>
        ((uint)PageTables.ArmLpae.ArmLpaeWalkConfig.PsFromAddressSize(f.OutputAddressBits) << IDR5_OAS) |
        (f.Granule4K ? 1u << IDR5_GRAN4K : 0) |
        (f.Granule16K ? 1u << IDR5_GRAN16K : 0) |
        (f.Granule64K ? 1u << IDR5_GRAN64K : 0);
}
