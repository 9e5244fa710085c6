using System.Numerics;
using IommuKit.Kernel.Printk;
using static IommuKit.Kernel.Drivers.ArmSmmuV3.ArmSmmuV3Regs;

namespace IommuKit.Kernel.Drivers.ArmSmmuV3;

public sealed partial class ArmSmmuV3Driver
{
    private const int L2Bytes = (1 << STRTAB_SPLIT) * STRTAB_STE_SIZE;

    private readonly object _strtabLock = new();
    private readonly Dictionary<uint, ArmSmmuV3Master> _streams = [];
    private ulong _strtabPa;
    private ulong _strtabBaseReg;
    private uint _strtabBaseCfg;
    private ulong[] _l2Pa = [];

    /// <summary>True if the Stream table is 2-level (IDR0.ST_LEVEL and more than 8 StreamID bits).</summary>
    public bool TwoLevelStreamTable => (Features & ArmSmmuV3Features.TwoLevelStrtab) != 0;

    /// <summary>Level-2 Stream tables allocated so far (2-level format only).</summary>
    public int L2TablesAllocated
    {
        get
        {
            lock (_strtabLock)
            {
                return _l2Pa.Count(p => p != 0);
            }
        }
    }

    /// <summary>
    /// arm_smmu_init_strtab(): a 2-level table (SPLIT 8, level-2 tables allocated when a master
    /// needs them) or a linear one whose STEs all start as abort (or bypass with disable_bypass=0).
    /// </summary>
    private Errno InitStrtab()
    {
        if (TwoLevelStreamTable)
        {
            int l1Bits = Math.Min(SidBits - STRTAB_SPLIT, BitOperations.Log2(STRTAB_MAX_L1_ENTRIES));
            if (l1Bits + STRTAB_SPLIT < SidBits)
            {
                DevPrint(KernelLogLevel.Warning, $"2-level strtab only covers {l1Bits + STRTAB_SPLIT}/{SidBits} bits of SID");
            }

            ulong l1Size = (1UL << l1Bits) * 8;
            if (!TryAllocCoherent(l1Size, out _strtabPa))
            {
                DevPrint(KernelLogLevel.Err, $"failed to allocate l1 stream table ({l1Size} bytes)");
                return Errno.ENOMEM;
            }

            _l2Pa = new ulong[1 << l1Bits];
            _strtabBaseCfg = (STRTAB_BASE_CFG_FMT_2LVL << STRTAB_BASE_CFG_FMT_SHIFT) | ((uint)STRTAB_SPLIT << STRTAB_BASE_CFG_SPLIT_SHIFT) | (uint)(l1Bits + STRTAB_SPLIT);
        }
        else
        {
            ulong size = (1UL << SidBits) * STRTAB_STE_SIZE;
            if (!TryAllocCoherent(size, out _strtabPa))
            {
                DevPrint(KernelLogLevel.Err, $"failed to allocate linear stream table ({size} bytes)");
                return Errno.ENOMEM;
            }

            InitInitialStes(_strtabPa, 1u << SidBits);
            _strtabBaseCfg = (STRTAB_BASE_CFG_FMT_LINEAR << STRTAB_BASE_CFG_FMT_SHIFT) | (uint)SidBits;
        }

        _strtabBaseReg = STRTAB_BASE_RA | (_strtabPa & STRTAB_BASE_ADDR_MASK);
        return Errno.Ok;
    }

    /// <summary>arm_smmu_init_initial_stes(): every STE aborts (bypasses with disable_bypass=0).</summary>
    private void InitInitialStes(ulong pa, uint count)
    {
        ulong dw0 = STRTAB_STE_0_V | ((Options.DisableBypass ? STRTAB_STE_0_CFG_ABORT : STRTAB_STE_0_CFG_BYPASS) << STRTAB_STE_0_CFG_SHIFT);
        ulong dw1 = !Options.DisableBypass && (Features & ArmSmmuV3Features.AttrTypesOvr) != 0 ? STRTAB_STE_1_SHCFG_INCOMING << STRTAB_STE_1_SHCFG_SHIFT : 0;
        for (uint i = 0; i < count; i++)
        {
            WriteStruct64(pa + (i * STRTAB_STE_SIZE), dw0);
            WriteStruct64(pa + (i * STRTAB_STE_SIZE) + 8, dw1);
        }
    }

    /// <summary>arm_smmu_init_l2_strtab(): allocate and install the level-2 table covering <paramref name="sid"/>.</summary>
    private Errno InitL2Strtab(uint sid)
    {
        uint l1 = sid >> STRTAB_SPLIT;
        if (_l2Pa[l1] != 0)
        {
            return Errno.Ok;
        }

        if (!TryAllocCoherent(L2Bytes, out ulong pa))
        {
            DevPrint(KernelLogLevel.Err, $"failed to allocate l2 stream table for SID {sid}");
            return Errno.ENOMEM;
        }

        InitInitialStes(pa, 1u << STRTAB_SPLIT);
        _l2Pa[l1] = pa;

        // L1STD: SPAN = SPLIT + 1, L2Ptr. An invalid descriptor is never cached, so no CFGI is needed.
        WriteStruct64(_strtabPa + (l1 * 8UL), (pa & STRTAB_L1_DESC_L2PTR_MASK) | (uint)(STRTAB_SPLIT + 1));
        return Errno.Ok;
    }

    /// <summary>arm_smmu_insert_master(): claim the master's StreamIDs.</summary>
    private Errno InsertMaster(ArmSmmuV3Master master)
    {
        lock (_strtabLock)
        {
            foreach (uint sid in master.Sids)
            {
                if (SidBits < 32 && sid >= 1u << SidBits)
                {
                    return Errno.ERANGE;
                }

                if (TwoLevelStreamTable)
                {
                    Errno ret = InitL2Strtab(sid);
                    if (ret != Errno.Ok)
                    {
                        return ret;
                    }
                }

                if (_streams.TryGetValue(sid, out ArmSmmuV3Master? other) && other != master)
                {
                    Log.DevPrint(KernelLogLevel.Warning, master.Device, $"Aliasing StreamID 0x{sid:x} (from {other.Device.Name}) unsupported, expect DMA to be broken");
                    RemoveSids(master);
                    return Errno.EINVAL;
                }
            }

            foreach (uint sid in master.Sids)
            {
                _streams[sid] = master;
            }

            return Errno.Ok;
        }
    }

    private void RemoveMaster(ArmSmmuV3Master master)
    {
        lock (_strtabLock)
        {
            RemoveSids(master);
        }
    }

    private void RemoveSids(ArmSmmuV3Master master)
    {
        foreach (uint sid in master.Sids)
        {
            if (_streams.TryGetValue(sid, out ArmSmmuV3Master? m) && m == master)
            {
                _streams.Remove(sid);
            }
        }
    }

    /// <summary>The physical address of the STE for <paramref name="sid"/> (arm_smmu_get_step_for_sid).</summary>
    private ulong StePa(uint sid) =>
        TwoLevelStreamTable
            ? _l2Pa[sid >> STRTAB_SPLIT] + ((sid & ((1u << STRTAB_SPLIT) - 1)) * (ulong)STRTAB_STE_SIZE)
            : _strtabPa + (sid * (ulong)STRTAB_STE_SIZE);

    /// <summary>Reads the 8 dwords of the STE for <paramref name="sid"/> (diagnostics and tests).</summary>
    public ulong[] ReadSte(uint sid)
    {
        lock (_strtabLock)
        {
            ulong pa = StePa(sid);
            var ste = new ulong[STRTAB_STE_DWORDS];
            for (int i = 0; i < ste.Length; i++)
            {
                ste[i] = ReadStruct64(pa + ((ulong)i * 8));
            }

            return ste;
        }
    }

    /// <summary>arm_smmu_install_ste_for_dev(): write the STE for every StreamID of the master.</summary>
    internal void WriteMasterStes(ArmSmmuV3Master master, ReadOnlySpan<ulong> ste)
    {
        lock (_strtabLock)
        {
            foreach (uint sid in master.Sids)
            {
                WriteSte(sid, ste);
            }
        }
    }

    /// <summary>
    /// arm_smmu_write_ste() (simplified update): an unchanged STE is left alone; a valid STE is
    /// first made invalid (V=0) and invalidated, then dwords 1–7 and finally dword 0 are written,
    /// each step followed by CFGI_STE + CMD_SYNC.
    /// </summary>
    private void WriteSte(uint sid, ReadOnlySpan<ulong> target)
    {
        ulong pa = StePa(sid);
        bool same = true;
        for (int i = 0; i < STRTAB_STE_DWORDS && same; i++)
        {
            same = ReadStruct64(pa + ((ulong)i * 8)) == target[i];
        }

        if (same)
        {
            return;
        }

        if ((ReadStruct64(pa) & STRTAB_STE_0_V) != 0)
        {
            WriteStruct64(pa, 0);
            SyncSte(sid);
        }

        for (int i = 1; i < STRTAB_STE_DWORDS; i++)
        {
            WriteStruct64(pa + ((ulong)i * 8), target[i]);
        }

        WriteStruct64(pa, target[0]);
        SyncSte(sid);
    }

    /// <summary>arm_smmu_sync_ste_for_sid(): CFGI_STE (leaf) + CMD_SYNC.</summary>
    private void SyncSte(uint sid)
    {
        Span<ulong> cmd = [CMDQ_OP_CFGI_STE | ((ulong)sid << 32), CMDQ_CFGI_1_LEAF];
        IssueCmds(cmd, sync: true);
    }

    /// <summary>CFGI_CD (leaf) for SSID 0 on each StreamID of the master, then CMD_SYNC (arm_smmu_sync_cd).</summary>
    internal void SyncCd(ArmSmmuV3Master master)
    {
        Span<ulong> cmds = stackalloc ulong[2 * CMDQ_BATCH_ENTRIES];
        int n = 0;
        foreach (uint sid in master.Sids)
        {
            if (n == cmds.Length)
            {
                IssueCmds(cmds, sync: false);
                n = 0;
            }

            cmds[n++] = CMDQ_OP_CFGI_CD | ((ulong)sid << 32);
            cmds[n++] = CMDQ_CFGI_1_LEAF;
        }

        IssueCmds(cmds[..n], sync: true);
    }

    /// <summary>arm_smmu_make_abort_ste().</summary>
    internal static ulong[] MakeAbortSte()
    {
        var ste = new ulong[STRTAB_STE_DWORDS];
        ste[0] = STRTAB_STE_0_V | (STRTAB_STE_0_CFG_ABORT << STRTAB_STE_0_CFG_SHIFT);
        return ste;
    }

    /// <summary>arm_smmu_make_bypass_ste(): SHCFG = incoming only when attribute overrides exist.</summary>
    internal ulong[] MakeBypassSte()
    {
        var ste = new ulong[STRTAB_STE_DWORDS];
        ste[0] = STRTAB_STE_0_V | (STRTAB_STE_0_CFG_BYPASS << STRTAB_STE_0_CFG_SHIFT);
        if ((Features & ArmSmmuV3Features.AttrTypesOvr) != 0)
        {
            ste[1] = STRTAB_STE_1_SHCFG_INCOMING << STRTAB_STE_1_SHCFG_SHIFT;
        }

        return ste;
    }

    /// <summary>arm_smmu_make_cdtable_ste(): stage 1 through the master's linear CD table (S1CDMax 0, S1DSS = SSID0).</summary>
    internal ulong[] MakeCdTableSte(ArmSmmuV3Master master)
    {
        var ste = new ulong[STRTAB_STE_DWORDS];
        ste[0] = STRTAB_STE_0_V | (STRTAB_STE_0_CFG_S1_TRANS << STRTAB_STE_0_CFG_SHIFT) | (master.CdTablePa & STRTAB_STE_0_S1CTXPTR_MASK);
        ste[1] = (STRTAB_STE_1_S1DSS_SSID0 << STRTAB_STE_1_S1DSS_SHIFT) |
                 (STRTAB_STE_1_S1C_CACHE_WBRA << STRTAB_STE_1_S1CIR_SHIFT) |
                 (STRTAB_STE_1_S1C_CACHE_WBRA << STRTAB_STE_1_S1COR_SHIFT) |
                 ((ulong)SH_ISH << STRTAB_STE_1_S1CSH_SHIFT);
        if ((Features & ArmSmmuV3Features.Stalls) != 0)
        {
            ste[1] |= STRTAB_STE_1_S1STALLD; // stall_enabled is never set: stalls are not modelled
        }

        if ((Features & ArmSmmuV3Features.AttrTypesOvr) != 0)
        {
            ste[1] |= STRTAB_STE_1_SHCFG_INCOMING << STRTAB_STE_1_SHCFG_SHIFT;
        }

        return ste;
    }

    /// <summary>arm_smmu_make_s2_domain_ste().</summary>
    internal ulong[] MakeS2Ste(ArmSmmuV3Domain domain)
    {
        var ste = new ulong[STRTAB_STE_DWORDS];
        ste[0] = STRTAB_STE_0_V | (STRTAB_STE_0_CFG_S2_TRANS << STRTAB_STE_0_CFG_SHIFT);
        if ((Features & ArmSmmuV3Features.AttrTypesOvr) != 0)
        {
            ste[1] = STRTAB_STE_1_SHCFG_INCOMING << STRTAB_STE_1_SHCFG_SHIFT;
        }

        ste[2] = (uint)domain.Vmid | (domain.Table.Vtcr.Value << STRTAB_STE_2_VTCR_SHIFT) | STRTAB_STE_2_S2AA64 | STRTAB_STE_2_S2PTW | STRTAB_STE_2_S2R;
        ste[3] = domain.Table.Ttbr & STRTAB_STE_3_S2TTB_MASK;
        return ste;
    }
}
