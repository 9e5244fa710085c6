using System.Runtime.CompilerServices;
using IommuKit.Hardware.Dma;
using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables.ArmLpae;
using static IommuKit.Hardware.Smmu.V2.SmmuV2Registers;

namespace IommuKit.Hardware.Smmu.V2;

/// <summary>The translation path: CLIENTPD, stream mapping, S2CR, context bank, TLB, table walk.</summary>
public sealed partial class SmmuV2
{
    /// <summary>
    /// Translates one transaction of <paramref name="streamId"/> at <paramref name="iova"/> exactly as
    /// the DMA path does, including its side effects (TLB fills, fault recording, interrupts).
    /// Returns true if the access goes ahead, to <see cref="SmmuV2Translation.OutputAddress"/>.
    /// Allocation-free; lock-free on a TLB hit.
    /// </summary>
    public bool Translate(uint streamId, ulong iova, DmaAttributes attributes, bool write, out SmmuV2Translation result)
    {
        int seq = Volatile.Read(ref _seq);
        if ((seq & 1) == 0 && TryTranslateFast(streamId, iova, attributes, write, out result))
        {
            Volatile.ReadBarrier();
            if (Volatile.Read(ref _seq) == seq)
            {
                return result.Proceeds;
            }
        }

        lock (_lock)
        {
            BeginMutation();
            TranslateLocked(streamId, iova, attributes, write, out result);
            EndMutation();
        }

        RaiseInterruptEdges();
        return result.Proceeds;
    }

    /// <summary>
    /// The TLB-hit path without the lock and without side effects. Returns false whenever the full
    /// path is needed (a miss, a fault, a dirty context bank, an uncached stream); the caller
    /// validates what was read against the sequence counter.
    /// </summary>
    private bool TryTranslateFast(uint streamId, ulong va, DmaAttributes a, bool write, out SmmuV2Translation r)
    {
        Unsafe.SkipInit(out r);
        uint scr0 = _scr0;
        if ((scr0 & sCR0_CLIENTPD) != 0)
        {
            r = Bypass(va, a.NoSnoop, GlobalBypassCacheable(scr0), -1);
            return true;
        }

        if (!TryCachedStream(streamId, out int index) || (uint)index >= (uint)_s2cr.Length)
        {
            return false;
        }

        uint s2cr = _s2cr[index];
        uint type = (s2cr >> S2CR_TYPE_Shift) & 3;
        if (type == S2CR_TYPE_BYPASS)
        {
            r = Bypass(va, a.NoSnoop, S2crBypassCacheable(s2cr), -1);
            return true;
        }

        int cb = (int)(s2cr & 0xFF);
        if (type != S2CR_TYPE_TRANS || (uint)cb >= (uint)_banks.Length)
        {
            return false;
        }

        SmmuV2ContextBank b = _banks[cb];
        if (b.Dirty)
        {
            return false;
        }

        bool privileged = EffectivePrivileged(s2cr, a.Privileged);
        bool instruction = !write && EffectiveInstruction(s2cr, a.Instruction);
        int hit;
        switch (b.Kind)
        {
            case SmmuV2BankKind.S1S2Bypass:
                if (!b.Enabled)
                {
                    r = Bypass(va, a.NoSnoop, b.DisabledCacheable && b.S2BypassCacheable, cb);
                    return true;
                }

                if (!SelectRegion(b, va, out _, out _))
                {
                    return false;
                }

                hit = _tlb.Lookup(va, b.TlbContext | (privileged ? SmmuV2Tlb.CtxPrivileged : 0), b.Asid);
                break;

            case SmmuV2BankKind.S2:
                if (!b.Enabled)
                {
                    r = Bypass(va, a.NoSnoop, b.DisabledCacheable, cb);
                    return true;
                }

                if (!WithinUpstreamBus(va))
                {
                    return false;
                }

                hit = _tlb.Lookup(va, b.TlbContext, 0);
                break;

            case SmmuV2BankKind.Nested:
                if (!b.Enabled || !SelectRegion(b, va, out _, out _))
                {
                    return false;
                }

                hit = _tlb.Lookup(va, b.TlbContext | (privileged ? SmmuV2Tlb.CtxPrivileged : 0), b.Asid);
                break;

            default:
                return false;
        }

        if (hit < 0)
        {
            return false;
        }

        ref readonly SmmuV2Tlb.Entry e = ref _tlb.At(hit);
        if ((e.Flags & Needed(write, instruction)) == 0)
        {
            return false;
        }

        r = FromEntry(in e, va, a.NoSnoop, cb);
        return true;
    }

    /// <summary>The complete translation (caller holds the lock, inside a mutation).</summary>
    private void TranslateLocked(uint streamId, ulong va, DmaAttributes a, bool write, out SmmuV2Translation r)
    {
        var t = new Transaction(streamId, va, write, a.Privileged, !write && a.Instruction, a.NoSnoop);
        if ((_scr0 & sCR0_CLIENTPD) != 0)
        {
            r = Bypass(va, a.NoSnoop, GlobalBypassCacheable(_scr0), -1);
            return;
        }

        int index = ResolveStream(streamId);
        if (index == StreamUnmatched)
        {
            r = (_scr0 & sCR0_USFCFG) == 0
                ? Bypass(va, a.NoSnoop, GlobalBypassCacheable(_scr0), -1)
                : GlobalFault(sGFSR_USF, SmmuV2Fault.UnidentifiedStream, in t);
            return;
        }

        if (index == StreamConflict)
        {
            r = GlobalFault(sGFSR_SMCF, SmmuV2Fault.StreamMatchConflict, in t);
            return;
        }

        uint s2cr = _s2cr[index];
        uint type = (s2cr >> S2CR_TYPE_Shift) & 3;
        if (type == S2CR_TYPE_BYPASS)
        {
            r = Bypass(va, a.NoSnoop, S2crBypassCacheable(s2cr), -1);
            return;
        }

        t = new Transaction(streamId, va, write, EffectivePrivileged(s2cr, a.Privileged), !write && EffectiveInstruction(s2cr, a.Instruction), a.NoSnoop);
        if (type != S2CR_TYPE_TRANS)
        {
            r = GlobalFault(sGFSR_ICF, SmmuV2Fault.InvalidContext, in t);
            return;
        }

        int cb = (int)(s2cr & 0xFF);
        if (cb >= _banks.Length)
        {
            r = GlobalFault(sGFSR_UCBF, SmmuV2Fault.UnimplementedContextBank, in t);
            return;
        }

        SmmuV2ContextBank b = _banks[cb];
        if (b.Dirty)
        {
            Decode(b);
        }

        switch (b.Kind)
        {
            case SmmuV2BankKind.S2:
                TranslateStage2(b, in t, -1, out r);
                return;
            case SmmuV2BankKind.S1S2Bypass:
            case SmmuV2BankKind.S1S2Fault:
                TranslateStage1(b, in t, out r);
                return;
            case SmmuV2BankKind.Nested:
                TranslateNested(b, in t, out r);
                return;
            default:
                r = GlobalFault(sGFSR_ICF, SmmuV2Fault.InvalidContext, in t);
                return;
        }
    }

    /// <summary>
    /// What every stage-1 translation does before walking: pick the TTBR region (a translation
    /// fault outside both) and look the address up in the TLB under its context tag
    /// <paramref name="ctx"/>. True with <paramref name="r"/> set if that settled it; false with the
    /// region's input address to walk.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryStage1Front(SmmuV2ContextBank b, in Transaction t, out ulong ia, out bool region1, out ulong ctx, out SmmuV2Translation r)
    {
        ctx = b.TlbContext | (t.Privileged ? SmmuV2Tlb.CtxPrivileged : 0);
        if (!SelectRegion(b, t.Address, out ia, out region1))
        {
            r = ContextFault(b, SmmuV2Fault.Translation, 0, in t, 0);
            return true;
        }

        int hit = _tlb.Lookup(t.Address, ctx, b.Asid);
        if (hit >= 0)
        {
            r = FromEntryChecked(b, in t, hit);
            return true;
        }

        Unsafe.SkipInit(out r);
        return false;
    }

    private void TranslateStage1(SmmuV2ContextBank b, in Transaction t, out SmmuV2Translation r)
    {
        if (!b.Enabled)
        {
            r = b.Kind == SmmuV2BankKind.S1S2Fault
                ? ContextFault(b, SmmuV2Fault.Translation, 0, in t, t.Address)
                : Bypass(t.Address, t.NoSnoop, b.DisabledCacheable && b.S2BypassCacheable, b.Index);
            return;
        }

        if (TryStage1Front(b, in t, out ulong ia, out bool region1, out ulong ctx, out r))
        {
            return;
        }

        ref ArmLpaeWalkConfig cfg = ref region1 ? ref b.Walk1 : ref b.Walk0;
        ArmLpaeWalker.Walk(_memory, in cfg, ia, t.WalkAccess, out ArmLpaeWalkResult w);
        _walkCount++;
        if (!w.IsOk)
        {
            r = ContextFault(b, FromWalk(w.Fault), w.Level, in t, 0);
            return;
        }

        if (b.Kind == SmmuV2BankKind.S1S2Fault)
        {
            r = ContextFault(b, SmmuV2Fault.Translation, 0, in t, w.OutputAddress);
            return;
        }

        bool cacheable = IsWriteBackMair(MairAttribute(b, w.AttrIndx)) && b.S2BypassCacheable;
        r = Fill(b, in t, ctx, in w, cacheable, s1Read: w.Readable, s1Write: w.Writable, vmid2: 0, ipa: 0);
    }

    private void TranslateNested(SmmuV2ContextBank b, in Transaction t, out SmmuV2Translation r)
    {
        SmmuV2ContextBank s = _banks[b.S2Bank];
        if (s.Dirty)
        {
            Decode(s);
        }

        if (s.Kind != SmmuV2BankKind.S2)
        {
            r = GlobalFault(sGFSR_ICF, SmmuV2Fault.InvalidContext, in t);
            return;
        }

        if (!b.Enabled)
        {
            TranslateStage2(s, in t, b.Index, out r); // stage 1 off: the address is the IPA
            return;
        }

        if (TryStage1Front(b, in t, out ulong ia, out bool region1, out ulong ctx, out r))
        {
            return;
        }

        ref ArmLpaeWalkConfig s1 = ref region1 ? ref b.Walk1 : ref b.Walk0;
        ArmLpaeWalkResult w;
        if (s.Enabled)
        {
            ArmLpaeWalker.WalkNested(_memory, in s1, in s.WalkS2, ia, t.WalkAccess, out w);
        }
        else
        {
            ArmLpaeWalker.Walk(_memory, in s1, ia, t.WalkAccess, out w);
        }

        _walkCount++;
        if (!w.IsOk)
        {
            r = w.Stage == 1 || !s.Enabled
                ? ContextFault(b, FromWalk(w.Fault), w.Level, in t, 0)
                : ContextFault(s, FromWalk(w.Fault), w.Level, in t, w.IntermediateAddress, w.FaultOnTableFetch, b.Index);
            return;
        }

        bool s2Cacheable = s.Enabled ? IsWriteBackMemAttr(w.S2MemAttr) : s.DisabledCacheable;
        bool cacheable = IsWriteBackMair(MairAttribute(b, w.AttrIndx)) && s2Cacheable;
        bool s1Read = t.Privileged || (w.AccessPermissions & 1) != 0;
        bool s1Write = s1Read && (w.AccessPermissions & 2) == 0;
        ulong ipa = s.Enabled ? w.IntermediateAddress : w.OutputAddress;
        r = Fill(b, in t, ctx, in w, cacheable, s1Read, s1Write, s.Vmid, ipa);
    }

    /// <summary>Stage-2 translation in bank <paramref name="s"/>; <paramref name="stage1Bank"/> is the nested stage-1 bank whose stage 1 is off, or −1.</summary>
    private void TranslateStage2(SmmuV2ContextBank s, in Transaction t, int stage1Bank, out SmmuV2Translation r)
    {
        if (!s.Enabled)
        {
            r = Bypass(t.Address, t.NoSnoop, s.DisabledCacheable, stage1Bank >= 0 ? stage1Bank : s.Index);
            return;
        }

        if (!WithinUpstreamBus(t.Address))
        {
            r = ContextFault(s, SmmuV2Fault.Translation, 0, in t, t.Address, false, Math.Max(stage1Bank, 0));
            return;
        }

        int hit = _tlb.Lookup(t.Address, s.TlbContext, 0);
        if (hit >= 0)
        {
            r = FromEntryChecked(s, in t, hit, Math.Max(stage1Bank, 0));
            return;
        }

        ArmLpaeWalker.Walk(_memory, in s.WalkS2, t.Address, t.WalkAccess, out ArmLpaeWalkResult w);
        _walkCount++;
        if (!w.IsOk)
        {
            r = ContextFault(s, FromWalk(w.Fault), w.Level, in t, t.Address, false, Math.Max(stage1Bank, 0));
            return;
        }

        r = Fill(s, in t, s.TlbContext, in w, IsWriteBackMemAttr(w.S2MemAttr), s1Read: true, s1Write: true, vmid2: 0, ipa: 0);
    }

    /// <summary>Caches a successful walk and returns the translation.</summary>
    private SmmuV2Translation Fill(
        SmmuV2ContextBank b, in Transaction t, ulong ctx, in ArmLpaeWalkResult w, bool cacheable, bool s1Read, bool s1Write, ushort vmid2, ulong ipa)
    {
        int shift = w.BlockShift;
        ulong mask = (1UL << shift) - 1;
        ushort flags = (ushort)(
            (w.PermissionBits * SmmuV2Tlb.FlagRead) | // FlagRead, FlagWrite, FlagExecute in the result's order
            (cacheable ? SmmuV2Tlb.FlagCacheable : 0) |
            (b.Kind == SmmuV2BankKind.S2 || !w.NotGlobal ? SmmuV2Tlb.FlagGlobal : 0) |
            (s1Read ? SmmuV2Tlb.FlagS1Read : 0) |
            (s1Write ? SmmuV2Tlb.FlagS1Write : 0));
        _tlb.Insert(t.Address, shift, ctx, b.Kind == SmmuV2BankKind.S2 ? (ushort)0 : b.Asid, vmid2, w.OutputAddress & ~mask, ipa & ~mask, flags, (byte)w.Level);
        return new SmmuV2Translation
        {
            Status = SmmuV2TranslationStatus.Translated,
            OutputAddress = w.OutputAddress,
            Access = cacheable && !t.NoSnoop ? BusAccess.Snoop : BusAccess.NoSnoop,
            RangeShift = shift,
            ContextBank = b.Index,
        };
    }

    /// <summary>A TLB hit on the locked path: the translation, or a permission fault from the cached permissions.</summary>
    private SmmuV2Translation FromEntryChecked(SmmuV2ContextBank b, in Transaction t, int hit, int stage1Bank = 0)
    {
        ref readonly SmmuV2Tlb.Entry e = ref _tlb.At(hit);
        if ((e.Flags & Needed(t.Write, t.Instruction)) != 0)
        {
            return FromEntry(in e, t.Address, t.NoSnoop, b.Index);
        }

        if (b.Kind == SmmuV2BankKind.Nested)
        {
            // Which stage refused: stage 1 if its own permissions do not allow the access.
            bool s1Allows = t.Write ? (e.Flags & SmmuV2Tlb.FlagS1Write) != 0 : !t.Instruction && (e.Flags & SmmuV2Tlb.FlagS1Read) != 0;
            if (s1Allows)
            {
                ulong offset = t.Address & ((1UL << ShiftOf(in e)) - 1);
                return ContextFault(_banks[b.S2Bank], SmmuV2Fault.Permission, e.Level, in t, e.Ipa | offset, false, b.Index);
            }
        }

        ulong ipafar = b.Kind == SmmuV2BankKind.S2 ? t.Address : 0;
        return ContextFault(b, SmmuV2Fault.Permission, e.Level, in t, ipafar, false, stage1Bank);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static SmmuV2Translation FromEntry(in SmmuV2Tlb.Entry e, ulong va, bool noSnoop, int cb)
    {
        int shift = ShiftOf(in e);
        return new SmmuV2Translation
        {
            Status = SmmuV2TranslationStatus.Translated,
            OutputAddress = e.Output | (va & ((1UL << shift) - 1)),
            Access = (e.Flags & SmmuV2Tlb.FlagCacheable) != 0 && !noSnoop ? BusAccess.Snoop : BusAccess.NoSnoop,
            RangeShift = shift,
            ContextBank = cb,
        };
    }

    private static int ShiftOf(in SmmuV2Tlb.Entry e) => (int)((e.Ctx >> 32) & 0x3F);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ushort Needed(bool write, bool instruction) =>
        write ? SmmuV2Tlb.FlagWrite : instruction ? SmmuV2Tlb.FlagExecute : SmmuV2Tlb.FlagRead;

    /// <summary>
    /// Picks TTBR0 or TTBR1 for a stage-1 input address and checks it lies in that region;
    /// <paramref name="ia"/> is the address within the region's input range.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool SelectRegion(SmmuV2ContextBank b, ulong va, out ulong ia, out bool region1)
    {
        if (b.Aarch64)
        {
            if (!WithinUpstreamBus(va))
            {
                ia = 0;
                region1 = false;
                return false;
            }

            int sign = b.SignBit;
            if (sign < 0 || ((va >> sign) & 1) == 0)
            {
                region1 = false;
                ia = va;
                return b.Region0Enabled && (va >> b.Walk0.InputSize) == 0;
            }

            region1 = true;
            ulong extended = va | (ulong.MaxValue << sign);
            int n = b.Walk1.InputSize;
            ia = extended & ((1UL << n) - 1);
            return b.Region1Enabled && (~extended >> n) == 0;
        }

        if ((va >> 32) != 0)
        {
            ia = 0;
            region1 = false;
            return false;
        }

        if (va < b.Region0Limit)
        {
            region1 = false;
            ia = va;
            return b.Region0Enabled;
        }

        region1 = true;
        ia = va & ((1UL << b.Walk1.InputSize) - 1);
        return va >= b.Region1Base && b.Region1Enabled;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool WithinUpstreamBus(ulong va) => _upstreamBusBits >= 64 || (va >> _upstreamBusBits) == 0;

    private static uint MairAttribute(SmmuV2ContextBank b, int attrIndx) => (uint)(b.Mair >> (8 * (attrIndx & 7))) & 0xFF;

    private static bool GlobalBypassCacheable(uint scr0) => (scr0 & sCR0_MTCFG) == 0 || IsWriteBackMemAttr(scr0 >> sCR0_MemAttr_Shift);

    private static bool S2crBypassCacheable(uint s2cr) => (s2cr & S2CR_MTCFG) == 0 || IsWriteBackMemAttr(s2cr >> S2CR_MEMATTR_Shift);

    /// <summary>S2CR.PRIVCFG: 2 forces unprivileged, 3 privileged; 0 (default) and 1 keep the master's attribute.</summary>
    private static bool EffectivePrivileged(uint s2cr, bool incoming) => ((s2cr >> S2CR_PRIVCFG_Shift) & 3) switch
    {
        2 => false,
        3 => true,
        _ => incoming,
    };

    /// <summary>S2CR.INSTCFG: 2 forces data, 3 instruction; 0 and 1 keep the master's attribute.</summary>
    private static bool EffectiveInstruction(uint s2cr, bool incoming) => ((s2cr >> S2CR_INSTCFG_Shift) & 3) switch
    {
        2 => false,
        3 => true,
        _ => incoming,
    };

    private static SmmuV2Translation Bypass(ulong address, bool noSnoop, bool cacheable, int cb) => new()
    {
        Status = SmmuV2TranslationStatus.Bypassed,
        OutputAddress = address,
        Access = cacheable && !noSnoop ? BusAccess.Snoop : BusAccess.NoSnoop,
        RangeShift = 64,
        ContextBank = cb,
    };

    /// <summary>One transaction as the context bank sees it (after S2CR privilege / instruction overrides).</summary>
    private readonly struct Transaction(uint streamId, ulong address, bool write, bool privileged, bool instruction, bool noSnoop)
    {
        public uint StreamId { get; } = streamId;

        public ulong Address { get; } = address;

        public bool Write { get; } = write;

        public bool Privileged { get; } = privileged;

        public bool Instruction { get; } = instruction;

        public bool NoSnoop { get; } = noSnoop;

        public ArmLpaeAccess WalkAccess =>
            (Write ? ArmLpaeAccess.Write : ArmLpaeAccess.Read) |
            (Instruction ? ArmLpaeAccess.Execute : 0) |
            (Privileged ? ArmLpaeAccess.Privileged : 0);
    }
}
