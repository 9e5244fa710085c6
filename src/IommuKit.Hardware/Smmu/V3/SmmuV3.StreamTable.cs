using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables.ArmLpae;
using static IommuKit.Hardware.Smmu.V3.SmmuV3Registers;

namespace IommuKit.Hardware.Smmu.V3;

/// <summary>Stream table lookup (SMMUv3 §3.3, §5.1, §5.2) and the STE configuration cache.</summary>
public sealed partial class SmmuV3
{
    private const int MaxCachedL1Descriptors = 4096;

    /// <summary>
    /// Finds the configuration of <paramref name="t"/>'s stream: from the cache, else by fetching
    /// and validating its STE. On a configuration error or fetch abort records the event and
    /// returns null with <paramref name="result"/> filled in. Caller holds the lock.
    /// </summary>
    private SmmuV3StreamConfig? GetStreamConfigLocked(in Txn t, out SmmuV3Translation result)
    {
        if (_stes.TryGetValue(t.Sid, out SmmuV3StreamConfig? cached))
        {
            Volatile.Write(ref _steFast[t.Sid & (uint)_steFastMask], cached);
            result = default;
            return cached;
        }

        if (!TryLocateSteLocked(in t, out ulong steAddr, out result))
        {
            return null;
        }

        Span<byte> raw = stackalloc byte[32];
        if (!FetchOwn(steAddr, raw, TableAccess()))
        {
            result = ConfigFaultLocked(in t, SmmuV3EventId.F_STE_FETCH, steAddr & SmmuV3EventRecord.FetchAddrMask);
            return null;
        }

        var ste = new SmmuV3Ste(
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(raw),
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(raw[8..]),
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(raw[16..]),
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(raw[24..]));
        SmmuV3StreamConfig? cfg = DecodeSte(t.Sid, in ste);
        if (cfg is null)
        {
            result = ConfigFaultLocked(in t, SmmuV3EventId.C_BAD_STE, 0);
            return null;
        }

        if (_stes.Count >= Features.ConfigCacheEntries)
        {
            foreach (uint victim in _stes.Keys)
            {
                DropSteLocked(victim);
                break;
            }
        }

        _stes[t.Sid] = cfg;
        Volatile.Write(ref _steFast[t.Sid & (uint)_steFastMask], cfg);
        return cfg;
    }

    /// <summary>
    /// The address of the STE for <paramref name="t"/>'s StreamID in a linear or 2-level Stream
    /// table (SMMU_STRTAB_BASE, SMMU_STRTAB_BASE_CFG), or a C_BAD_STREAMID / F_STE_FETCH fault.
    /// </summary>
    private bool TryLocateSteLocked(in Txn t, out ulong steAddr, out SmmuV3Translation result)
    {
        steAddr = 0;
        result = default;
        int literalLog2 = (int)(_strtabBaseCfg & 0x3F);
        int log2 = Math.Min(literalLog2, Features.StreamIdBits);
        if (((ulong)t.Sid >> log2) != 0)
        {
            result = BadStreamIdLocked(in t);
            return false;
        }

        ulong baseAddr = _strtabBase & AddressMask(6, _oas);
        bool twoLevel = Features.TwoLevelStreamTable && ((_strtabBaseCfg >> STRTAB_BASE_CFG_FMT) & 3) == 1;
        if (!twoLevel)
        {
            // A linear table is aligned to its (literal) size.
            baseAddr &= ~((1UL << Math.Min(literalLog2 + 6, 63)) - 1);
            steAddr = baseAddr + ((ulong)t.Sid * 64);
            return true;
        }

        int split = (int)(_strtabBaseCfg >> STRTAB_BASE_CFG_SPLIT) & 0x1F;
        if (split is not (6 or 8 or 10))
        {
            split = 6; // reserved values behave as 6
        }

        int l1Align = Math.Min(Math.Max(6, literalLog2 - split + 3), 63);
        uint l1Index = (uint)((ulong)t.Sid >> split);
        ulong l1Addr = (baseAddr & ~((1UL << l1Align) - 1)) + ((ulong)l1Index * 8);
        if (!_l1Stds.TryGetValue(l1Index, out ulong l1std))
        {
            Span<byte> raw = stackalloc byte[8];
            if (!FetchOwn(l1Addr, raw, TableAccess()))
            {
                result = ConfigFaultLocked(in t, SmmuV3EventId.F_STE_FETCH, l1Addr & SmmuV3EventRecord.FetchAddrMask);
                return false;
            }

            l1std = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(raw);
        }

        int span = (int)(l1std & 0x1F);
        uint l2Index = t.Sid & ((1u << split) - 1);
        if (span == 0 || span > 11 || span > split + 1)
        {
            result = BadStreamIdLocked(in t); // invalid L1STD: not cached
            return false;
        }

        if (_l1Stds.Count >= MaxCachedL1Descriptors)
        {
            _l1Stds.Clear();
        }

        _l1Stds[l1Index] = l1std;
        if ((l2Index >> (span - 1)) != 0)
        {
            result = BadStreamIdLocked(in t);
            return false;
        }

        // L2Ptr[55:6], with L2Ptr[5 + (Span - 1):0] taken as zero: the level-2 array is aligned to its size.
        ulong l2Base = l1std & AddressMask(span - 1 + 6, _oas);
        steAddr = l2Base + ((ulong)l2Index * 64);
        return true;
    }

    /// <summary>Decodes a fetched STE; null if it is invalid (V = 0) or ILLEGAL (§5.2).</summary>
    private SmmuV3StreamConfig? DecodeSte(uint sid, in SmmuV3Ste ste)
    {
        if (!ste.V)
        {
            return null;
        }

        int config = ste.Config;
        if ((config & 4) == 0)
        {
            return new SmmuV3StreamConfig(sid, in ste) { Mode = SmmuV3StreamMode.Abort };
        }

        if (config == 4)
        {
            return new SmmuV3StreamConfig(sid, in ste) { Mode = SmmuV3StreamMode.Bypass };
        }

        bool s1 = (config & 1) != 0;
        bool s2 = (config & 2) != 0;
        if ((s1 && !Features.Stage1) || (s2 && !Features.Stage2))
        {
            return null;
        }

        int cdMax = 0;
        int s1Fmt = 0;
        int s1Dss = 0;
        var s1Kind = SmmuV3TlbKind.El1;
        BusAccess cdAccess = BusAccess.NoSnoop;
        if (s1)
        {
            if (Features.SubstreamIdBits != 0)
            {
                cdMax = ste.S1CdMax;
                if (cdMax > Features.SubstreamIdBits)
                {
                    return null;
                }
            }

            if (cdMax != 0)
            {
                s1Fmt = ste.S1Fmt == 3 ? 0 : ste.S1Fmt;
                if (s1Fmt != 0 && !Features.TwoLevelCdTable)
                {
                    return null;
                }

                s1Dss = ste.S1Dss == 3 ? 0 : ste.S1Dss;
            }

            if (ste.S1StallD)
            {
                return null; // STALL_MODEL != 0b00: stalls cannot be configured, so S1STALLD = 1 is ILLEGAL (§5.5)
            }

            if (!s2 && Features.Hyp)
            {
                int strw = ste.Strw;
                if ((strw & 1) != 0)
                {
                    return null;
                }

                if (strw == 2)
                {
                    s1Kind = (_cr2 & CR2_E2H) != 0 ? SmmuV3TlbKind.El2E2h : SmmuV3TlbKind.El2;
                }
            }

            cdAccess = SmmuV3Attributes.OwnAccess(
                CoherentWalk, SmmuV3Attributes.RegionIsWriteBack(ste.S1Cir), SmmuV3Attributes.RegionIsWriteBack(ste.S1Cor), ste.S1Csh);
        }

        // VMID tagging: NS-EL1 translations when stage 2 is implemented (§5.2 S2VMID).
        ushort vmid = Features.Stage2 && s1Kind == SmmuV3TlbKind.El1 ? ste.S2Vmid : (ushort)0;
        if (vmid > 0xFF && !Features.Vmid16)
        {
            return null;
        }

        var cfg = new SmmuV3StreamConfig(sid, in ste)
        {
            Mode = SmmuV3StreamMode.Translate,
            S1Enabled = s1,
            S2Enabled = s2,
            CdMax = cdMax,
            S1Fmt = s1Fmt,
            S1Dss = s1Dss,
            S1ContextPtr = ste.S1ContextPtr,
            CdAccess = cdAccess,
            S1Kind = s1Kind,
            Vmid = vmid,
            S2Record = s2 && ste.S2R,
        };

        if (s2 && !TryBuildS2Walk(in ste, out cfg.S2Walk))
        {
            return null;
        }

        return cfg;
    }

    /// <summary>The stage-2 walk of an STE, or false if its S2* fields are ILLEGAL.</summary>
    private bool TryBuildS2Walk(in SmmuV3Ste ste, out ArmLpaeWalkConfig walk)
    {
        walk = default;
        int g = ArmLpaeWalkConfig.GranuleShiftFromTg0(ste.S2Tg);
        if (!ste.S2Aa64 || ste.S2Endi || ste.S2S || !GranuleSupported(g))
        {
            return false; // AArch32 tables, big-endian tables and stalls are not implemented
        }

        int t0sz = ste.S2T0sz;
        if (t0sz < Math.Max(64 - _oas, g == 16 ? 12 : 16) || t0sz > 39)
        {
            return false;
        }

        bool ha = ste.S2Ha;
        bool hd = ste.S2Hd;
        if ((ha && Features.Httu == SmmuV3Httu.None) || (hd && Features.Httu != SmmuV3Httu.AccessAndDirty))
        {
            return false;
        }

        int psBits = EffectiveOutputBits(ste.S2Ps, g);
        if ((ste.S2Ttb >> psBits) != 0)
        {
            return false;
        }

        BusAccess access = SmmuV3Attributes.OwnAccess(
            CoherentWalk, SmmuV3Attributes.RegionIsWriteBack(ste.S2Ir0), SmmuV3Attributes.RegionIsWriteBack(ste.S2Or0), ste.S2Sh0);
        walk = ArmLpaeWalkConfig.FromS2(t0sz, ste.S2Sl0, ste.S2Tg, ArmLpaeWalkConfig.PsFromAddressSize(psBits), ste.S2Ttb, access) with
        {
            HardwareAccessFlag = ha,
            HardwareDirty = ha && hd, // {HA, HD} = 0b01 is reserved and behaves as 0b00
        };
        return walk.IsValid; // S2SL0 consistent with S2T0SZ and S2TG
    }

    /// <summary>min(xPS, OAS), and at most 48 bits unless the granule is 64K (no FEAT_LPA2).</summary>
    private int EffectiveOutputBits(int ps, int granuleShift)
    {
        int bits = Math.Min(ArmLpaeWalkConfig.AddressSizeFromPs(ps), _oas);
        return granuleShift == 16 ? bits : Math.Min(bits, 48);
    }

    private bool GranuleSupported(int granuleShift) => granuleShift switch
    {
        12 => Features.Granule4K,
        14 => Features.Granule16K,
        16 => Features.Granule64K,
        _ => false,
    };

    /// <summary>Reads an SMMU structure; an address beyond the OAS or a bus error is an abort.</summary>
    private bool FetchOwn(ulong pa, Span<byte> destination, BusAccess access) =>
        ((pa + (ulong)destination.Length - 1) >> _oas) == 0 && pa + (ulong)destination.Length > pa &&
        _memory.Read(pa, destination, access) == BusStatus.Ok;

    /// <summary>C_BAD_STREAMID, recorded only if SMMU_CR2.RECINVSID.</summary>
    private SmmuV3Translation BadStreamIdLocked(in Txn t)
    {
        bool recorded = (_cr2 & CR2_RECINVSID) != 0 &&
            RecordEventLocked(new SmmuV3EventRecord(SmmuV3EventRecord.Word0(SmmuV3EventId.C_BAD_STREAMID, t.Sid, t.Ssv, t.Ssid), 0, 0, 0));
        return Refused(in t, SmmuV3TranslationStatus.Aborted, SmmuV3EventId.C_BAD_STREAMID, recorded);
    }

    /// <summary>Records a configuration error or structure fetch abort (always recorded) and aborts.</summary>
    private SmmuV3Translation ConfigFaultLocked(in Txn t, SmmuV3EventId id, ulong word3)
    {
        ulong w0 = id switch
        {
            // The SubstreamID is always valid in C_BAD_SUBSTREAMID (no SSV); F_STREAM_DISABLED has none.
            SmmuV3EventId.C_BAD_SUBSTREAMID => SmmuV3EventRecord.Word0(id, t.Sid, false, t.Ssid),
            SmmuV3EventId.F_STREAM_DISABLED => SmmuV3EventRecord.Word0(id, t.Sid, false, 0),
            _ => SmmuV3EventRecord.Word0(id, t.Sid, t.Ssv, t.Ssid),
        };
        bool recorded = RecordEventLocked(new SmmuV3EventRecord(w0, 0, 0, word3));
        return Refused(in t, SmmuV3TranslationStatus.Aborted, id, recorded);
    }

    /// <summary>Drops a cached STE (and the CDs cached through it). Caller holds the lock.</summary>
    private void DropSteLocked(uint sid)
    {
        if (_stes.Remove(sid))
        {
            ref SmmuV3StreamConfig? slot = ref _steFast[sid & (uint)_steFastMask];
            if (slot is not null && slot.Sid == sid)
            {
                Volatile.Write(ref slot, null);
            }
        }
    }
}
