namespace IommuKit.Hardware.PageTables.ArmLpae;

/// <summary>
/// The outcome of a hardware table walk: a translation with its attributes, or a fault with the
/// level and stage that raised it. For a nested walk the attributes of both stages are given
/// (stage 1: <see cref="AttrIndx"/>, <see cref="Shareability"/>, <see cref="AccessPermissions"/>;
/// stage 2: <see cref="S2MemAttr"/>, <see cref="S2Shareability"/>, <see cref="S2AccessPermissions"/>)
/// and the permissions are those of both stages combined.
/// </summary>
public readonly struct ArmLpaeWalkResult
{
    /// <summary><see cref="ArmLpaeFault.None"/> on success.</summary>
    public ArmLpaeFault Fault { get; init; }

    /// <summary>The level of the leaf (success) or of the lookup that faulted (for a level-0 out-of-range fault, 0).</summary>
    public int Level { get; init; }

    /// <summary>The stage that produced the result or the fault (1 or 2).</summary>
    public int Stage { get; init; }

    /// <summary>Nested walks: the stage-2 fault happened while translating the IPA of a stage-1 table (SMMU S2 fault with CLASS = TT).</summary>
    public bool FaultOnTableFetch { get; init; }

    /// <summary>The translated address (PA; for a stage-1-only walk the stage's output).</summary>
    public ulong OutputAddress { get; init; }

    /// <summary>Nested walks: the IPA stage 1 produced (also set on stage-2 faults of the final access).</summary>
    public ulong IntermediateAddress { get; init; }

    /// <summary>log2 of the size of the leaf (12 for a 4K page, 21 for a 2M block); for a nested walk the smaller of the two stages.</summary>
    public int BlockShift { get; init; }

    /// <summary>The leaf descriptor (success), or the descriptor that caused the fault (0 if none was read).</summary>
    public ulong Descriptor { get; init; }

    /// <summary>For an external abort: the PA of the descriptor being read. For a stage-2 fault: the IPA being translated.</summary>
    public ulong FaultAddress { get; init; }

    /// <summary>Stage-1 AttrIndx[2:0] (index into MAIR).</summary>
    public byte AttrIndx { get; init; }

    /// <summary>Stage-2 MemAttr[3:0].</summary>
    public byte S2MemAttr { get; init; }

    /// <summary>Stage-1 SH[1:0] (for a stage-2-only walk, the stage-2 SH).</summary>
    public byte Shareability { get; init; }

    /// <summary>Stage-2 SH[1:0] of a nested walk (for a stage-2-only walk, equal to <see cref="Shareability"/>).</summary>
    public byte S2Shareability { get; init; }

    /// <summary>Stage-1 AP[2:1] of the leaf (after hierarchical APTable limits: bit 1 = read-only, bit 0 = unprivileged).</summary>
    public byte AccessPermissions { get; init; }

    /// <summary>Stage-2 S2AP[1:0] of the leaf (bit 0 = read, bit 1 = write).</summary>
    public byte S2AccessPermissions { get; init; }

    /// <summary>Stage-1 nG: the translation is specific to the ASID.</summary>
    public bool NotGlobal { get; init; }

    /// <summary>Stage-1 NS of the leaf (or NSTable on the path).</summary>
    public bool NonSecure { get; init; }

    /// <summary>The contiguous hint of the leaf.</summary>
    public bool ContiguousHint { get; init; }

    /// <summary>DBM of the leaf.</summary>
    public bool DirtyBitModifier { get; init; }

    /// <summary>The access may read at the transaction's privilege.</summary>
    public bool Readable { get; init; }

    /// <summary>The access may write at the transaction's privilege.</summary>
    public bool Writable { get; init; }

    /// <summary>Instruction fetch is allowed at the transaction's privilege.</summary>
    public bool Executable { get; init; }

    /// <summary>True if the walk produced a translation.</summary>
    public bool IsOk => Fault == ArmLpaeFault.None;
}
