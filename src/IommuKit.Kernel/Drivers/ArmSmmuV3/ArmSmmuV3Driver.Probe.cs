using System.Numerics;
using IommuKit.Hardware.Memory;
using IommuKit.Kernel.Printk;
using static IommuKit.Kernel.Drivers.ArmSmmuV3.ArmSmmuV3Regs;

namespace IommuKit.Kernel.Drivers.ArmSmmuV3;

public sealed partial class ArmSmmuV3Driver
{
    private BusAccess _structAccess;

    /// <summary>
    /// arm_smmu_device_probe(): firmware checks (<c>#iommu-cells</c> must be 1: ENODEV), the
    /// hardware probe (ENXIO for what Linux cannot drive), queue and Stream table allocation
    /// (ENOMEM), the device reset (ETIMEDOUT if the SMMU does not acknowledge) and
    /// iommu_device_register, which probes the masters already known to the kernel.
    /// </summary>
    public Errno Probe()
    {
        if (Probed)
        {
            throw new InvalidOperationException("The SMMU was already probed.");
        }

        // arm_smmu_device_dt_probe
        if (Options.IommuCells != 1)
        {
            DevPrint(KernelLogLevel.Err, $"invalid #iommu-cells value ({Options.IommuCells})");
            return Errno.ENODEV;
        }

        Features = Options.DmaCoherent ? ArmSmmuV3Features.Coherency : ArmSmmuV3Features.None;
        _structAccess = Options.DmaCoherent ? BusAccess.Cpu : BusAccess.NoSnoop;
        Errno ret = HwProbe();
        if (ret == Errno.Ok)
        {
            ret = InitStructures();
        }

        if (ret == Errno.Ok)
        {
            ret = DeviceReset();
        }

        if (ret != Errno.Ok)
        {
            return ret;
        }

        _asidMap = new bool[1 << AsidBits];
        _vmidMap = new bool[1 << VmidBits];
        Probed = true;
        ret = _subsystem.IommuDeviceRegister(Instance, this, HwDev);
        if (ret != Errno.Ok)
        {
            Probed = false;
            DevPrint(KernelLogLevel.Err, "Failed to register iommu");
        }

        return ret;
    }

    /// <summary>arm_smmu_device_hw_probe(): reads IDR0/1/3/5 into features, sizes and page sizes.</summary>
    private Errno HwProbe()
    {
        if (!TryReadReg(IDR0, out uint reg))
        {
            DevPrint(KernelLogLevel.Err, "SMMU registers not accessible");
            return Errno.ENXIO;
        }

        ArmSmmuV3Features f = Features;
        if (((reg >> IDR0_ST_LVL_SHIFT) & 3) == 1)
        {
            f |= ArmSmmuV3Features.TwoLevelStrtab;
        }

        if (Bit(reg, IDR0_CD2L))
        {
            f |= ArmSmmuV3Features.TwoLevelCdtab;
        }

        // The modelled CPU is little-endian.
        switch ((reg >> IDR0_TTENDIAN_SHIFT) & 3)
        {
            case 0:
                f |= ArmSmmuV3Features.TtLe | ArmSmmuV3Features.TtBe;
                break;
            case 2:
                f |= ArmSmmuV3Features.TtLe;
                break;
            default:
                DevPrint(KernelLogLevel.Err, "unknown/unsupported TT endianness!");
                return Errno.ENXIO;
        }

        if (Bit(reg, IDR0_PRI))
        {
            f |= ArmSmmuV3Features.Pri;
        }

        if (Bit(reg, IDR0_ATS))
        {
            f |= ArmSmmuV3Features.Ats;
        }

        if (Bit(reg, IDR0_SEV))
        {
            f |= ArmSmmuV3Features.Sev;
        }

        if (Bit(reg, IDR0_MSI))
        {
            f |= ArmSmmuV3Features.Msi;
        }

        if (Bit(reg, IDR0_HYP))
        {
            f |= ArmSmmuV3Features.Hyp;
        }

        if (Bit(reg, IDR0_BTM))
        {
            f |= ArmSmmuV3Features.Btm;
        }

        // arm_smmu_get_httu: 1 = access flag, 2 = access flag and dirty state.
        switch ((reg >> IDR0_HTTU_SHIFT) & 3)
        {
            case 2:
                f |= ArmSmmuV3Features.Ha | ArmSmmuV3Features.Hd;
                break;
            case 1:
                f |= ArmSmmuV3Features.Ha;
                break;
        }

        // The firmware value of coherency wins; IDR0.COHACC only draws a warning.
        bool coherent = (f & ArmSmmuV3Features.Coherency) != 0;
        if (Bit(reg, IDR0_COHACC) != coherent)
        {
            DevPrint(KernelLogLevel.Warning, $"IDR0.COHACC overridden by FW configuration ({(coherent ? "true" : "false")})");
        }

        switch ((reg >> IDR0_STALL_MODEL_SHIFT) & 3)
        {
            case 2:
                f |= ArmSmmuV3Features.StallForce | ArmSmmuV3Features.Stalls;
                break;
            case 0:
                f |= ArmSmmuV3Features.Stalls;
                break;
        }

        if (Bit(reg, IDR0_S1P))
        {
            f |= ArmSmmuV3Features.TransS1;
        }

        if (Bit(reg, IDR0_S2P))
        {
            f |= ArmSmmuV3Features.TransS2;
        }

        if ((f & (ArmSmmuV3Features.TransS1 | ArmSmmuV3Features.TransS2)) == 0)
        {
            DevPrint(KernelLogLevel.Err, "no translation support!");
            return Errno.ENXIO;
        }

        int ias = 0;
        switch ((reg >> IDR0_TTF_SHIFT) & 3)
        {
            case 3:
                ias = 40;
                break;
            case 2:
                break;
            default:
                DevPrint(KernelLogLevel.Err, "AArch64 table format not supported!");
                return Errno.ENXIO;
        }

        AsidBits = Bit(reg, IDR0_ASID16) ? 16 : 8;
        VmidBits = Bit(reg, IDR0_VMID16) ? 16 : 8;

        // IDR1
        ReadReg(IDR1, out reg);
        if ((reg & ((1u << IDR1_TABLES_PRESET) | (1u << IDR1_QUEUES_PRESET) | (1u << IDR1_REL))) != 0)
        {
            DevPrint(KernelLogLevel.Err, "embedded implementation not supported");
            return Errno.ENXIO;
        }

        if (Bit(reg, IDR1_ATTR_TYPES_OVR))
        {
            f |= ArmSmmuV3Features.AttrTypesOvr;
        }

        _cmdqShift = Math.Min(CMDQ_MAX_SZ_SHIFT, (int)((reg >> IDR1_CMDQS_SHIFT) & 0x1F));
        if (_cmdqShift <= BitOperations.Log2(CMDQ_BATCH_ENTRIES))
        {
            DevPrint(KernelLogLevel.Err, $"command queue size <= {CMDQ_BATCH_ENTRIES} entries not supported");
            return Errno.ENXIO;
        }

        _evtqShift = Math.Min(EVTQ_MAX_SZ_SHIFT, (int)((reg >> IDR1_EVTQS_SHIFT) & 0x1F));
        SsidBits = (int)((reg >> IDR1_SSIDSIZE_SHIFT) & 0x1F);
        SidBits = (int)((reg >> IDR1_SIDSIZE_SHIFT) & 0x3F);
        if (SidBits > 32)
        {
            SidBits = 32;
        }

        if (SidBits <= STRTAB_SPLIT)
        {
            f &= ~ArmSmmuV3Features.TwoLevelStrtab;
        }

        // IDR3
        ReadReg(IDR3, out reg);
        if (Bit(reg, IDR3_RIL))
        {
            f |= ArmSmmuV3Features.RangeInv;
        }

        if (Bit(reg, IDR3_FWB) && coherent)
        {
            f |= ArmSmmuV3Features.S2Fwb;
        }

        // IDR5
        ReadReg(IDR5, out reg);
        ulong pgsizes = 0;
        if (Bit(reg, IDR5_GRAN64K))
        {
            pgsizes |= (64UL << 10) | (512UL << 20);
        }

        if (Bit(reg, IDR5_GRAN16K))
        {
            pgsizes |= (16UL << 10) | (32UL << 20);
        }

        if (Bit(reg, IDR5_GRAN4K))
        {
            pgsizes |= (4UL << 10) | (2UL << 20) | (1UL << 30);
        }

        if (((reg >> IDR5_VAX_SHIFT) & 3) == 1)
        {
            f |= ArmSmmuV3Features.Vax;
        }

        switch (reg & 7)
        {
            case 0: Oas = 32; break;
            case 1: Oas = 36; break;
            case 2: Oas = 40; break;
            case 3: Oas = 42; break;
            case 4: Oas = 44; break;
            case 5: Oas = 48; break;
            case 6: Oas = 52; break;
            default:
                DevPrint(KernelLogLevel.Info, "unknown output address size. Truncating to 48-bit");
                Oas = 48;
                break;
        }

        _pgsizeBitmap = pgsizes;
        Ias = Math.Max(ias, Oas);
        if ((f & (ArmSmmuV3Features.TransS1 | ArmSmmuV3Features.TransS2)) == (ArmSmmuV3Features.TransS1 | ArmSmmuV3Features.TransS2))
        {
            f |= ArmSmmuV3Features.Nesting;
        }

        Features = f;
        DevPrint(KernelLogLevel.Info, $"ias {Ias}-bit, oas {Oas}-bit (features 0x{(uint)f:x8})");
        return Errno.Ok;
    }

    /// <summary>arm_smmu_init_structures(): the Command and Event queues, then the Stream table.</summary>
    private Errno InitStructures()
    {
        Errno ret = InitQueue(CMDQ_ENT_DWORDS, ref _cmdqShift, out _cmdqPa, "cmdq");
        if (ret == Errno.Ok)
        {
            ret = InitQueue(EVTQ_ENT_DWORDS, ref _evtqShift, out _evtqPa, "evtq");
        }

        return ret == Errno.Ok ? InitStrtab() : ret;
    }

    /// <summary>arm_smmu_init_one_queue(): the largest queue that can be allocated, halving down to a page.</summary>
    private Errno InitQueue(int dwords, ref int shift, out ulong pa, string name)
    {
        while (true)
        {
            ulong qsz = ((1UL << shift) * (ulong)dwords) << 3;
            if (TryAllocCoherent(qsz, out pa))
            {
                break;
            }

            if (qsz < 4096 || shift == 0)
            {
                DevPrint(KernelLogLevel.Err, $"failed to allocate queue (0x{qsz:x} bytes) for {name}");
                return Errno.ENOMEM;
            }

            shift--;
        }

        DevPrint(KernelLogLevel.Info, $"allocated {1u << shift} entries for {name}");
        return Errno.Ok;
    }

    /// <summary>
    /// arm_smmu_device_reset(): disable, program CR1/CR2, the Stream table and the queues, enable
    /// the Command queue, invalidate all configuration and TLBs, enable the Event queue and
    /// interrupts, then SMMUEN; each CR0 write waits for CR0ACK.
    /// </summary>
    private Errno DeviceReset()
    {
        ReadReg(CR0, out uint cr0);
        if ((cr0 & CR0_SMMUEN) != 0)
        {
            DevPrint(KernelLogLevel.Warning, "SMMU currently enabled! Resetting...");
            UpdateGbpa(GBPA_ABORT, 0);
        }

        if (WriteRegSync(CR0, 0, CR0ACK) != Errno.Ok)
        {
            DevPrint(KernelLogLevel.Err, "failed to clear cr0");
            return Errno.ETIMEDOUT;
        }

        if (!Options.DisableBypass)
        {
            UpdateGbpa(0, GBPA_ABORT);
        }

        // CR1: Linux always asks for write-back, inner-shareable queue and table accesses; a
        // non-coherent interconnect simply does not snoop.
        uint cr1 = (SH_ISH << 10) | (CR1_CACHE_WB << 8) | (CR1_CACHE_WB << 6) | (SH_ISH << 4) | (CR1_CACHE_WB << 2) | CR1_CACHE_WB;
        WriteReg(CR1, cr1);
        WriteReg(CR2, CR2_PTM | CR2_RECINVSID);

        WriteReg64(STRTAB_BASE, _strtabBaseReg);
        WriteReg(STRTAB_BASE_CFG, _strtabBaseCfg);

        WriteReg64(CMDQ_BASE, Q_BASE_RWA | (_cmdqPa & Q_BASE_ADDR_MASK) | (uint)_cmdqShift);
        _cmdqProd = 0;
        WriteReg(CMDQ_PROD, 0);
        WriteReg(CMDQ_CONS, 0);

        uint enables = CR0_CMDQEN;
        if (WriteRegSync(CR0, enables, CR0ACK) != Errno.Ok)
        {
            DevPrint(KernelLogLevel.Err, "failed to enable command queue");
            return Errno.ETIMEDOUT;
        }

        Span<ulong> cmds = stackalloc ulong[4];
        cmds[0] = CMDQ_OP_CFGI_ALL;
        cmds[1] = CMDQ_CFGI_1_RANGE_ALL;
        IssueCmds(cmds[..2], sync: true);
        int n = 0;
        if ((Features & ArmSmmuV3Features.Hyp) != 0)
        {
            cmds[n++] = CMDQ_OP_TLBI_EL2_ALL;
            cmds[n++] = 0;
        }

        cmds[n++] = CMDQ_OP_TLBI_NSNH_ALL;
        cmds[n++] = 0;
        IssueCmds(cmds[..n], sync: true);

        WriteReg64(EVTQ_BASE, Q_BASE_RWA | (_evtqPa & Q_BASE_ADDR_MASK) | (uint)_evtqShift);
        _evtqCons = 0;
        WriteReg(EVTQ_PROD, 0);
        WriteReg(EVTQ_CONS, 0);
        enables |= CR0_EVTQEN;
        if (WriteRegSync(CR0, enables, CR0ACK) != Errno.Ok)
        {
            DevPrint(KernelLogLevel.Err, "failed to enable event queue");
            return Errno.ETIMEDOUT;
        }

        // arm_smmu_setup_irqs: disable, (request wired IRQs), enable GERROR and EVTQ.
        if (WriteRegSync(IRQ_CTRL, 0, IRQ_CTRLACK) != Errno.Ok)
        {
            DevPrint(KernelLogLevel.Err, "failed to disable irqs");
            return Errno.ETIMEDOUT;
        }

        if (WriteRegSync(IRQ_CTRL, IRQ_CTRL_GERROR_IRQEN | IRQ_CTRL_EVTQ_IRQEN, IRQ_CTRLACK) != Errno.Ok)
        {
            DevPrint(KernelLogLevel.Warning, "failed to enable irqs");
        }

        enables |= CR0_SMMUEN;
        if (WriteRegSync(CR0, enables, CR0ACK) != Errno.Ok)
        {
            DevPrint(KernelLogLevel.Err, "failed to enable SMMU interface");
            return Errno.ETIMEDOUT;
        }

        return Errno.Ok;
    }

    /// <summary>arm_smmu_update_gbpa(): wait for UPDATE to clear, write the new value with UPDATE, wait again.</summary>
    private void UpdateGbpa(uint set, uint clr)
    {
        if (!PollRegClear(GBPA, GBPA_UPDATE, out uint reg))
        {
            DevPrint(KernelLogLevel.Err, "GBPA not responding to update");
            return;
        }

        reg = (reg & ~clr) | set;
        WriteReg(GBPA, reg | GBPA_UPDATE);
        if (!PollRegClear(GBPA, GBPA_UPDATE, out _))
        {
            DevPrint(KernelLogLevel.Err, "GBPA not responding to update");
        }
    }

    private bool PollRegClear(ulong offset, uint mask, out uint value)
    {
        for (int i = 0; i < Options.PollLimit; i++)
        {
            ReadReg(offset, out value);
            if ((value & mask) == 0)
            {
                return true;
            }
        }

        value = 0;
        return false;
    }

    /// <summary>arm_smmu_write_reg_sync(): write, then poll the acknowledge register until it matches.</summary>
    private Errno WriteRegSync(ulong offset, uint value, ulong ackOffset)
    {
        WriteReg(offset, value);
        for (int i = 0; i < Options.PollLimit; i++)
        {
            ReadReg(ackOffset, out uint ack);
            if (ack == value)
            {
                return Errno.Ok;
            }
        }

        return Errno.ETIMEDOUT;
    }

    /// <summary>dma_alloc_coherent for the SMMU: zeroed memory the CPU then accesses uncached if the SMMU is not coherent.</summary>
    internal bool TryAllocCoherent(ulong bytes, out ulong pa)
    {
        pa = 0;
        if (bytes > 1UL << 30)
        {
            return false;
        }

        int size = (int)Math.Max(64, BitOperations.RoundUpToPowerOf2(bytes));
        if (!_allocator.TryAllocate(size, out pa))
        {
            return false;
        }

        // The allocator zeroed through the cache: push it to RAM and drop the lines, so uncached
        // CPU accesses and the SMMU's non-snooping reads see the zeroes.
        if (_structAccess == BusAccess.NoSnoop)
        {
            _memory.Cache?.CleanInvalidate(pa, (ulong)size);
        }

        return true;
    }

    internal void FreeCoherent(ulong pa, ulong bytes) => _allocator.Free(pa, (int)Math.Max(64, BitOperations.RoundUpToPowerOf2(bytes)));

    internal void WriteStruct64(ulong pa, ulong value) => _memory.Write64(pa, value, _structAccess);

    internal ulong ReadStruct64(ulong pa)
    {
        _memory.Read64(pa, _structAccess, out ulong v);
        return v;
    }

    private static bool Bit(uint reg, int bit) => ((reg >> bit) & 1) != 0;

    private bool TryReadReg(ulong offset, out uint value) => _memory.Read32(Options.BaseAddress + offset, BusAccess.Cpu, out value) == BusStatus.Ok;

    private void ReadReg(ulong offset, out uint value)
    {
        if (!TryReadReg(offset, out value))
        {
            value = 0;
        }
    }

    private void WriteReg(ulong offset, uint value) => _memory.Write32(Options.BaseAddress + offset, value, BusAccess.Cpu);

    private void WriteReg64(ulong offset, ulong value) => _memory.Write64(Options.BaseAddress + offset, value, BusAccess.Cpu);
}
