using System.Runtime.CompilerServices;
using IommuKit.Hardware.Dma;
using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables.ArmLpae;
using static IommuKit.Hardware.Smmu.V3.SmmuV3Registers;

namespace IommuKit.Hardware.Smmu.V3;

/// <summary>The translation of client transactions (SMMUv3 §3.3, §3.4, §3.12, §13).</summary>
public sealed partial class SmmuV3
{
    private const ulong Page = 0x1000;

    /// <summary>
    /// Translates one transaction of <paramref name="streamId"/> at <paramref name="iova"/>:
    /// configuration lookup (STE, CD), TLB, table walk, fault recording. Allocation-free except when
    /// it fills a configuration cache entry; never throws for anything software or a device does.
    /// </summary>
    /// <returns>True if the transaction proceeds to memory at <see cref="SmmuV3Translation.OutputAddress"/>.</returns>
    public bool Translate(uint streamId, ulong iova, DmaAttributes attrs, bool write, out SmmuV3Translation result)
    {
        var t = new Txn(streamId, iova, attrs, write);
        if (!_smmuEnabled)
        {
            // SMMUEN = 0: every transaction bypasses or aborts as SMMU_GBPA says, without events.
            result = (_gbpa & GBPA_ABORT) != 0
                ? Refused(in t, SmmuV3TranslationStatus.Aborted, SmmuV3EventId.None, false)
                : Bypass(in t);
            return result.IsOk;
        }

        SmmuV3StreamConfig? ste = Volatile.Read(ref _steFast[streamId & (uint)_steFastMask]);
        if (ste is null || ste.Sid != streamId)
        {
            lock (_lock)
            {
                ste = GetStreamConfigLocked(in t, out result);
            }

            if (ste is null)
            {
                FlushIrqs();
                return false;
            }
        }

        TranslateWithStream(ste, in t, out result);
        if (Volatile.Read(ref _pendingIrqs) != 0)
        {
            FlushIrqs();
        }

        return result.IsOk;
    }

    private void TranslateWithStream(SmmuV3StreamConfig ste, in Txn t, out SmmuV3Translation result)
    {
        if (ste.Mode == SmmuV3StreamMode.Abort)
        {
            result = Refused(in t, SmmuV3TranslationStatus.Aborted, SmmuV3EventId.None, false);
            return;
        }

        bool stage1 = ste.S1Enabled;
        uint cdIndex = 0;
        SmmuV3EventId configError = SmmuV3EventId.None;
        if (!stage1 || ste.Mode == SmmuV3StreamMode.Bypass)
        {
            stage1 = false;
            if (t.Ssv)
            {
                configError = SmmuV3EventId.C_BAD_SUBSTREAMID; // a SubstreamID needs stage 1
            }
        }
        else if (t.Ssv)
        {
            if (ste.CdMax == 0 || t.SsidOutOfRange || (t.Ssid >> ste.CdMax) != 0)
            {
                configError = SmmuV3EventId.C_BAD_SUBSTREAMID;
            }
            else if (ste.S1Dss == 2 && t.Ssid == 0)
            {
                configError = SmmuV3EventId.F_STREAM_DISABLED; // CD 0 is reserved for non-substream traffic
            }

            cdIndex = t.Ssid;
        }
        else if (ste.CdMax != 0)
        {
            switch (ste.S1Dss)
            {
                case 0:
                    configError = SmmuV3EventId.F_STREAM_DISABLED;
                    break;
                case 1:
                    stage1 = false; // bypass stage 1 as though Config were 0b1x0
                    break;
                default:
                    break; // 0b10: use CD 0
            }
        }

        if (configError != SmmuV3EventId.None)
        {
            lock (_lock)
            {
                result = ConfigFaultLocked(in t, configError, 0);
            }

            return;
        }

        if (!stage1)
        {
            if ((t.Input >> _oas) != 0)
            {
                // Stage 1 bypassed: an input address beyond the implemented range is a stage-1 Address Size fault.
                lock (_lock)
                {
                    result = TranslationFaultLocked(in t, SmmuV3EventId.F_ADDR_SIZE, stage2: false, SmmuV3EventClass.Input, 0, record: true, SmmuV3TranslationStatus.Aborted);
                }

                return;
            }

            if (!ste.S2Enabled)
            {
                result = Bypass(in t);
                return;
            }

            TranslateStage2Only(ste, in t, out result);
            return;
        }

        SmmuV3ContextConfig? cd = cdIndex < SmmuV3StreamConfig.FastCdSlots ? Volatile.Read(ref ste.FastCds[cdIndex]) : null;
        if (cd is null)
        {
            lock (_lock)
            {
                cd = GetContextConfigLocked(ste, cdIndex, in t, out result);
            }

            if (cd is null)
            {
                return;
            }
        }

        TranslateStage1(ste, cd, in t, out result);
    }

    private void TranslateStage1(SmmuV3StreamConfig ste, SmmuV3ContextConfig cd, in Txn t, out SmmuV3Translation result)
    {
        ulong ia = t.Input;
        bool upper = cd.TwoRanges && ((ia >> 55) & 1) != 0;
        ref readonly ArmLpaeWalkConfig walk = ref upper ? ref cd.Walk1 : ref cd.Walk0;
        bool disabled = upper ? cd.Epd1 : cd.Epd0;
        int top = (upper ? cd.Tbi1 : cd.Tbi0) ? 56 : 64;
        int inputBits = walk.InputSize;
        if (!disabled && inputBits < top)
        {
            // VA[top-1:inputBits] must be a sign extension of the range (zeros for TTB0, ones for TTB1).
            ulong rangeMask = (top == 64 ? ulong.MaxValue : (1UL << top) - 1) & ~((1UL << inputBits) - 1);
            disabled = (ia & rangeMask) != (upper ? rangeMask : 0);
        }

        if (disabled)
        {
            lock (_lock)
            {
                result = TranslationFaultLocked(
                    in t, SmmuV3EventId.F_TRANSLATION, stage2: false, SmmuV3EventClass.Input, 0, cd.Record, cd.AbortOnFault ? SmmuV3TranslationStatus.Aborted : SmmuV3TranslationStatus.Terminated);
            }

            return;
        }

        SmmuV3TlbKind kind = ste.S1Kind;
        bool privileged = t.Privileged || kind == SmmuV3TlbKind.El2;
        if (_tlb.TryLookup(kind, ste.Vmid, cd.Asid, ia & SmmuV3Tlb.InputMask, out SmmuV3TlbHit hit) && Permits(hit.Attrs, in t, privileged))
        {
            result = FromHit(in hit, in t);
            return;
        }

        long generation = _tlb.Generation;
        ulong walkAddress = ia & ((1UL << inputBits) - 1);
        ArmLpaeAccess access = t.Access(privileged);
        ArmLpaeWalkResult r;
        if (ste.S2Enabled)
        {
            ArmLpaeWalker.WalkNested(_memory, in walk, in ste.S2Walk, walkAddress, access, out r);
        }
        else
        {
            ArmLpaeWalker.Walk(_memory, in walk, walkAddress, access, out r);
        }

        if (!r.IsOk)
        {
            lock (_lock)
            {
                result = WalkFaultLocked(in t, in r, cdFetch: false, cd.Record, cd.AbortOnFault, ste.S2Record);
            }

            return;
        }

        bool snoop = SmmuV3Attributes.MairIsWriteBack(cd.Mair, r.AttrIndx) && SmmuV3Attributes.IsShareable(r.Shareability) &&
            (!ste.S2Enabled || (SmmuV3Attributes.S2MemAttrIsWriteBack(r.S2MemAttr) && SmmuV3Attributes.IsShareable(r.S2Shareability)));
        uint attrs = PermissionAttrs(in r, kind == SmmuV3TlbKind.El2 ? SmmuV3Tlb.AttrAnyPrivilege : privileged ? SmmuV3Tlb.AttrPrivileged : 0, snoop);
        bool global = kind == SmmuV3TlbKind.El2 || !r.NotGlobal;
        Insert(generation, kind, ste.Vmid, cd.Asid, global, ia, in r, attrs);
        result = FromWalk(in r, in t, snoop);
    }

    private void TranslateStage2Only(SmmuV3StreamConfig ste, in Txn t, out SmmuV3Translation result)
    {
        ulong ia = t.Input;
        if (_tlb.TryLookup(SmmuV3TlbKind.Stage2, ste.Vmid, 0, ia & SmmuV3Tlb.InputMask, out SmmuV3TlbHit hit) && Permits(hit.Attrs, in t, t.Privileged))
        {
            result = FromHit(in hit, in t);
            return;
        }

        long generation = _tlb.Generation;
        ArmLpaeWalker.Walk(_memory, in ste.S2Walk, ia, t.Access(t.Privileged), out ArmLpaeWalkResult r);
        if (!r.IsOk)
        {
            lock (_lock)
            {
                result = WalkFaultLocked(in t, in r, cdFetch: false, s1Record: false, s1Abort: true, ste.S2Record);
            }

            return;
        }

        bool snoop = SmmuV3Attributes.S2MemAttrIsWriteBack(r.S2MemAttr) && SmmuV3Attributes.IsShareable(r.Shareability);
        Insert(generation, SmmuV3TlbKind.Stage2, ste.Vmid, 0, global: true, ia, in r, PermissionAttrs(in r, SmmuV3Tlb.AttrAnyPrivilege, snoop));
        result = FromWalk(in r, in t, snoop);
    }

    private void Insert(long generation, SmmuV3TlbKind kind, ushort vmid, ushort asid, bool global, ulong ia, in ArmLpaeWalkResult r, uint attrs)
    {
        int shift = r.BlockShift;
        if (shift is < 12 or > 55)
        {
            return;
        }

        lock (_lock)
        {
            // A walk that raced with an invalidation must not leave its (possibly stale) result behind.
            if (_tlb.Generation == generation)
            {
                _tlb.Insert(kind, vmid, asid, global, ia, shift, r.OutputAddress & ~((1UL << shift) - 1), attrs);
            }
        }
    }

    // AttrRead, AttrWrite and AttrExec are the walk result's permission bits, in the same places.
    private static uint PermissionAttrs(in ArmLpaeWalkResult r, uint privilege, bool snoop) =>
        (uint)r.PermissionBits |
        privilege |
        (snoop ? SmmuV3Tlb.AttrSnoop : 0);

    /// <summary>
    /// True if a cached entry grants the access. An entry filled at another privilege, or lacking
    /// the permission, is not used: the SMMU walks again (and faults only if the tables say so).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Permits(uint attrs, in Txn t, bool privileged)
    {
        uint need = t.Write ? SmmuV3Tlb.AttrWrite : t.Instruction ? SmmuV3Tlb.AttrExec : SmmuV3Tlb.AttrRead;
        bool privOk = (attrs & SmmuV3Tlb.AttrAnyPrivilege) != 0 || ((attrs & SmmuV3Tlb.AttrPrivileged) != 0) == privileged;
        return (attrs & need) != 0 && privOk;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static SmmuV3Translation FromHit(in SmmuV3TlbHit hit, in Txn t)
    {
        ulong offsetMask = (1UL << hit.Shift) - 1;
        ulong offset = t.Input & offsetMask;
        BusAccess access = (hit.Attrs & SmmuV3Tlb.AttrSnoop) != 0 && !t.NoSnoop ? BusAccess.Snoop : BusAccess.NoSnoop;
        return new SmmuV3Translation(SmmuV3TranslationStatus.Translated, hit.OutputBase | offset, offsetMask + 1 - offset, access, SmmuV3EventId.None, false);
    }

    private static SmmuV3Translation FromWalk(in ArmLpaeWalkResult r, in Txn t, bool snoop)
    {
        ulong offsetMask = (1UL << r.BlockShift) - 1;
        ulong offset = t.Input & offsetMask;
        BusAccess access = snoop && !t.NoSnoop ? BusAccess.Snoop : BusAccess.NoSnoop;
        return new SmmuV3Translation(SmmuV3TranslationStatus.Translated, r.OutputAddress, offsetMask + 1 - offset, access, SmmuV3EventId.None, false);
    }

    /// <summary>An untranslated pass-through: the incoming snoop attribute is used.</summary>
    private static SmmuV3Translation Bypass(in Txn t)
    {
        ulong length = t.Input == 0 ? ulong.MaxValue : 0 - t.Input;
        return new SmmuV3Translation(
            SmmuV3TranslationStatus.Bypassed, t.Input, length, t.NoSnoop ? BusAccess.NoSnoop : BusAccess.Snoop, SmmuV3EventId.None, false);
    }

    /// <summary>A terminated transaction; the termination covers the input address up to the next 4 KiB boundary.</summary>
    private static SmmuV3Translation Refused(in Txn t, SmmuV3TranslationStatus status, SmmuV3EventId id, bool recorded) =>
        new(status, 0, Page - (t.Input & (Page - 1)), BusAccess.NoSnoop, id, recorded);

    /// <summary>Reports a failed table walk (stage 1, stage 2, or stage 2 of a CD fetch). Caller holds the lock.</summary>
    private SmmuV3Translation WalkFaultLocked(in Txn t, in ArmLpaeWalkResult r, bool cdFetch, bool s1Record, bool s1Abort, bool s2Record)
    {
        bool stage2 = r.Stage == 2;
        SmmuV3EventClass cls = cdFetch ? SmmuV3EventClass.Cd
            : stage2 && !r.FaultOnTableFetch ? SmmuV3EventClass.Input
            : stage2 || r.Fault == ArmLpaeFault.ExternalAbort ? SmmuV3EventClass.TranslationTable
            : SmmuV3EventClass.Input;
        if (r.Fault == ArmLpaeFault.ExternalAbort)
        {
            // F_WALK_EABT is not a translation-related fault: always recorded, always an abort.
            return TranslationFaultLocked(
                in t, SmmuV3EventId.F_WALK_EABT, stage2, cls, r.FaultAddress & SmmuV3EventRecord.FetchAddrMask, record: true, SmmuV3TranslationStatus.Aborted);
        }

        SmmuV3EventId id = r.Fault switch
        {
            ArmLpaeFault.AccessFlag => SmmuV3EventId.F_ACCESS,
            ArmLpaeFault.Permission => SmmuV3EventId.F_PERMISSION,
            ArmLpaeFault.AddressSize => SmmuV3EventId.F_ADDR_SIZE,
            _ => SmmuV3EventId.F_TRANSLATION,
        };
        return stage2
            ? TranslationFaultLocked(in t, id, stage2: true, cls, r.FaultAddress & SmmuV3EventRecord.IpaMask, s2Record, SmmuV3TranslationStatus.Aborted)
            : TranslationFaultLocked(in t, id, stage2: false, cls, 0, s1Record, s1Abort ? SmmuV3TranslationStatus.Aborted : SmmuV3TranslationStatus.Terminated);
    }

    /// <summary>Records (if <paramref name="record"/>) a translation-related fault or walk abort. Caller holds the lock.</summary>
    private SmmuV3Translation TranslationFaultLocked(in Txn t, SmmuV3EventId id, bool stage2, SmmuV3EventClass cls, ulong word3, bool record, SmmuV3TranslationStatus status)
    {
        bool recorded = false;
        if (record)
        {
            var rec = new SmmuV3EventRecord(
                SmmuV3EventRecord.Word0(id, t.Sid, t.Ssv, t.Ssid),
                SmmuV3EventRecord.Word1(t.Privileged, t.Instruction, t.Write, stage2, cls, ttRead: cls == SmmuV3EventClass.TranslationTable && id == SmmuV3EventId.F_PERMISSION),
                t.Input,
                word3);
            recorded = RecordEventLocked(in rec);
        }

        return Refused(in t, status, id, recorded);
    }

    /// <summary>One client transaction as the SMMU sees it (PRIVCFG/INSTCFG = use incoming).</summary>
    private readonly struct Txn
    {
        public readonly ulong Input;
        public readonly uint Sid;
        public readonly uint Ssid;
        public readonly bool Ssv;
        public readonly bool SsidOutOfRange;
        public readonly bool Write;
        public readonly bool Instruction;
        public readonly bool Privileged;
        public readonly bool NoSnoop;

        public Txn(uint sid, ulong input, DmaAttributes attrs, bool write)
        {
            Input = input;
            Sid = sid;
            Ssv = attrs.SubstreamValid;
            Ssid = attrs.SubstreamValid ? attrs.SubstreamId & 0xFFFFF : 0;
            SsidOutOfRange = attrs.SubstreamValid && attrs.SubstreamId > 0xFFFFF;
            Write = write;
            Instruction = attrs.Instruction && !write; // writes are always Data
            Privileged = attrs.Privileged;
            NoSnoop = attrs.NoSnoop;
        }

        public ArmLpaeAccess Access(bool privileged) =>
            (Write ? ArmLpaeAccess.Write : Instruction ? ArmLpaeAccess.Execute : ArmLpaeAccess.Read) |
            (privileged ? ArmLpaeAccess.Privileged : 0);
    }
}
