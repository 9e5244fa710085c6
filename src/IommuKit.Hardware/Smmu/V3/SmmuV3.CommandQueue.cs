using System.Buffers.Binary;
using static IommuKit.Hardware.Smmu.V3.SmmuV3Registers;

namespace IommuKit.Hardware.Smmu.V3;

/// <summary>The Command queue (SMMUv3 §4, §7.1): the SMMU is the consumer.</summary>
public sealed partial class SmmuV3
{
    private const int CommandSize = 16;

    /// <summary>
    /// Consumes commands from CONS up to PROD while the queue is enabled and no command error is
    /// active. Commands take effect synchronously, so a CMD_SYNC completes as soon as it is read.
    /// On an error CONS stays on the offending command, CONS.ERR holds the reason and
    /// GERROR.CMDQ_ERR is activated. Caller holds the lock.
    /// </summary>
    private void ProcessCommands()
    {
        if ((_cr0 & CR0_CMDQEN) == 0 || GlobalErrorActive(GERROR_CMDQ_ERR))
        {
            return;
        }

        int log2 = CommandQueueLog2();
        uint entries = 1u << log2;
        uint mask = QueueIndexMask(log2);
        ulong queueBase = QueueBase(_cmdqBase, log2, 4, _oas);
        Span<byte> raw = stackalloc byte[CommandSize];
        uint cons = _cmdqCons & mask;

        // At most one pass over both wrap states: PROD and CONS are both below 2 × entries.
        for (uint budget = 2 * entries; budget > 0 && cons != (_cmdqProd & mask); budget--)
        {
            ulong slot = queueBase + ((ulong)(cons & (entries - 1)) * CommandSize);
            SmmuV3CommandError error;
            if (!FetchOwn(slot, raw, QueueAccess()))
            {
                error = SmmuV3CommandError.CERROR_ABT;
            }
            else
            {
                error = ExecuteCommand(BinaryPrimitives.ReadUInt64LittleEndian(raw), BinaryPrimitives.ReadUInt64LittleEndian(raw[8..]));
            }

            if (error != SmmuV3CommandError.CERROR_NONE)
            {
                _cmdqCons = ((uint)error << CMDQ_CONS_ERR) | cons;
                RaiseGlobalError(GERROR_CMDQ_ERR);
                return;
            }

            cons = (cons + 1) & mask;
            _cmdqCons = (_cmdqCons & ~mask) | cons;
        }
    }

    /// <summary>Executes one command (§4.2–§4.7). Reserved fields are ignored (§4.1.5).</summary>
    private SmmuV3CommandError ExecuteCommand(ulong w0, ulong w1)
    {
        bool ssec = ((w0 >> 10) & 1) != 0;
        uint sid = (uint)(w0 >> 32);
        int vmid = (int)(w0 >> 32) & 0xFFFF;
        int asid = (int)(w0 >> 48);
        bool s1 = Features.Stage1;
        switch ((SmmuV3Opcode)(byte)w0)
        {
            case SmmuV3Opcode.CMD_PREFETCH_CONFIG:
            case SmmuV3Opcode.CMD_PREFETCH_ADDR:
                // Prefetches are hints; this implementation does not prefetch (and never records errors for them, §7.2).
                return ssec ? SmmuV3CommandError.CERROR_ILL : SmmuV3CommandError.CERROR_NONE;

            case SmmuV3Opcode.CMD_CFGI_STE:
                if (ssec)
                {
                    return SmmuV3CommandError.CERROR_ILL;
                }

                InvalidateSteRange(sid, 1, leaf: (w1 & 1) != 0);
                return SmmuV3CommandError.CERROR_NONE;

            case SmmuV3Opcode.CMD_CFGI_STE_RANGE:
                if (ssec)
                {
                    return SmmuV3CommandError.CERROR_ILL;
                }

                int range = (int)(w1 & 0x1F);
                if (range == 31)
                {
                    InvalidateAllConfig(); // CMD_CFGI_ALL
                }
                else
                {
                    ulong count = 2UL << range;
                    InvalidateSteRange((uint)(sid & ~(count - 1)), count, leaf: false);
                }

                return SmmuV3CommandError.CERROR_NONE;

            case SmmuV3Opcode.CMD_CFGI_CD:
                if (!s1 || ssec)
                {
                    return SmmuV3CommandError.CERROR_ILL;
                }

                InvalidateCd(sid, (uint)(w0 >> 12) & 0xFFFFF, leaf: (w1 & 1) != 0);
                return SmmuV3CommandError.CERROR_NONE;

            case SmmuV3Opcode.CMD_CFGI_CD_ALL:
                if (!s1 || ssec)
                {
                    return SmmuV3CommandError.CERROR_ILL;
                }

                if (_stes.TryGetValue(sid, out SmmuV3StreamConfig? cfg))
                {
                    cfg.ClearCds();
                }

                return SmmuV3CommandError.CERROR_NONE;

            case SmmuV3Opcode.CMD_TLBI_NH_ALL when s1:
                _tlb.Invalidate(Kind(SmmuV3TlbKind.El1), vmid, 0, SmmuV3AsidMatch.Any, 0, 0);
                return SmmuV3CommandError.CERROR_NONE;

            case SmmuV3Opcode.CMD_TLBI_NH_ASID when s1:
                _tlb.Invalidate(Kind(SmmuV3TlbKind.El1), vmid, asid, SmmuV3AsidMatch.NonGlobalMatch, 0, 0);
                return SmmuV3CommandError.CERROR_NONE;

            case SmmuV3Opcode.CMD_TLBI_NH_VA when s1:
                return InvalidateByAddress(w0, w1, Kind(SmmuV3TlbKind.El1), vmid, asid, SmmuV3AsidMatch.MatchOrGlobal, ipa: false);

            case SmmuV3Opcode.CMD_TLBI_NH_VAA when s1:
                return InvalidateByAddress(w0, w1, Kind(SmmuV3TlbKind.El1), vmid, 0, SmmuV3AsidMatch.Any, ipa: false);

            case SmmuV3Opcode.CMD_TLBI_EL2_ALL when Features.Hyp:
                _tlb.Invalidate(Kind(SmmuV3TlbKind.El2) | Kind(SmmuV3TlbKind.El2E2h), -1, 0, SmmuV3AsidMatch.Any, 0, 0);
                return SmmuV3CommandError.CERROR_NONE;

            case SmmuV3Opcode.CMD_TLBI_EL2_ASID when Features.Hyp:
                _tlb.Invalidate(Kind(SmmuV3TlbKind.El2E2h), 0, asid, SmmuV3AsidMatch.NonGlobalMatch, 0, 0);
                return SmmuV3CommandError.CERROR_NONE;

            case SmmuV3Opcode.CMD_TLBI_EL2_VA when Features.Hyp:
                return (_cr2 & CR2_E2H) != 0
                    ? InvalidateByAddress(w0, w1, Kind(SmmuV3TlbKind.El2E2h), 0, asid, SmmuV3AsidMatch.MatchOrGlobal, ipa: false)
                    : InvalidateByAddress(w0, w1, Kind(SmmuV3TlbKind.El2), 0, 0, SmmuV3AsidMatch.Any, ipa: false);

            case SmmuV3Opcode.CMD_TLBI_EL2_VAA when Features.Hyp:
                return InvalidateByAddress(
                    w0, w1, Kind((_cr2 & CR2_E2H) != 0 ? SmmuV3TlbKind.El2E2h : SmmuV3TlbKind.El2), 0, 0, SmmuV3AsidMatch.Any, ipa: false);

            case SmmuV3Opcode.CMD_TLBI_S12_VMALL when Features.Stage2:
                _tlb.Invalidate(Kind(SmmuV3TlbKind.El1) | Kind(SmmuV3TlbKind.Stage2), vmid, 0, SmmuV3AsidMatch.Any, 0, 0);
                return SmmuV3CommandError.CERROR_NONE;

            case SmmuV3Opcode.CMD_TLBI_S2_IPA when Features.Stage2:
                // Stage-2-only entries by IPA; combined stage 1+2 entries need CMD_TLBI_NH_* (§4.4.3.1).
                return InvalidateByAddress(w0, w1, Kind(SmmuV3TlbKind.Stage2), vmid, 0, SmmuV3AsidMatch.Any, ipa: true);

            case SmmuV3Opcode.CMD_TLBI_NSNH_ALL:
                _tlb.Invalidate(Kind(SmmuV3TlbKind.El1) | Kind(SmmuV3TlbKind.Stage2), -1, 0, SmmuV3AsidMatch.Any, 0, 0);
                return SmmuV3CommandError.CERROR_NONE;

            case SmmuV3Opcode.CMD_SYNC:
                int cs = (int)(w0 >> 12) & 3;
                if (cs == 3)
                {
                    return SmmuV3CommandError.CERROR_ILL; // reserved completion signal
                }

                if (cs == 1)
                {
                    PendIrq(SmmuV3Irq.CmdSync); // SIG_IRQ without MSI support: the wired cmdq-sync interrupt
                }

                return SmmuV3CommandError.CERROR_NONE;

            default:
                // Reserved opcodes, and commands of features or Security states not implemented:
                // CFGI_VMS_PIDM, TLBI_EL3_*, Secure TLBIs, ATC_INV, PRI_RESP, RESUME, STALL_TERM,
                // stage-1 TLBIs without stage 1, stage-2 TLBIs without stage 2, EL2 TLBIs without Hyp.
                return SmmuV3CommandError.CERROR_ILL;
        }
    }

    private static int Kind(SmmuV3TlbKind kind) => 1 << (int)kind;

    /// <summary>
    /// TLBI by VA or IPA: Address[63:12] (IPA[55:12]); with IDR3.RIL and TG != 0 a range of
    /// (NUM + 1) × 2^SCALE granules (§4.4.1.1). TTL and Leaf only narrow the required scope and are not used.
    /// </summary>
    private SmmuV3CommandError InvalidateByAddress(ulong w0, ulong w1, int kindMask, int vmid, int asid, SmmuV3AsidMatch match, bool ipa)
    {
        ulong address = w1 & (ipa ? 0x00FF_FFFF_FFFF_F000UL : ~0xFFFUL);
        ulong length = 1;
        int tg = (int)(w1 >> 10) & 3;
        if (Features.RangeInvalidation && tg != 0)
        {
            int ttl = (int)(w1 >> 8) & 3;
            int num = (int)(w0 >> 12) & 0x1F;
            int scale = (int)(w0 >> 20) & 0x1F;
            if ((num == 0 && scale == 0 && ttl == 0) || (tg == 2 && ttl == 1))
            {
                return SmmuV3CommandError.CERROR_ILL; // reserved encodings (DS = 0)
            }

            int granuleShift = tg switch
            {
                1 => 12,
                2 => 14,
                _ => 16,
            };
            length = (ulong)(num + 1) << (scale + granuleShift);
        }

        _tlb.Invalidate(kindMask, vmid, asid, match, address, length);
        return SmmuV3CommandError.CERROR_NONE;
    }

    /// <summary>CMD_CFGI_STE / CMD_CFGI_STE_RANGE: STEs (with their CDs) and, unless leaf-only, the L1STDs walked to them.</summary>
    private void InvalidateSteRange(uint first, ulong count, bool leaf)
    {
        if (count == 1)
        {
            DropSteLocked(first);
        }
        else
        {
            var victims = new List<uint>();
            foreach (uint sid in _stes.Keys)
            {
                if (sid - first < count)
                {
                    victims.Add(sid);
                }
            }

            foreach (uint sid in victims)
            {
                DropSteLocked(sid);
            }
        }

        if (!leaf && _l1Stds.Count != 0)
        {
            int split = (int)(_strtabBaseCfg >> STRTAB_BASE_CFG_SPLIT) & 0x1F;
            split = split is 6 or 8 or 10 ? split : 6;
            ulong firstL1 = first >> split;
            ulong lastL1 = (first + count - 1) >> split;
            var victims = new List<uint>();
            foreach (uint l1 in _l1Stds.Keys)
            {
                if (l1 >= firstL1 && l1 <= lastL1)
                {
                    victims.Add(l1);
                }
            }

            foreach (uint l1 in victims)
            {
                _l1Stds.Remove(l1);
            }
        }
    }

    /// <summary>CMD_CFGI_ALL: every cached STE, L1STD, CD and L1CD.</summary>
    private void InvalidateAllConfig()
    {
        _stes.Clear();
        _l1Stds.Clear();
        for (int i = 0; i < _steFast.Length; i++)
        {
            Volatile.Write(ref _steFast[i], null);
        }
    }

    /// <summary>CMD_CFGI_CD: the CD cached at CD-table index <paramref name="index"/> through <paramref name="sid"/>'s STE.</summary>
    private void InvalidateCd(uint sid, uint index, bool leaf)
    {
        if (!_stes.TryGetValue(sid, out SmmuV3StreamConfig? cfg))
        {
            return;
        }

        cfg.Cds.Remove(index);
        if (index < SmmuV3StreamConfig.FastCdSlots)
        {
            Volatile.Write(ref cfg.FastCds[index], null);
        }

        if (!leaf)
        {
            cfg.L1Cds.Remove(index >> (cfg.S1Fmt == 2 ? 10 : 6));
        }
    }
}
