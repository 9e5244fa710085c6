namespace IommuKit.Hardware.PageTables.ArmLpae;

/// <summary>
/// The outcome of a hardware table walk: a translation with its attributes, or a fault with the
/// level and stage that raised it. For a nested walk the attributes of both stages are given
/// (stage 1: <see cref="AttrIndx"/>, <see cref="Shareability"/>, <see cref="AccessPermissions"/>;
/// stage 2: <see cref="S2MemAttr"/>, <see cref="S2Shareability"/>, <see cref="S2AccessPermissions"/>)
/// and the permissions are those of both stages combined.
/// </summary>
/// <remarks>
/// Stored compactly (48 bytes) so that producing one costs a handful of stores. The walker's fast
/// path leaves the leaf's attributes in <see cref="Descriptor"/> and they are decoded when read;
/// equality compares what the properties return.
/// </remarks>
public struct ArmLpaeWalkResult : IEquatable<ArmLpaeWalkResult>
{
    internal const ushort FlagFaultOnTableFetch = 1;
    internal const ushort FlagNotGlobal = 2;
    internal const ushort FlagNonSecure = 4;
    internal const ushort FlagContiguous = 8;
    internal const ushort FlagDbm = 16;
    internal const ushort FlagReadable = 32;
    internal const ushort FlagWritable = 64;
    internal const ushort FlagExecutable = 128;

    // The attributes below are still in _descriptor (single stage, no hierarchical attributes).
    private const ushort FlagFromDescriptor = 256;

    private ulong _outputAddress;
    private ulong _intermediateAddress;
    private ulong _descriptor;
    private ulong _faultAddress;
    private ushort _flags;
    private byte _fault;
    private sbyte _level;
    private byte _stage;
    private byte _blockShift;
    private byte _attrIndx;
    private byte _s2MemAttr;
    private byte _shareability;
    private byte _s2Shareability;
    private byte _accessPermissions;
    private byte _s2AccessPermissions;

    /// <summary>A successful single-stage translation (the walker's hot path).</summary>
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
    /// A successful single-stage translation whose leaf had no hierarchical attributes above it:
    /// the attributes are decoded from <paramref name="descriptor"/> when read;
    /// <paramref name="permissions"/> holds the readable/writable/executable flags.
    /// </summary>
    internal ArmLpaeWalkResult(ulong outputAddress, ulong descriptor, int level, int stage, int blockShift, ushort permissions)
    {
        this = default;
        _outputAddress = outputAddress;
        _descriptor = descriptor;
        _flags = (ushort)(permissions | FlagFromDescriptor);
        _level = (sbyte)level;
        _stage = (byte)stage;
        _blockShift = (byte)blockShift;
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

    /// <summary><see cref="ArmLpaeFault.None"/> on success.</summary>
    public ArmLpaeFault Fault { readonly get => (ArmLpaeFault)_fault; init => _fault = (byte)value; }

    /// <summary>The level of the leaf (success) or of the lookup that faulted (for a level-0 out-of-range fault, 0).</summary>
    public int Level { readonly get => _level; init => _level = (sbyte)value; }

    /// <summary>The stage that produced the result or the fault (1 or 2).</summary>
    public int Stage { readonly get => _stage; init => _stage = (byte)value; }

    /// <summary>Nested walks: the stage-2 fault happened while translating the IPA of a stage-1 table (SMMU S2 fault with CLASS = TT).</summary>
    public bool FaultOnTableFetch { readonly get => Has(FlagFaultOnTableFetch); init => _flags = With(FlagFaultOnTableFetch, value); }

    /// <summary>The translated address (PA; for a stage-1-only walk the stage's output).</summary>
    public ulong OutputAddress { readonly get => _outputAddress; init => _outputAddress = value; }

    /// <summary>Nested walks: the IPA stage 1 produced (also set on stage-2 faults of the final access).</summary>
    public ulong IntermediateAddress { readonly get => _intermediateAddress; init => _intermediateAddress = value; }

    /// <summary>log2 of the size of the leaf (12 for a 4K page, 21 for a 2M block); for a nested walk the smaller of the two stages.</summary>
    public int BlockShift { readonly get => _blockShift; init => _blockShift = (byte)value; }

    /// <summary>The leaf descriptor (success), or the descriptor that caused the fault (0 if none was read).</summary>
    public ulong Descriptor { readonly get => _descriptor; init => _descriptor = value; }

    /// <summary>For an external abort: the PA of the descriptor being read. For a stage-2 fault: the IPA being translated.</summary>
    public ulong FaultAddress { readonly get => _faultAddress; init => _faultAddress = value; }

    /// <summary>Stage-1 AttrIndx[2:0] (index into MAIR).</summary>
    public byte AttrIndx
    {
        readonly get => Lazy ? Decoded()._attrIndx : _attrIndx;
        init
        {
            Materialize();
            _attrIndx = value;
        }
    }

    /// <summary>Stage-2 MemAttr[3:0].</summary>
    public byte S2MemAttr
    {
        readonly get => Lazy ? Decoded()._s2MemAttr : _s2MemAttr;
        init
        {
            Materialize();
            _s2MemAttr = value;
        }
    }

    /// <summary>Stage-1 SH[1:0] (for a stage-2-only walk, the stage-2 SH).</summary>
    public byte Shareability
    {
        readonly get => Lazy ? Decoded()._shareability : _shareability;
        init
        {
            Materialize();
            _shareability = value;
        }
    }

    /// <summary>Stage-2 SH[1:0] of a nested walk (for a stage-2-only walk, equal to <see cref="Shareability"/>).</summary>
    public byte S2Shareability
    {
        readonly get => Lazy ? Decoded()._s2Shareability : _s2Shareability;
        init
        {
            Materialize();
            _s2Shareability = value;
        }
    }

    /// <summary>Stage-1 AP[2:1] of the leaf (after hierarchical APTable limits: bit 1 = read-only, bit 0 = unprivileged).</summary>
    public byte AccessPermissions
    {
        readonly get => Lazy ? Decoded()._accessPermissions : _accessPermissions;
        init
        {
            Materialize();
            _accessPermissions = value;
        }
    }

    /// <summary>Stage-2 S2AP[1:0] of the leaf (bit 0 = read, bit 1 = write).</summary>
    public byte S2AccessPermissions
    {
        readonly get => Lazy ? Decoded()._s2AccessPermissions : _s2AccessPermissions;
        init
        {
            Materialize();
            _s2AccessPermissions = value;
        }
    }

    /// <summary>Stage-1 nG: the translation is specific to the ASID.</summary>
    public bool NotGlobal
    {
        readonly get => (Lazy ? Decoded()._flags & FlagNotGlobal : _flags & FlagNotGlobal) != 0;
        init
        {
            Materialize();
            _flags = With(FlagNotGlobal, value);
        }
    }

    /// <summary>Stage-1 NS of the leaf (or NSTable on the path).</summary>
    public bool NonSecure
    {
        readonly get => (Lazy ? Decoded()._flags & FlagNonSecure : _flags & FlagNonSecure) != 0;
        init
        {
            Materialize();
            _flags = With(FlagNonSecure, value);
        }
    }

    /// <summary>The contiguous hint of the leaf.</summary>
    public bool ContiguousHint
    {
        readonly get => (Lazy ? Decoded()._flags & FlagContiguous : _flags & FlagContiguous) != 0;
        init
        {
            Materialize();
            _flags = With(FlagContiguous, value);
        }
    }

    /// <summary>DBM of the leaf.</summary>
    public bool DirtyBitModifier
    {
        readonly get => (Lazy ? Decoded()._flags & FlagDbm : _flags & FlagDbm) != 0;
        init
        {
            Materialize();
            _flags = With(FlagDbm, value);
        }
    }

    /// <summary>The access may read at the transaction's privilege.</summary>
    public bool Readable { readonly get => Has(FlagReadable); init => _flags = With(FlagReadable, value); }

    /// <summary>The access may write at the transaction's privilege.</summary>
    public bool Writable { readonly get => Has(FlagWritable); init => _flags = With(FlagWritable, value); }

    /// <summary>Instruction fetch is allowed at the transaction's privilege.</summary>
    public bool Executable { readonly get => Has(FlagExecutable); init => _flags = With(FlagExecutable, value); }

    /// <summary>True if the walk produced a translation.</summary>
    public readonly bool IsOk => _fault == 0;

    private readonly bool Lazy => (_flags & FlagFromDescriptor) != 0;

    private readonly bool Has(ushort flag) => (_flags & flag) != 0;

    private readonly ushort With(ushort flag, bool value) => value ? (ushort)(_flags | flag) : (ushort)(_flags & ~flag);

    public static bool operator ==(ArmLpaeWalkResult left, ArmLpaeWalkResult right) => left.Equals(right);

    public static bool operator !=(ArmLpaeWalkResult left, ArmLpaeWalkResult right) => !left.Equals(right);

    /// <inheritdoc/>
    public readonly bool Equals(ArmLpaeWalkResult other)
    {
        ArmLpaeWalkResult a = Decoded();
        ArmLpaeWalkResult b = other.Decoded();
        return a._outputAddress == b._outputAddress && a._intermediateAddress == b._intermediateAddress
            && a._descriptor == b._descriptor && a._faultAddress == b._faultAddress && a._flags == b._flags
            && a._fault == b._fault && a._level == b._level && a._stage == b._stage && a._blockShift == b._blockShift
            && a._attrIndx == b._attrIndx && a._s2MemAttr == b._s2MemAttr && a._shareability == b._shareability
            && a._s2Shareability == b._s2Shareability && a._accessPermissions == b._accessPermissions
            && a._s2AccessPermissions == b._s2AccessPermissions;
    }

    /// <inheritdoc/>
    public override readonly bool Equals(object? obj) => obj is ArmLpaeWalkResult other && Equals(other);

    /// <inheritdoc/>
    public override readonly int GetHashCode()
    {
        ArmLpaeWalkResult a = Decoded();
        return HashCode.Combine(a._outputAddress, a._intermediateAddress, a._descriptor, a._faultAddress, a._flags, a._level, a._stage, a._blockShift);
    }

    /// <summary>This result with every attribute in its own field.</summary>
    private readonly ArmLpaeWalkResult Decoded()
    {
        ArmLpaeWalkResult r = this;
        r.Materialize();
        return r;
    }

    /// <summary>Moves attributes still held in the descriptor into their fields.</summary>
    private void Materialize()
    {
        if (!Lazy)
        {
            return;
        }

        ulong d = _descriptor;
        bool s1 = _stage == 1;
        int attr = (int)(d >> 2) & 0xF;
        int ap = (int)(d >> 6) & 3;
        _attrIndx = s1 ? (byte)(attr & 7) : (byte)0;
        _s2MemAttr = s1 ? (byte)0 : (byte)attr;
        _shareability = (byte)((d >> 8) & 3);
        _s2Shareability = s1 ? (byte)0 : _shareability;
        _accessPermissions = s1 ? (byte)ap : (byte)0;
        _s2AccessPermissions = s1 ? (byte)0 : (byte)ap;
        int flags = (_flags & ~FlagFromDescriptor)
            | (int)((d >> 49) & FlagContiguous) // bit 52
            | (int)((d >> 47) & FlagDbm); // bit 51
        if (s1)
        {
            flags |= (int)((d >> 10) & FlagNotGlobal) // bit 11
                | (int)((d >> 3) & FlagNonSecure); // bit 5
        }

        _flags = (ushort)flags;
    }
}
