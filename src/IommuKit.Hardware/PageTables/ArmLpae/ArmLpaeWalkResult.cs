namespace IommuKit.Hardware.PageTables.ArmLpae;

/// <summary>
/// The outcome of a hardware table walk: a translation with its attributes, or a fault with the
/// level and stage that raised it. For a nested walk the attributes of both stages are given
/// (stage 1: <see cref="AttrIndx"/>, <see cref="Shareability"/>, <see cref="AccessPermissions"/>;
/// stage 2: <see cref="S2MemAttr"/>, <see cref="S2Shareability"/>, <see cref="S2AccessPermissions"/>)
/// and the permissions are those of both stages combined.
/// </summary>
/// <remarks>
/// Stored compactly (48 bytes, six words). A result of the
/// walker's fast path keeps the leaf's attributes in <see cref="Descriptor"/> and decodes them when
/// they are read; equality compares what the properties return.
/// </remarks>
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

    private const int FaultShift = 16;
    private const int LevelShift = 24;
    private const int StageShift = 32;
    private const int BlockShiftShift = 40;
    private const int AttrIndxShift = 48;
    private const int S2MemAttrShift = 56;

    // Six words, so that producing a result is six stores and, where the walk is inlined into its
    // caller, the JIT can keep the fields the caller reads in registers. _info holds the flags
    // (bits 0-15), fault (16-23), level (24-31), stage (32-39), block shift (40-47), AttrIndx
    // (48-55) and S2 MemAttr (56-63); _attributes holds SH, S2 SH, AP and S2AP, a byte each.
    private readonly ulong _outputAddress;
    private readonly ulong _intermediateAddress;
    private readonly ulong _descriptor;
    private readonly ulong _faultAddress;
    private readonly ulong _info;
    private readonly ulong _attributes;

    /// <summary>A successful single-stage translation with its attributes given one by one (the reference walk).</summary>
    internal ArmLpaeWalkResult(
        ulong outputAddress, ulong descriptor, int level, int stage, int blockShift, byte attrIndx, byte s2MemAttr, byte sh, byte ap, byte s2ap, ushort flags)
    {
        _outputAddress = outputAddress;
        _intermediateAddress = 0;
        _descriptor = descriptor;
        _faultAddress = 0;
        _info = Info(flags, 0, level, stage, blockShift, attrIndx, s2MemAttr);
        _attributes = Attributes(sh, stage == 2 ? sh : (byte)0, ap, s2ap);
    }

    /// <summary>
    /// A successful single-stage translation whose leaf had no hierarchical attributes above it
    /// (the fast walk): the attributes and permissions are decoded from <paramref name="descriptor"/>
    /// when read; <paramref name="info"/> is <see cref="FastInfo"/>.
    /// </summary>
    internal ArmLpaeWalkResult(ulong outputAddress, ulong descriptor, ulong info)
    {
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
        ushort flags = (ushort)((s1.AllFlags & (FlagNotGlobal | FlagNonSecure | FlagContiguous | FlagDbm))
            | (s1.AllFlags & s2.AllFlags & (FlagReadable | FlagWritable | FlagExecutable)));
        _info = Info(flags, 0, s1.Level, 2, Math.Min(s1.BlockShift, s2.BlockShift), s1.AttrIndx, s2.S2MemAttr);
        _attributes = Attributes(s1.Shareability, s2.Shareability, s1.AccessPermissions, s2.S2AccessPermissions);
    }

    /// <summary>A fault.</summary>
    internal ArmLpaeWalkResult(ArmLpaeFault fault, int level, int stage, ulong descriptor, ulong faultAddress)
    {
        _outputAddress = 0;
        _intermediateAddress = 0;
        _descriptor = descriptor;
        _faultAddress = faultAddress;
        _info = Info(0, fault, level, stage, 0, 0, 0);
        _attributes = 0;
    }

    /// <summary>
    /// The fast walk's result word: flags, fault, level, stage, block shift and, where a full result
    /// has AttrIndx, the permission word its permission flags are decoded with.
    /// </summary>
    internal static ulong FastInfo(int level, int stage, int blockShift, int permissionWord = 0) =>
        Info(FlagFromDescriptor, ArmLpaeFault.None, level, stage, blockShift, (byte)permissionWord, 0);

    /// <summary><see cref="ArmLpaeFault.None"/> on success.</summary>
    public ArmLpaeFault Fault { get => (ArmLpaeFault)(byte)(_info >> FaultShift); init => _info = WithByte(_info, FaultShift, (byte)value); }

    /// <summary>The level of the leaf (success) or of the lookup that faulted (for a level-0 out-of-range fault, 0).</summary>
    public int Level { get => (sbyte)(_info >> LevelShift); init => _info = WithByte(_info, LevelShift, (byte)value); }

    /// <summary>The stage that produced the result or the fault (1 or 2).</summary>
    public int Stage { get => StageByte; init => _info = WithByte(_info, StageShift, (byte)value); }

    /// <summary>Nested walks: the stage-2 fault happened while translating the IPA of a stage-1 table (SMMU S2 fault with CLASS = TT).</summary>
    public bool FaultOnTableFetch { get => (Flags & FlagFaultOnTableFetch) != 0; init => _info = value ? _info | FlagFaultOnTableFetch : _info & ~(ulong)FlagFaultOnTableFetch; }

    /// <summary>The translated address (PA; for a stage-1-only walk the stage's output).</summary>
    public ulong OutputAddress { get => _outputAddress; init => _outputAddress = value; }

    /// <summary>Nested walks: the IPA stage 1 produced (also set on stage-2 faults of the final access).</summary>
    public ulong IntermediateAddress { get => _intermediateAddress; init => _intermediateAddress = value; }

    /// <summary>log2 of the size of the leaf (12 for a 4K page, 21 for a 2M block); for a nested walk the smaller of the two stages.</summary>
    public int BlockShift { get => (byte)(_info >> BlockShiftShift); init => _info = WithByte(_info, BlockShiftShift, (byte)value); }

    /// <summary>The leaf descriptor (success), or the descriptor that caused the fault (0 if none was read).</summary>
    public ulong Descriptor { get => _descriptor; init => _descriptor = value; }

    /// <summary>For an external abort: the PA of the descriptor being read. For a stage-2 fault: the IPA being translated.</summary>
    public ulong FaultAddress { get => _faultAddress; init => _faultAddress = value; }

    /// <summary>Stage-1 AttrIndx[2:0] (index into MAIR).</summary>
    public byte AttrIndx => Lazy ? (StageByte == 1 ? (byte)((_descriptor >> ArmLpaePte.AttrIndxShift) & 7) : (byte)0) : (byte)(_info >> AttrIndxShift);

    /// <summary>Stage-2 MemAttr[3:0].</summary>
    public byte S2MemAttr => Lazy ? (StageByte == 2 ? (byte)((_descriptor >> ArmLpaePte.MemAttrShift) & 0xF) : (byte)0) : (byte)(_info >> S2MemAttrShift);

    /// <summary>Stage-1 SH[1:0] (for a stage-2-only walk, the stage-2 SH).</summary>
    public byte Shareability => Lazy ? LeafShareability : (byte)_attributes;

    /// <summary>Stage-2 SH[1:0] of a nested walk (for a stage-2-only walk, equal to <see cref="Shareability"/>).</summary>
    public byte S2Shareability => Lazy ? (StageByte == 2 ? LeafShareability : (byte)0) : (byte)(_attributes >> 8);

    /// <summary>Stage-1 AP[2:1] of the leaf (after hierarchical APTable limits: bit 1 = read-only, bit 0 = unprivileged).</summary>
    public byte AccessPermissions => Lazy ? (StageByte == 1 ? LeafAccessPermissions : (byte)0) : (byte)(_attributes >> 16);

    /// <summary>Stage-2 S2AP[1:0] of the leaf (bit 0 = read, bit 1 = write).</summary>
    public byte S2AccessPermissions => Lazy ? (StageByte == 2 ? LeafAccessPermissions : (byte)0) : (byte)(_attributes >> 24);

    /// <summary>Stage-1 nG: the translation is specific to the ASID.</summary>
    public bool NotGlobal => (AllFlags & FlagNotGlobal) != 0;

    /// <summary>Stage-1 NS of the leaf (or NSTable on the path).</summary>
    public bool NonSecure => (AllFlags & FlagNonSecure) != 0;

    /// <summary>The contiguous hint of the leaf.</summary>
    public bool ContiguousHint => (AllFlags & FlagContiguous) != 0;

    /// <summary>DBM of the leaf.</summary>
    public bool DirtyBitModifier => (AllFlags & FlagDbm) != 0;

    /// <summary>The access may read at the transaction's privilege.</summary>
    public bool Readable => (PermissionBits & 1) != 0;

    /// <summary>The access may write at the transaction's privilege.</summary>
    public bool Writable => (PermissionBits & 2) != 0;

    /// <summary>Instruction fetch is allowed at the transaction's privilege.</summary>
    public bool Executable => (PermissionBits & 4) != 0;

    /// <summary>
    /// The permissions at the transaction's privilege in three bits: readable 1, writable 2,
    /// executable 4 (what a TLB fill needs, in one decode).
    /// </summary>
    internal int PermissionBits =>
        ((Lazy ? ArmLpaeWalker.LeafPermissionFlags((byte)(_info >> AttrIndxShift), _descriptor) : Flags) / FlagReadable) & 7;

    /// <summary>True if the walk produced a translation.</summary>
    public bool IsOk => (_info & (0xFFUL << FaultShift)) == 0;

    private bool Lazy => (Flags & FlagFromDescriptor) != 0;

    private ushort Flags => (ushort)_info;

    private byte StageByte => (byte)(_info >> StageShift);

    private byte LeafShareability => (byte)((_descriptor >> ArmLpaePte.ShShift) & 3);

    private byte LeafAccessPermissions => (byte)((_descriptor >> 6) & 3);

    /// <summary>The flags with those still in the descriptor decoded, permissions included (and the decoding marker dropped).</summary>
    private ushort AllFlags
    {
        get
        {
            if (!Lazy)
            {
                return Flags;
            }

            ulong d = _descriptor;
            int flags = (Flags & ~FlagFromDescriptor)
                | (PermissionBits * FlagReadable)
                | ((d & ArmLpaePte.Contiguous) != 0 ? FlagContiguous : 0)
                | ((d & ArmLpaePte.Dbm) != 0 ? FlagDbm : 0);
            if (StageByte == 1)
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
        && Fault == other.Fault && Level == other.Level && Stage == other.Stage && BlockShift == other.BlockShift
        && AttrIndx == other.AttrIndx && S2MemAttr == other.S2MemAttr && Shareability == other.Shareability
        && S2Shareability == other.S2Shareability && AccessPermissions == other.AccessPermissions
        && S2AccessPermissions == other.S2AccessPermissions;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ArmLpaeWalkResult other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() =>
        HashCode.Combine(_outputAddress, _intermediateAddress, _descriptor, _faultAddress, AllFlags, Level, Stage, BlockShift);

    private static ulong Info(ushort flags, ArmLpaeFault fault, int level, int stage, int blockShift, byte attrIndx, byte s2MemAttr) =>
        flags | ((ulong)(byte)fault << FaultShift) | ((ulong)(byte)level << LevelShift) | ((ulong)(byte)stage << StageShift)
        | ((ulong)(byte)blockShift << BlockShiftShift) | ((ulong)attrIndx << AttrIndxShift) | ((ulong)s2MemAttr << S2MemAttrShift);

    private static ulong Attributes(byte sh, byte s2sh, byte ap, byte s2ap) => sh | ((ulong)s2sh << 8) | ((ulong)ap << 16) | ((ulong)s2ap << 24);

    private static ulong WithByte(ulong word, int shift, byte value) => (word & ~(0xFFUL << shift)) | ((ulong)value << shift);
}
