using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace IommuKit.Hardware.PageTables.ArmLpae;

/// <summary>
/// The outcome of a hardware table walk: a translation with its attributes, or a fault with the
/// level and stage that raised it. For a nested walk the attributes of both stages are given
/// (stage 1: <see cref="AttrIndx"/>, <see cref="Shareability"/>, <see cref="AccessPermissions"/>;
/// stage 2: <see cref="S2MemAttr"/>, <see cref="S2Shareability"/>, <see cref="S2AccessPermissions"/>)
/// and the permissions are those of both stages combined.
/// </summary>
/// <remarks>
/// Stored compactly (48 bytes) so that producing one costs six stores. A result of the
/// walker's fast path keeps the leaf's attributes in <see cref="Descriptor"/> and decodes them when
/// they are read; equality compares what the properties return.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = 48)]
public readonly struct ArmLpaeWalkResult : IEquatable<ArmLpaeWalkResult>
{
    internal const ushort FlagFaultOnTableFetch = 1;
    internal const ushort FlagNotGlobal = 2;
    internal const ushort FlagNonSecure = 4;
    internal const ushort FlagContiguous = 8;
    internal const ushort FlagDbm = 16;
    internal const ushort FlagReadable = 32;
    internal const ushort FlagWritable = 64;
    internal const ushort FlagExecutable = 128;

    // The leaf attributes (and the nG, NS, contiguous and DBM flags) are still in _descriptor:
    // a single-stage leaf with no hierarchical attributes above it.
    private const ushort FlagFromDescriptor = 256;

    // Explicit layout so that the fast walk writes the small fields as one word (_info, _attributes);
    // the overlay assumes a little-endian host, as .NET's supported platforms are.
    [FieldOffset(0)]
    private readonly ulong _outputAddress;
    [FieldOffset(8)]
    private readonly ulong _intermediateAddress;
    [FieldOffset(16)]
    private readonly ulong _descriptor;
    [FieldOffset(24)]
    private readonly ulong _faultAddress;
    [FieldOffset(32)]
    private readonly ushort _flags;
    [FieldOffset(34)]
    private readonly byte _fault;
    [FieldOffset(35)]
    private readonly sbyte _level;
    [FieldOffset(36)]
    private readonly byte _stage;
    [FieldOffset(37)]
    private readonly byte _blockShift;
    [FieldOffset(38)]
    private readonly byte _attrIndx;
    [FieldOffset(39)]
    private readonly byte _s2MemAttr;
    [FieldOffset(40)]
    private readonly byte _shareability;
    [FieldOffset(41)]
    private readonly byte _s2Shareability;
    [FieldOffset(42)]
    private readonly byte _accessPermissions;
    [FieldOffset(43)]
    private readonly byte _s2AccessPermissions;
    [FieldOffset(32)]
    private readonly ulong _info; // _flags to _s2MemAttr
    [FieldOffset(40)]
    private readonly ulong _attributes; // _shareability to the end

    /// <summary>A successful single-stage translation with its attributes given one by one (the reference walk).</summary>
    internal ArmLpaeWalkResult(
        ulong outputAddress, ulong descriptor, int level, int stage, int blockShift, byte attrIndx, byte s2MemAttr, byte sh, byte ap, byte s2ap, ushort flags)
    {
        _outputAddress = outputAddress;
        _intermediateAddress = 0;
        _descriptor = descriptor;
        _faultAddress = 0;
        _flags = flags;
        _fault = 0;
        _level = (sbyte)level;
        _stage = (byte)stage;
        _blockShift = (byte)blockShift;
        _attrIndx = attrIndx;
        _s2MemAttr = s2MemAttr;
        _shareability = sh;
        _s2Shareability = stage == 2 ? sh : (byte)0;
        _accessPermissions = ap;
        _s2AccessPermissions = s2ap;
    }

    /// <summary>
    /// A successful single-stage translation whose leaf had no hierarchical attributes above it
    /// (the fast walk): the attributes are decoded from <paramref name="descriptor"/> when read;
    /// <paramref name="info"/> is <see cref="FastInfo"/> with the readable/writable/executable flags ORed in.
    /// </summary>
    internal ArmLpaeWalkResult(ulong outputAddress, ulong descriptor, ulong info)
    {
        Unsafe.SkipInit(out this);
        _outputAddress = outputAddress;
        _intermediateAddress = 0;
        _descriptor = descriptor;
        _faultAddress = 0;
        _info = info;
        _attributes = 0;
    }

    /// <summary>A nested translation: stage 1's leaf and attributes, stage 2's output, both stages' permissions.</summary>
    internal ArmLpaeWalkResult(in ArmLpaeWalkResult s1, in ArmLpaeWalkResult s2, ulong ipa)
    {
        _outputAddress = s2.OutputAddress;
        _intermediateAddress = ipa;
        _descriptor = s1.Descriptor;
        _faultAddress = 0;
        _flags = (ushort)((s1.AllFlags & (FlagNotGlobal | FlagNonSecure | FlagContiguous | FlagDbm))
            | (s1.AllFlags & s2.AllFlags & (FlagReadable | FlagWritable | FlagExecutable)));
        _fault = 0;
        _level = (sbyte)s1.Level;
        _stage = 2;
        _blockShift = (byte)Math.Min(s1.BlockShift, s2.BlockShift);
        _attrIndx = s1.AttrIndx;
        _s2MemAttr = s2.S2MemAttr;
        _shareability = s1.Shareability;
        _s2Shareability = s2.Shareability;
        _accessPermissions = s1.AccessPermissions;
        _s2AccessPermissions = s2.S2AccessPermissions;
    }

    /// <summary>A fault.</summary>
    internal ArmLpaeWalkResult(ArmLpaeFault fault, int level, int stage, ulong descriptor, ulong faultAddress)
    {
        this = default;
        _fault = (byte)fault;
        _level = (sbyte)level;
        _stage = (byte)stage;
        _descriptor = descriptor;
        _faultAddress = faultAddress;
    }

    /// <summary>The fast walk's result word (flags, fault, level, stage, block shift) for a leaf without its permission flags.</summary>
    internal static ulong FastInfo(int level, int stage, int blockShift) =>
        FlagFromDescriptor | ((ulong)(byte)level << 24) | ((ulong)(byte)stage << 32) | ((ulong)(byte)blockShift << 40);

    /// <summary><see cref="ArmLpaeFault.None"/> on success.</summary>
    public ArmLpaeFault Fault { get => (ArmLpaeFault)_fault; init => _fault = (byte)value; }

    /// <summary>The level of the leaf (success) or of the lookup that faulted (for a level-0 out-of-range fault, 0).</summary>
    public int Level { get => _level; init => _level = (sbyte)value; }

    /// <summary>The stage that produced the result or the fault (1 or 2).</summary>
    public int Stage { get => _stage; init => _stage = (byte)value; }

    /// <summary>Nested walks: the stage-2 fault happened while translating the IPA of a stage-1 table (SMMU S2 fault with CLASS = TT).</summary>
    public bool FaultOnTableFetch { get => (_flags & FlagFaultOnTableFetch) != 0; init => _flags = With(FlagFaultOnTableFetch, value); }

    /// <summary>The translated address (PA; for a stage-1-only walk the stage's output).</summary>
    public ulong OutputAddress { get => _outputAddress; init => _outputAddress = value; }

    /// <summary>Nested walks: the IPA stage 1 produced (also set on stage-2 faults of the final access).</summary>
    public ulong IntermediateAddress { get => _intermediateAddress; init => _intermediateAddress = value; }

    /// <summary>log2 of the size of the leaf (12 for a 4K page, 21 for a 2M block); for a nested walk the smaller of the two stages.</summary>
    public int BlockShift { get => _blockShift; init => _blockShift = (byte)value; }

    /// <summary>The leaf descriptor (success), or the descriptor that caused the fault (0 if none was read).</summary>
    public ulong Descriptor { get => _descriptor; init => _descriptor = value; }

    /// <summary>For an external abort: the PA of the descriptor being read. For a stage-2 fault: the IPA being translated.</summary>
    public ulong FaultAddress { get => _faultAddress; init => _faultAddress = value; }

    /// <summary>Stage-1 AttrIndx[2:0] (index into MAIR).</summary>
    public byte AttrIndx => Lazy ? (_stage == 1 ? (byte)((_descriptor >> ArmLpaePte.AttrIndxShift) & 7) : (byte)0) : _attrIndx;

    /// <summary>Stage-2 MemAttr[3:0].</summary>
    public byte S2MemAttr => Lazy ? (_stage == 2 ? (byte)((_descriptor >> ArmLpaePte.MemAttrShift) & 0xF) : (byte)0) : _s2MemAttr;

    /// <summary>Stage-1 SH[1:0] (for a stage-2-only walk, the stage-2 SH).</summary>
    public byte Shareability => Lazy ? LeafShareability : _shareability;

    /// <summary>Stage-2 SH[1:0] of a nested walk (for a stage-2-only walk, equal to <see cref="Shareability"/>).</summary>
    public byte S2Shareability => Lazy ? (_stage == 2 ? LeafShareability : (byte)0) : _s2Shareability;

    /// <summary>Stage-1 AP[2:1] of the leaf (after hierarchical APTable limits: bit 1 = read-only, bit 0 = unprivileged).</summary>
    public byte AccessPermissions => Lazy ? (_stage == 1 ? LeafAccessPermissions : (byte)0) : _accessPermissions;

    /// <summary>Stage-2 S2AP[1:0] of the leaf (bit 0 = read, bit 1 = write).</summary>
    public byte S2AccessPermissions => Lazy ? (_stage == 2 ? LeafAccessPermissions : (byte)0) : _s2AccessPermissions;

    /// <summary>Stage-1 nG: the translation is specific to the ASID.</summary>
    public bool NotGlobal => (AllFlags & FlagNotGlobal) != 0;

    /// <summary>Stage-1 NS of the leaf (or NSTable on the path).</summary>
    public bool NonSecure => (AllFlags & FlagNonSecure) != 0;

    /// <summary>The contiguous hint of the leaf.</summary>
    public bool ContiguousHint => (AllFlags & FlagContiguous) != 0;

    /// <summary>DBM of the leaf.</summary>
    public bool DirtyBitModifier => (AllFlags & FlagDbm) != 0;

    /// <summary>The access may read at the transaction's privilege.</summary>
    public bool Readable => (_flags & FlagReadable) != 0;

    /// <summary>The access may write at the transaction's privilege.</summary>
    public bool Writable => (_flags & FlagWritable) != 0;

    /// <summary>Instruction fetch is allowed at the transaction's privilege.</summary>
    public bool Executable => (_flags & FlagExecutable) != 0;

    /// <summary>True if the walk produced a translation.</summary>
    public bool IsOk => _fault == 0;

    private bool Lazy => (_flags & FlagFromDescriptor) != 0;

    private byte LeafShareability => (byte)((_descriptor >> ArmLpaePte.ShShift) & 3);

    private byte LeafAccessPermissions => (byte)((_descriptor >> 6) & 3);

    /// <summary>The flags with those still in the descriptor decoded (and the decoding marker dropped).</summary>
    private ushort AllFlags
    {
        get
        {
            if (!Lazy)
            {
                return _flags;
            }

            ulong d = _descriptor;
            int flags = (_flags & ~FlagFromDescriptor)
                | ((d & ArmLpaePte.Contiguous) != 0 ? FlagContiguous : 0)
                | ((d & ArmLpaePte.Dbm) != 0 ? FlagDbm : 0);
            if (_stage == 1)
            {
                flags |= ((d & ArmLpaePte.NG) != 0 ? FlagNotGlobal : 0) | ((d & ArmLpaePte.Ns) != 0 ? FlagNonSecure : 0);
            }

            return (ushort)flags;
        }
    }

    public static bool operator ==(ArmLpaeWalkResult left, ArmLpaeWalkResult right) => left.Equals(right);

    public static bool operator !=(ArmLpaeWalkResult left, ArmLpaeWalkResult right) => !left.Equals(right);

    /// <inheritdoc/>
    public bool Equals(ArmLpaeWalkResult other) =>
        _outputAddress == other._outputAddress && _intermediateAddress == other._intermediateAddress
        && _descriptor == other._descriptor && _faultAddress == other._faultAddress && AllFlags == other.AllFlags
        && _fault == other._fault && _level == other._level && _stage == other._stage && _blockShift == other._blockShift
        && AttrIndx == other.AttrIndx && S2MemAttr == other.S2MemAttr && Shareability == other.Shareability
        && S2Shareability == other.S2Shareability && AccessPermissions == other.AccessPermissions
        && S2AccessPermissions == other.S2AccessPermissions;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ArmLpaeWalkResult other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() =>
        HashCode.Combine(_outputAddress, _intermediateAddress, _descriptor, _faultAddress, AllFlags, _level, _stage, _blockShift);

    private ushort With(ushort flag, bool value) => value ? (ushort)(_flags | flag) : (ushort)(_flags & ~flag);
}
