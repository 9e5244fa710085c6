using System.Buffers.Binary;
using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables.ArmLpae;

namespace IommuKit.Hardware.Smmu.V3;

/// <summary>Context descriptor lookup (SMMUv3 §5.3, §5.4): linear and 2-level CD tables, the CD cache.</summary>
public sealed partial class SmmuV3
{
    private const int MaxCachedCdsPerStream = 4096;

    /// <summary>
    /// The CD at <paramref name="index"/> of <paramref name="ste"/>'s CD table: cached, or fetched
    /// (through stage 2 when it is enabled: S1ContextPtr and L1CD.L2Ptr are then IPAs) and
    /// validated. Returns null with <paramref name="result"/> filled in on a fault. Caller holds the lock.
    /// </summary>
    private SmmuV3ContextConfig? GetContextConfigLocked(SmmuV3StreamConfig ste, uint index, in Txn t, out SmmuV3Translation result)
    {
        if (ste.Cds.TryGetValue(index, out SmmuV3ContextConfig? cached))
        {
            PublishCd(ste, cached);
            result = default;
            return cached;
        }

        ulong cdAddr;
        ulong ptr = ste.S1ContextPtr;
        if (ste.S1Fmt == 0)
        {
            // A linear table of 2^S1CDMax CDs aligned to its size (RES0 low bits treated as zero).
            ptr &= ~((64UL << ste.CdMax) - 1);
            cdAddr = ptr + ((ulong)index * 64);
        }
        else
        {
            int leafBits = ste.S1Fmt == 1 ? 6 : 10; // 4K leaves of 64 CDs, 64K leaves of 1024 CDs
            int l1Bits = Math.Max(ste.CdMax - leafBits, 0);
            uint l1Index = index >> leafBits;
            ptr &= ~((Math.Max(64UL, 8UL << l1Bits)) - 1);
            if (!ste.L1Cds.TryGetValue(l1Index, out ulong l1cd))
            {
                Span<byte> raw = stackalloc byte[8];
                if (!FetchCdStructureLocked(ste, ptr + ((ulong)l1Index * 8), raw, in t, out result))
                {
                    return null;
                }

                l1cd = BinaryPrimitives.ReadUInt64LittleEndian(raw);
            }

            // L1CD: V[0], L2Ptr[55:12] (64K leaves: L2Ptr[15:12] RES0, treated as zero).
            ulong l2Ptr = l1cd & 0x00FF_FFFF_FFFF_F000 & (leafBits == 10 ? ~0xFFFFUL : ~0UL);
            if ((l1cd & 1) == 0 || (!ste.S2Enabled && (l2Ptr >> _oas) != 0))
            {
                result = ConfigFaultLocked(in t, SmmuV3EventId.C_BAD_SUBSTREAMID, 0);
                return null;
            }

            if (ste.L1Cds.Count >= MaxCachedCdsPerStream)
            {
                ste.L1Cds.Clear();
            }

            ste.L1Cds[l1Index] = l1cd;
            cdAddr = l2Ptr + ((ulong)(index & ((1u << leafBits) - 1)) * 64);
        }

        Span<byte> cdRaw = stackalloc byte[32];
        if (!FetchCdStructureLocked(ste, cdAddr, cdRaw, in t, out result))
        {
            return null;
        }

        var cd = new SmmuV3Cd(
            BinaryPrimitives.ReadUInt64LittleEndian(cdRaw),
            BinaryPrimitives.ReadUInt64LittleEndian(cdRaw[8..]),
            BinaryPrimitives.ReadUInt64LittleEndian(cdRaw[16..]),
            BinaryPrimitives.ReadUInt64LittleEndian(cdRaw[24..]));
        SmmuV3ContextConfig? cfg = DecodeCd(ste, index, in cd);
        if (cfg is null)
        {
            result = ConfigFaultLocked(in t, SmmuV3EventId.C_BAD_CD, 0);
            return null;
        }

        if (ste.Cds.Count >= MaxCachedCdsPerStream)
        {
            ste.ClearCds();
        }

        ste.Cds[index] = cfg;
        PublishCd(ste, cfg);
        result = default;
        return cfg;
    }

    private static void PublishCd(SmmuV3StreamConfig ste, SmmuV3ContextConfig cd)
    {
        if (cd.Index < SmmuV3StreamConfig.FastCdSlots)
        {
            Volatile.Write(ref ste.FastCds[cd.Index], cd);
        }
    }

    /// <summary>
    /// Reads a CD or L1CD. With stage 2 enabled the address is an IPA: a stage-2 fault is reported
    /// with CLASS = CD. An abort on the physical read is F_CD_FETCH.
    /// </summary>
    private bool FetchCdStructureLocked(SmmuV3StreamConfig ste, ulong address, Span<byte> destination, in Txn t, out SmmuV3Translation result)
    {
        ulong pa = address;
        if (ste.S2Enabled)
        {
            ArmLpaeWalker.Walk(_memory, in ste.S2Walk, address, ArmLpaeAccess.Read, out ArmLpaeWalkResult r);
            if (!r.IsOk)
            {
                result = WalkFaultLocked(in t, in r, cdFetch: true, s1Record: false, s1Abort: true, s2Record: ste.S2Record);
                return false;
            }

            pa = r.OutputAddress;
        }

        if (!FetchOwn(pa, destination, ste.CdAccess))
        {
            result = ConfigFaultLocked(in t, SmmuV3EventId.F_CD_FETCH, pa & SmmuV3EventRecord.FetchAddrMask);
            return false;
        }

        result = default;
        return true;
    }

    /// <summary>Decodes a fetched CD; null if it is invalid (V = 0) or ILLEGAL (§5.4).</summary>
    private SmmuV3ContextConfig? DecodeCd(SmmuV3StreamConfig ste, uint index, in SmmuV3Cd cd)
    {
        if (!cd.V || !cd.Aa64 || cd.Endi || cd.S)
        {
            return null; // AArch32 tables, big-endian tables and stalls are not implemented
        }

        if (!cd.A && Features.TerminateAbortOnly)
        {
            return null;
        }

        bool ha = cd.Ha;
        bool hd = cd.Hd;
        if ((ha && Features.Httu == SmmuV3Httu.None) || (hd && Features.Httu != SmmuV3Httu.AccessAndDirty))
        {
            return null;
        }

        hd &= ha; // {HD, HA} = 0b10 is reserved and behaves as 0b00
        bool el2 = ste.S1Kind == SmmuV3TlbKind.El2;
        ushort asid = el2 ? (ushort)0 : cd.Asid;
        if (asid > 0xFF && !Features.Asid16)
        {
            return null;
        }

        // EPDx are IGNORED (effective 0) in the EL2 regime, which has no TTB1 range.
        bool epd0 = !el2 && cd.Epd0;
        bool epd1 = el2 || cd.Epd1;
        var cfg = new SmmuV3ContextConfig(index, in cd)
        {
            Asid = asid,
            Record = cd.R,
            AbortOnFault = cd.A,
            Mair = cd.Mair,
            TwoRanges = !el2,
            Epd0 = epd0,
            Epd1 = epd1,
            Tbi0 = cd.Tbi0,
            Tbi1 = !el2 && cd.Tbi1,
        };

        if (!epd0 && !TryBuildS1Walk(cd.T0sz, cd.Tg0, cd.Ir0, cd.Or0, cd.Sh0, cd.Ttb0, in cd, ha, hd, out cfg.Walk0))
        {
            return null;
        }

        if (!epd1)
        {
            // TG1 encodes 16K = 1, 4K = 2, 64K = 3; as a TG0 encoding: 4K = 0, 64K = 1, 16K = 2.
            int tg0 = cd.Tg1 switch
            {
                1 => 2,
                2 => 0,
                3 => 1,
                _ => 3,
            };
            if (!TryBuildS1Walk(cd.T1sz, tg0, cd.Ir1, cd.Or1, cd.Sh1, cd.Ttb1, in cd, ha, hd, out cfg.Walk1))
            {
                return null;
            }
        }

        return cfg;
    }

    /// <summary>A stage-1 walk for one TTBx range, or false if its fields are ILLEGAL.</summary>
    private bool TryBuildS1Walk(int tsz, int tg0, int ir, int or, int sh, ulong ttb, in SmmuV3Cd cd, bool ha, bool hd, out ArmLpaeWalkConfig walk)
    {
        walk = default;
        int g = ArmLpaeWalkConfig.GranuleShiftFromTg0(tg0);
        if (!GranuleSupported(g) || tsz < 16 || tsz > 39)
        {
            return false; // VAX = 0 (48-bit VAs), STT = 0
        }

        int ipsBits = EffectiveOutputBits(cd.Ips, g);
        if ((ttb >> ipsBits) != 0)
        {
            return false;
        }

        BusAccess access = SmmuV3Attributes.OwnAccess(CoherentWalk, SmmuV3Attributes.RegionIsWriteBack(ir), SmmuV3Attributes.RegionIsWriteBack(or), sh);
        walk = ArmLpaeWalkConfig.FromS1(tsz, tg0, ArmLpaeWalkConfig.PsFromAddressSize(ipsBits), ttb, access) with
        {
            HardwareAccessFlag = ha,
            HardwareDirty = hd,
            Wxn = cd.Wxn,
        };
        return walk.IsValid;
    }
}
