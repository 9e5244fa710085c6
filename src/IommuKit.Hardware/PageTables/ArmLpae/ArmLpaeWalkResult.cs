namespace IommuKit.Hardware.PageTables.ArmLpae;

/// <summary>
/// The outcome of a hardware table walk: a translation with its attributes, or a fault with the
/// level and stage that raised it. For a nested walk the attributes of both stages are given
/// (stage 1: <see cref="AttrIndx"/>, <see cref="Shareability"/>, <see cref="AccessPermissions"/>;
/// stage 2: <see cref="S2MemAttr"/>, <see cref="S2Shareability"/>, <see cref="S2AccessPermissions"/>)
/// and the permissions are those of both stages combined.
/// </summary>
/// <remarks>Stored compactly (48 bytes) so that producing one costs a handful of stores.</remarks>
public readonly struct ArmLpaeWalkResult
{
    internal const ushort FlagFaultOnTableFetch = 1;
    internal const ushort FlagNotGlobal = 2;
    internal const ushort FlagNonSecure = 4;
    internal const ushort FlagContiguous = 8;
    internal const ushort FlagDbm = 16;
    internal const ushort FlagReadable = 32;
    internal const ushort FlagWritable = 64;
    internal const ushort FlagExecutable = 128;

    private readonly ulong _outputAddress;
    private readonly ulong _intermediateAddress;
    private readonly ulong _descriptor;
    private readonly ulong _faultAddress;
    private readonly ushort _flags;
    private readonly byte _fault;
    private readonly sbyte _level;
    private readonly byte _stage;
    private readonly byte _blockShift;
    private readonly byte _attrIndx;
    private readonly byte _s2MemAttr;
    private readonly byte _shareability;
    private readonly byte _s2Shareability;
    private readonly byte _accessPermissions;
    private readonly byte _s2AccessPermissions;

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
    /// the attributes come from <paramref name="descriptor"/>; <paramref name="permissions"/> holds
    /// the readable/writable/executable flags.
    /// </summary>
    internal ArmLpaeWalkResult(ulong outputAddress, ulong descriptor, int level, int stage, int blockShift, ushort permissions)
    {
        int s1 = stage == 1 ? -1 : 0;
        _outputAddress = outputAddress;
        _intermediateAddress = 0;
        _descriptor = descriptor;
        _faultAddress = 0;
        _flags = (ushort)(permissions
            | (int)((descriptor >> 49) & FlagContiguous) // bit 52 -> 8
            | (int)((descriptor >> 47) & FlagDbm) // bit 51 -> 16
            | ((int)((descriptor >> 10) & FlagNotGlobal) & s1) // bit 11 -> 2
            | ((int)((descriptor >> 3) & FlagNonSecure) & s1)); // bit 5 -> 4
        _fault = 0;
        _level = (sbyte)level;
        _stage = (byte)stage;
        _blockShift = (byte)blockShift;
        int attr = (int)(descriptor >> 2) & 0xF;
        int ap = (int)(descriptor >> 6) & 3;
        int sh = (int)(descriptor >> 8) & 3;
        _attrIndx = (byte)(attr & 7 & s1);
        _s2MemAttr = (byte)(attr & ~s1);
        _shareability = (byte)sh;
        _s2Shareability = (byte)(sh & ~s1);
        _accessPermissions = (byte)(ap & s1);
        _s2AccessPermissions = (byte)(ap & ~s1);
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
    public ArmLpaeFault Fault { get => (ArmLpaeFault)_fault; init => _fault = (byte)value; }

    /// <summary>The level of the leaf (success) or of the lookup that faulted (for a level-0 out-of-range fault, 0).</summary>
    public int Level { get => _level; init => _level = (sbyte)value; }

    /// <summary>The stage that produced the result or the fault (1 or 2).</summary>
    public int Stage { get => _stage; init => _stage = (byte)value; }

    /// <summary>Nested walks: the stage-2 fault happened while translating the IPA of a stage-1 table (SMMU S2 fault with CLASS = TT).</summary>
    public bool FaultOnTableFetch { get => Has(FlagFaultOnTableFetch); init => _flags = With(FlagFaultOnTableFetch, value); }

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
    public byte AttrIndx { get => _attrIndx; init => _attrIndx = value; }

    /// <summary>Stage-2 MemAttr[3:0].</summary>
    public byte S2MemAttr { get => _s2MemAttr; init => _s2MemAttr = value; }

    /// <summary>Stage-1 SH[1:0] (for a stage-2-only walk, the stage-2 SH).</summary>
    public byte Shareability { get => _shareability; init => _shareability = value; }

    /// <summary>Stage-2 SH[1:0] of a nested walk (for a stage-2-only walk, equal to <see cref="Shareability"/>).</summary>
    public byte S2Shareability { get => _s2Shareability; init => _s2Shareability = value; }

    /// <summary>Stage-1 AP[2:1] of the leaf (after hierarchical APTable limits: bit 1 = read-only, bit 0 = unprivileged).</summary>
    public byte AccessPermissions { get => _accessPermissions; init => _accessPermissions = value; }

    /// <summary>Stage-2 S2AP[1:0] of the leaf (bit 0 = read, bit 1 = write).</summary>
    public byte S2AccessPermissions { get => _s2AccessPermissions; init => _s2AccessPermissions = value; }

    /// <summary>Stage-1 nG: the translation is specific to the ASID.</summary>
    public bool NotGlobal { get => Has(FlagNotGlobal); init => _flags = With(FlagNotGlobal, value); }

    /// <summary>Stage-1 NS of the leaf (or NSTable on the path).</summary>
    public bool NonSecure { get => Has(FlagNonSecure); init => _flags = With(FlagNonSecure, value); }

    /// <summary>The contiguous hint of the leaf.</summary>
    public bool ContiguousHint { get => Has(FlagContiguous); init => _flags = With(FlagContiguous, value); }

    /// <summary>DBM of the leaf.</summary>
    public bool DirtyBitModifier { get => Has(FlagDbm); init => _flags = With(FlagDbm, value); }

    /// <summary>The access may read at the transaction's privilege.</summary>
    public bool Readable { get => Has(FlagReadable); init => _flags = With(FlagReadable, value); }

    /// <summary>The access may write at the transaction's privilege.</summary>
    public bool Writable { get => Has(FlagWritable); init => _flags = With(FlagWritable, value); }

    /// <summary>Instruction fetch is allowed at the transaction's privilege.</summary>
    public bool Executable { get => Has(FlagExecutable); init => _flags = With(FlagExecutable, value); }

    /// <summary>True if the walk produced a translation.</summary>
    public bool IsOk => _fault == 0;

    private bool Has(ushort flag) => (_flags & flag) != 0;

    private ushort With(ushort flag, bool value) => value ? (ushort)(_flags | flag) : (ushort)(_flags & ~flag);
}
