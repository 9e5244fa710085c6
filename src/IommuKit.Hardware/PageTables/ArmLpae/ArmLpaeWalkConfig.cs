using System.Runtime.CompilerServices;
using IommuKit.Hardware.Memory;

namespace IommuKit.Hardware.PageTables.ArmLpae;

/// <summary>
/// What a hardware table walker knows about one translation regime: stage, granule, input and
/// output sizes, start level, table base and how it reaches memory. Built from TCR/CD-style
/// fields with <see cref="FromS1"/> or from VTCR/STE-style fields with <see cref="FromS2"/>.
/// </summary>
/// <remarks>
/// A guest can program nonsense; <see cref="IsValid"/> says whether the combination is one the
/// architecture defines (an SMMU reports C_BAD_CD / C_BAD_STE for it). Walking an invalid
/// configuration yields a level-0 translation fault and never throws.
/// </remarks>
public readonly record struct ArmLpaeWalkConfig
{
    // Derived once whenever a field is set, for the walker's hot path (see Derived).
    private readonly Derived _derived;
    private readonly int _stage;
    private readonly int _granuleShift;
    private readonly int _inputSize;
    private readonly int _outputSize;
    private readonly int _startLevel;
    private readonly ulong _tableBase;
    private readonly bool _aarch64;
    private readonly bool _wxn;

    /// <summary>1 or 2.</summary>
    public int Stage
    {
        get => _stage;
        init
        {
            _stage = value;
            _derived = new Derived(this);
        }
    }

    /// <summary>12 (4K), 14 (16K) or 16 (64K).</summary>
    public int GranuleShift
    {
        get => _granuleShift;
        init
        {
            _granuleShift = value;
            _derived = new Derived(this);
        }
    }

    /// <summary>Input address size in bits (64 − T0SZ).</summary>
    public int InputSize
    {
        get => _inputSize;
        init
        {
            _inputSize = value;
            _derived = new Derived(this);
        }
    }

    /// <summary>Output address size in bits (from IPS / PS).</summary>
    public int OutputSize
    {
        get => _outputSize;
        init
        {
            _outputSize = value;
            _derived = new Derived(this);
        }
    }

    /// <summary>The level of the first lookup, 0–3; at stage 2 the start table may be up to 16 concatenated tables.</summary>
    public int StartLevel
    {
        get => _startLevel;
        init
        {
            _startLevel = value;
            _derived = new Derived(this);
        }
    }

    /// <summary>Physical address of the start table (for a nested walk's stage 1: an IPA).</summary>
    public ulong TableBase
    {
        get => _tableBase;
        init
        {
            _tableBase = value;
            _derived = new Derived(this);
        }
    }

    /// <summary>How table reads and hardware updates reach memory: <see cref="BusAccess.Snoop"/> for a coherent walker, <see cref="BusAccess.NoSnoop"/> otherwise.</summary>
    public BusAccess WalkAccess { get; init; }

    /// <summary>VMSAv8-64 (true) or AArch32 LPAE (false: 4K only, 40-bit output, XN applies to all privilege levels).</summary>
    public bool Aarch64
    {
        get => _aarch64;
        init
        {
            _aarch64 = value;
            _derived = new Derived(this);
        }
    }

    /// <summary>HA: hardware sets the access flag instead of faulting.</summary>
    public bool HardwareAccessFlag { get; init; }

    /// <summary>HD: hardware makes writable-clean (DBM) leaves dirty on write instead of faulting.</summary>
    public bool HardwareDirty { get; init; }

    /// <summary>HPD / HAD: APTable, UXNTable and PXNTable in stage-1 table descriptors are ignored.</summary>
    public bool HierarchicalPermissionsDisabled { get; init; }

    /// <summary>WXN (stage 1): memory writable at a privilege level is not executable there.</summary>
    public bool Wxn
    {
        get => _wxn;
        init
        {
            _wxn = value;
            _derived = new Derived(this);
        }
    }

    /// <summary>Index bits 2^n of a table at levels below the start level (granule shift − 3).</summary>
    public int BitsPerLevel => GranuleShift - 3;

    /// <summary>Number of entries of the start table (with stage-2 concatenation, several granules' worth).</summary>
    public int StartTableEntries => StartIndexBits is > 0 and <= 30 ? 1 << StartIndexBits : 0;

    /// <summary>True if the fields describe a walk the architecture defines.</summary>
    public bool IsValid => _derived.Valid;

    /// <summary>
    /// Where the fast walk enters, if it may run this configuration (valid, start table within the
    /// output size): 4 × granule (0 = 4K, 1 = 16K, 2 = 64K) + start level + 1; else 0 (hot path).
    /// </summary>
    internal int FastEntry => _derived.FastEntry;

    /// <summary>
    /// Bits of a leaf the fast walk compares with <see cref="LeafCheckValue"/> and the leaf type for
    /// <paramref name="access"/>: bits [1:0], AF, DBM, output-address bits beyond the output size
    /// and the permission bits its test needs (hot path).
    /// </summary>
    internal ulong LeafCheckMask(ArmLpaeAccess access) => FastWord(2 * ((int)access & 7));

    /// <summary>What a page's <see cref="LeafCheckMask"/> bits must be: 0b11, AF and the permission bits (for a block, bit 1 clear) (hot path).</summary>
    internal ulong LeafCheckValue(ArmLpaeAccess access) => FastWord((2 * ((int)access & 7)) + 1);

    /// <summary>Input-address bits beyond the input size (hot path).</summary>
    internal ulong InputOverflowMask => _derived.InputOverflowMask;

    /// <summary>The fast walk's result word for a leaf at <paramref name="level"/>: its level and size, the stage and the permission word for the access's privilege (hot path).</summary>
    internal ulong FastResultInfo(ArmLpaeAccess access, int level) =>
        FastWord(FastResultInfoIndex + ((access & ArmLpaeAccess.Privileged) != 0 ? 4 : 0) + level);

    /// <summary>The start table's address: <see cref="TableBase"/> aligned down as the walk uses it (hot path).</summary>
    internal ulong StartTable => _derived.StartTable;

    /// <summary>Index shift of the start level (hot path).</summary>
    internal int StartShift => _derived.StartShift;

    /// <summary>Mask of the start table's index (hot path).</summary>
    internal ulong StartIndexMask => _derived.StartIndexMask;

    /// <summary>
    /// The bits of a table descriptor the fast walk compares with 0b11: all but the next-table
    /// address bits within the output size; the walk adds the address bits at and above its walk
    /// view's size (hot path).
    /// </summary>
    internal ulong TableCheckMask => _derived.TableCheckMask;

    private const int FastResultInfoIndex = 16;

    // A plain load at a constant offset when the index is a constant (the inline array's indexer
    // costs the JIT an extra address computation).
    private ulong FastWord(int index) =>
        Unsafe.Add(ref Unsafe.As<FastWalkWords, ulong>(ref Unsafe.AsRef(in _derived.FastWords)), index);

    private int StartIndexBits => InputSize - LevelShift(StartLevel, GranuleShift);

    /// <summary>The address bit where level <paramref name="level"/>'s index starts: (4 − level) × (granule shift − 3) + 3.</summary>
    public static int LevelShift(int level, int granuleShift) => ((4 - level) * (granuleShift - 3)) + 3;

    /// <summary>Granule shift for a TG0 / VTCR.TG0 / CD.TG0 / STE.S2TG encoding (0 = 4K, 1 = 64K, 2 = 16K); 0 if reserved.</summary>
    public static int GranuleShiftFromTg0(int tg0) => tg0 switch
    {
        0 => 12,
        1 => 16,
        2 => 14,
        _ => 0,
    };

    /// <summary>Granule shift for a TG1 encoding (1 = 16K, 2 = 4K, 3 = 64K); 0 if reserved.</summary>
    public static int GranuleShiftFromTg1(int tg1) => tg1 switch
    {
        1 => 14,
        2 => 12,
        3 => 16,
        _ => 0,
    };

    /// <summary>Address size in bits for an IPS / PS encoding (0..6 = 32, 36, 40, 42, 44, 48, 52); the reserved 7 reads as 52.</summary>
    public static int AddressSizeFromPs(int ps) => (ps & 7) switch
    {
        0 => 32,
        1 => 36,
        2 => 40,
        3 => 42,
        4 => 44,
        5 => 48,
        _ => 52,
    };

    /// <summary>IPS / PS encoding of an address size in bits, or −1 if the size has none.</summary>
    public static int PsFromAddressSize(int bits) => bits switch
    {
        32 => 0,
        36 => 1,
        40 => 2,
        42 => 3,
        44 => 4,
        48 => 5,
        52 => 6,
        _ => -1,
    };

    /// <summary>
    /// Stage-1 start level for an input size: 4 − ceil((inputSize − granuleShift) / (granuleShift − 3)).
    /// </summary>
    public static int S1StartLevel(int inputSize, int granuleShift)
    {
        int bpl = granuleShift - 3;
        int vaBits = inputSize - granuleShift;
        return vaBits <= 0 ? 3 : 4 - ((vaBits + bpl - 1) / bpl);
    }

    /// <summary>
    /// Stage-2 start level from VTCR.SL0 as the Arm ARM defines it: 4K granule SL0 0/1/2 → level
    /// 2/1/0; 16K and 64K SL0 0/1/2 → level 3/2/1. Reserved encodings give −1.
    /// </summary>
    public static int S2StartLevel(int sl0, int granuleShift)
    {
        sl0 &= 3;
        if (granuleShift == 12)
        {
            return sl0 == 3 ? -1 : 2 - sl0;
        }

        return sl0 == 3 ? -1 : 3 - sl0;
    }

    /// <summary>
    /// A VMSAv8-64 stage-1 walk from TCR-style fields: <paramref name="t0sz"/>, the TG0 encoding,
    /// the IPS encoding and the table base (TTBR / CD.TTB0).
    /// </summary>
    public static ArmLpaeWalkConfig FromS1(int t0sz, int tg0, int ips, ulong ttbr, BusAccess walkAccess)
    {
        int g = GranuleShiftFromTg0(tg0);
        int inputSize = 64 - t0sz;
        return new ArmLpaeWalkConfig
        {
            Stage = 1,
            GranuleShift = g,
            InputSize = inputSize,
            OutputSize = AddressSizeFromPs(ips),
            StartLevel = g == 0 ? -1 : S1StartLevel(inputSize, g),
            TableBase = ttbr,
            WalkAccess = walkAccess,
            Aarch64 = true,
        };
    }

    /// <summary>
    /// A VMSAv8-64 stage-2 walk from VTCR-style fields: T0SZ, SL0, the TG0 encoding, the PS
    /// encoding and the table base (VTTBR / STE.S2TTB). The start level comes from SL0, so a
    /// start table wider than one granule is a set of concatenated tables.
    /// </summary>
    public static ArmLpaeWalkConfig FromS2(int t0sz, int sl0, int tg, int ps, ulong vttbr, BusAccess walkAccess)
    {
        int g = GranuleShiftFromTg0(tg);
        return new ArmLpaeWalkConfig
        {
            Stage = 2,
            GranuleShift = g,
            InputSize = 64 - t0sz,
            OutputSize = AddressSizeFromPs(ps),
            StartLevel = g == 0 ? -1 : S2StartLevel(sl0, g),
            TableBase = vttbr,
            WalkAccess = walkAccess,
            Aarch64 = true,
        };
    }

    /// <summary>
    /// What the walks need of the fields, computed when a field is set rather than per walk. A
    /// function of the fields, which the configuration's equality already compares: any two are equal.
    /// </summary>
    private readonly struct Derived : IEquatable<Derived>
    {
        public readonly ulong StartTable;
        public readonly ulong StartIndexMask;
        public readonly ulong TableCheckMask;
        public readonly FastWalkWords FastWords;
        public readonly ulong InputOverflowMask;
        public readonly bool Valid;
        public readonly byte FastEntry;
        public readonly byte StartShift;

        public Derived(in ArmLpaeWalkConfig c)
        {
            this = default;
            int g = c._granuleShift;
            int stage = c._stage;
            int oas = c._outputSize;
            if ((stage != 1 && stage != 2) || (g != 12 && g != 14 && g != 16))
            {
                return;
            }

            if (!c._aarch64 && (g != 12 || oas > 40))
            {
                return;
            }

            int maxSize = g == 16 ? 52 : 48;
            if (c._inputSize <= g || c._inputSize > maxSize || oas < 32 || oas > maxSize || c._startLevel is < 0 or > 3)
            {
                return;
            }

            // Stage 1 uses a single start table; stage 2 may concatenate up to 16.
            int shift = LevelShift(c._startLevel, g);
            int bits = c._inputSize - shift;
            if (bits < 1 || bits > g - 3 + (stage == 2 ? 4 : 0))
            {
                return;
            }

            Valid = true;
            StartShift = (byte)shift;
            StartIndexMask = (1UL << bits) - 1;
            StartTable = c._tableBase & ~((1UL << Math.Max(bits + 3, 6)) - 1); // aligned to its size, at least 64 bytes

            // Address bits a descriptor may hold beyond the output size: [47:oas] of the address
            // field, and with the 64K granule OA[51:48] in bits [15:12] unless the output is 52 bits.
            ulong addrMask = ArmLpaePte.AddrMask & ~((1UL << g) - 1);
            ulong overflow = (oas >= 48 ? 0 : addrMask & ~((1UL << oas) - 1)) | (g == 16 && oas < 52 ? 0xF000UL : 0);
            for (int access = 0; access < 8; access++)
            {
                int word = ArmLpaeWalker.PermissionWord(stage, c._aarch64, c._wxn, privileged: (access & 4) != 0);
                (ulong mask, ulong value) = ArmLpaeWalker.LeafPermissionCheck(word, (ArmLpaeAccess)access);
                FastWords[2 * access] = overflow | ArmLpaePte.Af | ArmLpaePte.Dbm | 3 | mask;
                FastWords[(2 * access) + 1] = ArmLpaePte.Af | value | 3;
            }

            TableCheckMask = ~(addrMask & ((1UL << oas) - 1));
            InputOverflowMask = ~((1UL << c._inputSize) - 1);
            for (int level = 0; level < 4; level++)
            {
                int leafShift = LevelShift(level, g);
                FastWords[FastResultInfoIndex + level] = ArmLpaeWalkResult.FastInfo(level, stage, leafShift, ArmLpaeWalker.PermissionWord(stage, c._aarch64, c._wxn, privileged: false));
                FastWords[FastResultInfoIndex + 4 + level] = ArmLpaeWalkResult.FastInfo(level, stage, leafShift, ArmLpaeWalker.PermissionWord(stage, c._aarch64, c._wxn, privileged: true));
            }

            FastEntry = (StartTable >> oas) == 0 ? (byte)((4 * ((g - 12) / 2)) + c._startLevel + 1) : (byte)0;
        }

        public bool Equals(Derived other) => true;

        public override bool Equals(object? obj) => obj is Derived;

        public override int GetHashCode() => 0;
    }

    /// <summary>
    /// The fast walk's words: its leaf tests, a mask and a value per access (<see cref="ArmLpaeAccess"/>
    /// &amp; 7), then its result words per privilege and level (from <see cref="FastResultInfoIndex"/>).
    /// </summary>
    [InlineArray(FastResultInfoIndex + 8)]
    private struct FastWalkWords
    {
        private ulong _element;
    }
}
