using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace IommuKit.Hardware.Smmu.V2;

/// <summary>
/// The SMMU's TLB: a 4-way set-associative cache of complete translations (input page or block →
/// output block, with permissions and cacheability), tagged with the context bank, the regime kind,
/// the VMID, the ASID (unless global) and the privilege the permissions were computed for.
/// Entries of every page and block size live side by side; a lookup probes one set per size in use.
/// </summary>
/// <remarks>
/// Entries stay until an invalidation matches them or a fill in the same set evicts them
/// (round-robin per set), as a hardware TLB does: a driver that changes a table without
/// invalidating keeps seeing the old translation. Invalidation may remove more than the operation
/// names (never less). There is no separate walk cache: TLBIVAL / TLBIIPAS2L behave as TLBIVA /
/// TLBIIPAS2. Not thread-safe: the owner serialises writers and validates lock-free readers.
/// </remarks>
internal sealed class SmmuV2Tlb
{
    public const int Ways = 4;

    public const ushort FlagGlobal = 1;
    public const ushort FlagRead = 2;
    public const ushort FlagWrite = 4;
    public const ushort FlagExecute = 8;
    public const ushort FlagCacheable = 16;

    /// <summary>Nested entries: stage 1 alone allows reads (used to say which stage refused an access).</summary>
    public const ushort FlagS1Read = 32;

    /// <summary>Nested entries: stage 1 alone allows writes.</summary>
    public const ushort FlagS1Write = 64;

    public const ulong CtxValid = 1UL << 63;
    public const ulong CtxPrivileged = 1UL << 40;

    private readonly Entry[] _entries;
    private readonly byte[] _victim;
    private readonly int _setMask;
    private ulong _shiftMask;

    public SmmuV2Tlb(int entries)
    {
        _entries = new Entry[entries];
        _victim = new byte[entries / Ways];
        _setMask = (entries / Ways) - 1;
    }

    /// <summary>Entries currently valid (for tests).</summary>
    public int Count
    {
        get
        {
            int n = 0;
            foreach (ref readonly Entry e in _entries.AsSpan())
            {
                n += e.Ctx != 0 ? 1 : 0;
            }

            return n;
        }
    }

    /// <summary>The context key of a bank: bank [7:0], kind [15:8], VMID [31:16], shift [39:32] (added per lookup), privileged 40, valid 63.</summary>
    public static ulong MakeContext(int bank, SmmuV2BankKind kind, ushort vmid) =>
        CtxValid | (uint)bank | ((ulong)kind << 8) | ((ulong)vmid << 16);

    /// <summary>Finds the entry translating <paramref name="va"/> in <paramref name="context"/> for <paramref name="asid"/>; −1 on a miss.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Lookup(ulong va, ulong context, ushort asid)
    {
        ulong mask = _shiftMask;
        ref Entry first = ref MemoryMarshal.GetArrayDataReference(_entries);
        while (mask != 0)
        {
            int shift = BitOperations.TrailingZeroCount(mask);
            mask &= mask - 1;
            ulong tag = va >> shift;
            ulong ctx = context | ((ulong)(uint)shift << 32);
            int baseIndex = SetOf(tag, shift) * Ways;
            for (int i = 0; i < Ways; i++)
            {
                ref Entry e = ref Unsafe.Add(ref first, baseIndex + i);
                if (e.Tag == tag && e.Ctx == ctx && ((e.Flags & FlagGlobal) != 0 || e.Asid == asid))
                {
                    return baseIndex + i;
                }
            }
        }

        return -1;
    }

    /// <summary>The entry at <paramref name="index"/> (from <see cref="Lookup"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref readonly Entry At(int index) => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_entries), index);

    /// <summary>Caches a translation of the naturally aligned 2^<paramref name="shift"/> block holding <paramref name="va"/>.</summary>
    public void Insert(ulong va, int shift, ulong context, ushort asid, ushort vmid2, ulong outputBase, ulong ipaBase, ushort flags, byte level)
    {
        ulong tag = va >> shift;
        ulong ctx = context | ((ulong)(uint)shift << 32);
        int set = SetOf(tag, shift);
        int baseIndex = set * Ways;
        int victim = -1;
        for (int i = 0; i < Ways; i++)
        {
            ref Entry e = ref _entries[baseIndex + i];
            if (e.Ctx == 0 || (e.Tag == tag && e.Ctx == ctx && e.Asid == asid))
            {
                victim = baseIndex + i;
                break;
            }
        }

        if (victim < 0)
        {
            victim = baseIndex + _victim[set];
            _victim[set] = (byte)((_victim[set] + 1) & (Ways - 1));
        }

        _entries[victim] = new Entry
        {
            Tag = tag,
            Ctx = ctx,
            Output = outputBase,
            Ipa = ipaBase,
            Asid = asid,
            Vmid2 = vmid2,
            Flags = flags,
            Level = level,
        };
        _shiftMask |= 1UL << shift;
    }

    /// <summary>Removes every entry.</summary>
    public void InvalidateAll()
    {
        Array.Clear(_entries);
        _shiftMask = 0;
    }

    /// <summary>Removes entries whose VMID (or, for nested entries, stage-2 VMID) is <paramref name="vmid"/> (TLBIVMID).</summary>
    public void InvalidateVmid(ushort vmid)
    {
        foreach (ref Entry e in _entries.AsSpan())
        {
            if (e.Ctx != 0 && (VmidOf(e.Ctx) == vmid || (KindOf(e.Ctx) == SmmuV2BankKind.Nested && e.Vmid2 == vmid)))
            {
                e = default;
            }
        }
    }

    /// <summary>Removes stage-1 (and nested) entries of <paramref name="vmid"/>: all of them, or those of one ASID (global entries excepted).</summary>
    public void InvalidateStage1(ushort vmid, bool byAsid, ushort asid)
    {
        foreach (ref Entry e in _entries.AsSpan())
        {
            if (e.Ctx != 0 && IsStage1(e.Ctx) && VmidOf(e.Ctx) == vmid &&
                (!byAsid || ((e.Flags & FlagGlobal) == 0 && e.Asid == asid)))
            {
                e = default;
            }
        }
    }

    /// <summary>
    /// Removes stage-1 (and nested) entries of <paramref name="vmid"/> translating <paramref name="va"/>:
    /// for one ASID plus global entries (TLBIVA), or for every ASID (TLBIVAA).
    /// </summary>
    public void InvalidateStage1Va(ushort vmid, ulong va, bool allAsids, ushort asid) =>
        InvalidateAddress(va, new Stage1VaMatch(vmid, allAsids, asid));

    /// <summary>Removes stage-2-only entries of <paramref name="vmid"/> translating <paramref name="ipa"/> (TLBIIPAS2). Nested entries are left alone, as the architecture allows.</summary>
    public void InvalidateStage2Ipa(ushort vmid, ulong ipa) => InvalidateAddress(ipa, new Stage2IpaMatch(vmid));

    /// <summary>Removes the entries translating <paramref name="address"/> at any block size that <paramref name="match"/> selects.</summary>
    private void InvalidateAddress<TMatch>(ulong address, TMatch match)
        where TMatch : struct, IEntryMatch
    {
        ulong mask = _shiftMask;
        while (mask != 0)
        {
            int shift = BitOperations.TrailingZeroCount(mask);
            mask &= mask - 1;
            ulong tag = address >> shift;
            int baseIndex = SetOf(tag, shift) * Ways;
            for (int i = 0; i < Ways; i++)
            {
                ref Entry e = ref _entries[baseIndex + i];
                if (e.Ctx != 0 && e.Tag == tag && ShiftOf(e.Ctx) == shift && match.Matches(in e))
                {
                    e = default;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int SetOf(ulong tag, int shift) => (int)(((uint)tag ^ (uint)(tag >> 24) ^ ((uint)shift * 0x9E3779B1u >> 20)) & (uint)_setMask);

    private static ushort VmidOf(ulong ctx) => (ushort)(ctx >> 16);

    private static int ShiftOf(ulong ctx) => (int)((ctx >> 32) & 0xFF);

    private static SmmuV2BankKind KindOf(ulong ctx) => (SmmuV2BankKind)(byte)(ctx >> 8);

    private static bool IsStage1(ulong ctx) => KindOf(ctx) is SmmuV2BankKind.S1S2Bypass or SmmuV2BankKind.S1S2Fault or SmmuV2BankKind.Nested;

    /// <summary>Which TLB entries an address invalidation removes.</summary>
    private interface IEntryMatch
    {
        bool Matches(in Entry e);
    }

    /// <summary>TLBIVA / TLBIVAA: stage-1 and nested entries of a VMID, for one ASID plus global entries or for all ASIDs.</summary>
    private readonly struct Stage1VaMatch(ushort vmid, bool allAsids, ushort asid) : IEntryMatch
    {
        public bool Matches(in Entry e) =>
            IsStage1(e.Ctx) && VmidOf(e.Ctx) == vmid && (allAsids || (e.Flags & FlagGlobal) != 0 || e.Asid == asid);
    }

    /// <summary>TLBIIPAS2: stage-2-only entries of a VMID.</summary>
    private readonly struct Stage2IpaMatch(ushort vmid) : IEntryMatch
    {
        public bool Matches(in Entry e) => KindOf(e.Ctx) == SmmuV2BankKind.S2 && VmidOf(e.Ctx) == vmid;
    }

    /// <summary>One cached translation.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Entry
    {
        /// <summary>Input address >> block shift.</summary>
        public ulong Tag;

        /// <summary>Context key with the block shift; 0 = invalid.</summary>
        public ulong Ctx;

        /// <summary>Output address of the block.</summary>
        public ulong Output;

        /// <summary>Nested entries: the intermediate address of the block.</summary>
        public ulong Ipa;

        public ushort Asid;

        /// <summary>Nested entries: the stage-2 bank's VMID.</summary>
        public ushort Vmid2;

        public ushort Flags;

        /// <summary>Lookup level of the leaf (reported with a permission fault found in the TLB).</summary>
        public byte Level;
    }
}
