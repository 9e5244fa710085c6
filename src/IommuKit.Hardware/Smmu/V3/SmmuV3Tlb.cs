using System.Numerics;
using System.Runtime.CompilerServices;

namespace IommuKit.Hardware.Smmu.V3;

/// <summary>Translation regimes a TLB entry can belong to (its tagging).</summary>
internal enum SmmuV3TlbKind : byte
{
    /// <summary>NS-EL1 stage 1, or combined stage 1 + 2 (nested): VMID- and (non-global) ASID-tagged, keyed by VA.</summary>
    El1 = 0,

    /// <summary>Stage 2 only (stage 1 bypassed): VMID-tagged, keyed by IPA.</summary>
    Stage2 = 1,

    /// <summary>NS-EL2 stage 1: no VMID, no ASID.</summary>
    El2 = 2,

    /// <summary>NS-EL2-E2H stage 1: no VMID, (non-global) ASID-tagged.</summary>
    El2E2h = 3,
}

/// <summary>How an invalidation matches the ASID of an entry.</summary>
internal enum SmmuV3AsidMatch
{
    /// <summary>Every entry, global or not.</summary>
    Any,

    /// <summary>Global entries, and non-global entries of the ASID (TLBI by VA).</summary>
    MatchOrGlobal,

    /// <summary>Only non-global entries of the ASID (TLBI by ASID).</summary>
    NonGlobalMatch,
}

/// <summary>A TLB hit: the output base of the block, its size and the cached permissions.</summary>
internal readonly struct SmmuV3TlbHit
{
    public readonly ulong OutputBase;
    public readonly int Shift;
    public readonly uint Attrs;

    public SmmuV3TlbHit(ulong outputBase, int shift, uint attrs)
    {
        OutputBase = outputBase;
        Shift = shift;
        Attrs = attrs;
    }
}

/// <summary>
/// The SMMU TLB: leaf translations (pages and blocks of any size) tagged by regime, VMID and
/// ASID, 4-way set associative, with round-robin replacement. There is no walk cache: a miss
/// always walks from the table base, so the Leaf and TTL fields of invalidations do not matter.
/// </summary>
/// <remarks>
/// Lookups are lock-free: each entry carries a sequence number that is odd while the owner of
/// the SMMU lock rewrites it, and a reader that sees it change retries on the slow path. All
/// writers hold the SMMU lock.
/// </remarks>
internal sealed class SmmuV3Tlb
{
    public const uint AttrRead = 1u << 0;
    public const uint AttrWrite = 1u << 1;
    public const uint AttrExec = 1u << 2;
    public const uint AttrPrivileged = 1u << 3;
    public const uint AttrAnyPrivilege = 1u << 4;
    public const uint AttrSnoop = 1u << 5;

    /// <summary>The 56 bits of an input address that tag entries (VA[55] selects TTB0/TTB1; the top byte is checked or ignored before lookup).</summary>
    public const ulong InputMask = 0x00FF_FFFF_FFFF_FFFF;

    private const int Ways = 4;
    private const ulong ValidBit = 1UL << 8;
    private const ulong GlobalBit = 1UL << 9;
    private const int MaxProbes = 512;

    private readonly Entry[] _entries;
    private readonly byte[] _victim;
    private readonly int _setBits;
    private ulong _shiftMask;
    private long _generation;

    public SmmuV3Tlb(int entries)
    {
        _entries = new Entry[entries];
        _victim = new byte[entries / Ways];
        _setBits = BitOperations.Log2((uint)(entries / Ways));
    }

    /// <summary>Incremented by every invalidation; a walk that started before one must not insert its result.</summary>
    public long Generation => Volatile.Read(ref _generation);

    /// <summary>Number of valid entries (diagnostics).</summary>
    public int Count
    {
        get
        {
            int n = 0;
            foreach (Entry e in _entries)
            {
                n += (e.Key & ValidBit) != 0 ? 1 : 0;
            }

            return n;
        }
    }

    /// <summary>Looks up a translation of <paramref name="input"/> (already masked with <see cref="InputMask"/>).</summary>
    public bool TryLookup(SmmuV3TlbKind kind, ushort vmid, ushort asid, ulong input, out SmmuV3TlbHit hit)
    {
        ulong shifts = Volatile.Read(ref _shiftMask);
        uint wantIds = ((uint)vmid << 16) | asid;
        Entry[] entries = _entries;
        while (shifts != 0)
        {
            int shift = BitOperations.TrailingZeroCount(shifts);
            shifts &= shifts - 1;
            ulong inputBase = input & ~((1UL << shift) - 1);
            ulong key = MakeKey(inputBase, shift, kind);
            int first = Set(inputBase, shift, kind, vmid) * Ways;
            for (int i = first; i < first + Ways; i++)
            {
                ref Entry e = ref entries[i];
                int seq = Volatile.Read(ref e.Seq);
                ulong k = Volatile.Read(ref e.Key);
                if ((k & ~GlobalBit) != key)
                {
                    continue;
                }

                uint ids = Volatile.Read(ref e.Ids);
                if (ids != wantIds && ((k & GlobalBit) == 0 || (ids >> 16) != vmid))
                {
                    continue;
                }

                uint attrs = Volatile.Read(ref e.Attrs);
                ulong output = Volatile.Read(ref e.Output);
                if ((seq & 1) != 0 || Volatile.Read(ref e.Seq) != seq)
                {
                    hit = default;
                    return false; // being rewritten: take the slow path
                }

                hit = new SmmuV3TlbHit(output, shift, attrs);
                return true;
            }
        }

        hit = default;
        return false;
    }

    /// <summary>Inserts a translation (caller holds the SMMU lock). Replaces an entry with the same tag.</summary>
    public void Insert(SmmuV3TlbKind kind, ushort vmid, ushort asid, bool global, ulong inputBase, int shift, ulong outputBase, uint attrs)
    {
        inputBase &= InputMask & ~((1UL << shift) - 1);
        ulong key = MakeKey(inputBase, shift, kind) | (global ? GlobalBit : 0);
        uint ids = ((uint)vmid << 16) | (global ? 0u : asid);
        int set = Set(inputBase, shift, kind, vmid);
        int first = set * Ways;
        int slot = -1;
        for (int i = first; i < first + Ways; i++)
        {
            ulong k = _entries[i].Key;
            if (k == key && _entries[i].Ids == ids)
            {
                slot = i;
                break;
            }

            if (slot < 0 && (k & ValidBit) == 0)
            {
                slot = i;
            }
        }

        if (slot < 0)
        {
            slot = first + _victim[set];
            _victim[set] = (byte)((_victim[set] + 1) % Ways);
        }

        Write(ref _entries[slot], key, ids, attrs, outputBase);
        Volatile.Write(ref _shiftMask, _shiftMask | (1UL << shift));
    }

    /// <summary>
    /// Invalidates entries of the regimes in <paramref name="kindMask"/> (bit per <see cref="SmmuV3TlbKind"/>)
    /// whose VMID equals <paramref name="vmid"/> (−1: any), whose ASID matches per <paramref name="asidMatch"/>,
    /// and which overlap [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>)
    /// (length 0: the whole space). Caller holds the SMMU lock.
    /// </summary>
    public void Invalidate(int kindMask, int vmid, int asid, SmmuV3AsidMatch asidMatch, ulong start, ulong length)
    {
        _generation++;
        start &= InputMask;
        ulong end = length == 0 || length > InputMask + 1 - start ? InputMask + 1 : start + length;
        if (length == 0)
        {
            start = 0;
        }

        if (vmid >= 0 && BitOperations.PopCount((uint)kindMask) == 1 && end - start <= (ulong)MaxProbes << 12 && TryProbe(kindMask, vmid, asid, asidMatch, start, end))
        {
            return;
        }

        ulong shifts = 0;
        for (int i = 0; i < _entries.Length; i++)
        {
            ref Entry e = ref _entries[i];
            ulong k = e.Key;
            if ((k & ValidBit) == 0)
            {
                continue;
            }

            int shift = (int)(k & 0x3F);
            if (Matches(k, e.Ids, kindMask, vmid, asid, asidMatch, start, end))
            {
                Write(ref e, 0, 0, 0, 0);
            }
            else
            {
                shifts |= 1UL << shift;
            }
        }

        Volatile.Write(ref _shiftMask, shifts);
    }

    private bool TryProbe(int kindMask, int vmid, int asid, SmmuV3AsidMatch asidMatch, ulong start, ulong end)
    {
        var kind = (SmmuV3TlbKind)BitOperations.TrailingZeroCount((uint)kindMask);
        ulong shifts = _shiftMask;
        int probes = 0;
        for (ulong s = shifts; s != 0; s &= s - 1)
        {
            int shift = BitOperations.TrailingZeroCount(s);
            ulong first = start >> shift;
            ulong last = (end - 1) >> shift;
            probes += (int)Math.Min(last - first + 1, MaxProbes + 1UL);
            if (probes > MaxProbes)
            {
                return false;
            }
        }

        for (ulong s = shifts; s != 0; s &= s - 1)
        {
            int shift = BitOperations.TrailingZeroCount(s);
            for (ulong block = start >> shift; block <= (end - 1) >> shift; block++)
            {
                ulong inputBase = block << shift;
                int set = Set(inputBase, shift, kind, (ushort)vmid) * Ways;
                for (int i = set; i < set + Ways; i++)
                {
                    ref Entry e = ref _entries[i];
                    if ((e.Key & ValidBit) != 0 && Matches(e.Key, e.Ids, kindMask, vmid, asid, asidMatch, start, end))
                    {
                        Write(ref e, 0, 0, 0, 0);
                    }
                }
            }
        }

        return true;
    }

    private static bool Matches(ulong key, uint ids, int kindMask, int vmid, int asid, SmmuV3AsidMatch asidMatch, ulong start, ulong end)
    {
        int kind = (int)(key >> 6) & 3;
        if ((kindMask & (1 << kind)) == 0 || (vmid >= 0 && (int)(ids >> 16) != vmid))
        {
            return false;
        }

        bool global = (key & GlobalBit) != 0;
        switch (asidMatch)
        {
            case SmmuV3AsidMatch.MatchOrGlobal when !global && (int)(ids & 0xFFFF) != asid:
            case SmmuV3AsidMatch.NonGlobalMatch when global || (int)(ids & 0xFFFF) != asid:
                return false;
        }

        int shift = (int)(key & 0x3F);
        ulong inputBase = key & ~0xFFFUL;
        ulong inputEnd = inputBase + (1UL << shift);
        return inputBase < end && inputEnd > start;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong MakeKey(ulong inputBase, int shift, SmmuV3TlbKind kind) =>
        inputBase | (uint)shift | ((ulong)kind << 6) | ValidBit;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Set(ulong inputBase, int shift, SmmuV3TlbKind kind, ushort vmid)
    {
        ulong h = ((inputBase >> shift) * 0x9E3779B97F4A7C15UL) ^ ((((ulong)vmid << 16) | ((ulong)kind << 8) | (uint)shift) * 0xC2B2AE3D27D4EB4FUL);
        h ^= h >> 29;
        return (int)((h * 0xBF58476D1CE4E5B9UL) >> (64 - _setBits));
    }

    private static void Write(ref Entry e, ulong key, uint ids, uint attrs, ulong output)
    {
        Interlocked.Increment(ref e.Seq); // odd: readers retry
        e.Key = key;
        e.Ids = ids;
        e.Attrs = attrs;
        e.Output = output;
        Volatile.Write(ref e.Seq, e.Seq + 1);
    }

    private struct Entry
    {
        public int Seq;
        public ulong Key;
        public uint Ids;
        public uint Attrs;
        public ulong Output;
    }
}
