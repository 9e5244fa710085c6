using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables.ArmLpae;

namespace IommuKit.Hardware.Smmu.V3;

/// <summary>What a valid STE tells the SMMU to do with a stream's traffic.</summary>
internal enum SmmuV3StreamMode : byte
{
    /// <summary>Config 0b0xx: abort, no event.</summary>
    Abort = 0,

    /// <summary>Config 0b100: bypass both stages.</summary>
    Bypass = 1,

    /// <summary>Config 0b101, 0b110 or 0b111: at least one stage translates.</summary>
    Translate = 2,
}

/// <summary>
/// A cached, decoded, valid STE (configuration cache entry) and the CDs cached through it.
/// Immutable except for the CD cache, which the SMMU lock guards (the fast slots are read
/// lock-free).
/// </summary>
internal sealed class SmmuV3StreamConfig
{
    /// <summary>Lock-free slots for CD indexes 0..FastCdSlots-1 (index = CD table index).</summary>
    public const int FastCdSlots = 16;

    public SmmuV3StreamConfig(uint sid, in SmmuV3Ste ste)
    {
        Sid = sid;
        Ste = ste;
    }

    public uint Sid { get; }

    public SmmuV3Ste Ste { get; }

    public SmmuV3StreamMode Mode { get; init; }

    public bool S1Enabled { get; init; }

    public bool S2Enabled { get; init; }

    /// <summary>Effective S1CDMax (0 when substreams are unsupported).</summary>
    public int CdMax { get; init; }

    /// <summary>Effective S1DSS (reserved 0b11 reads as 0b00).</summary>
    public int S1Dss { get; init; }

    /// <summary>Effective S1Fmt (linear when substreams are disabled; reserved 0b11 reads as 0b00).</summary>
    public int S1Fmt { get; init; }

    /// <summary>CD table (or L1 CD table) base: an IPA when stage 2 is enabled.</summary>
    public ulong S1ContextPtr { get; init; }

    /// <summary>Bus attribute of CD and L1CD fetches (STE.S1CIR/S1COR/S1CSH).</summary>
    public BusAccess CdAccess { get; init; }

    /// <summary>The regime stage-1 translations of this stream are tagged with.</summary>
    public SmmuV3TlbKind S1Kind { get; init; }

    /// <summary>The VMID TLB entries are tagged with (0 when no VMID tagging applies).</summary>
    public ushort Vmid { get; init; }

    /// <summary>The stage-2 walk (when <see cref="S2Enabled"/>). A field so the hot path passes it by reference.</summary>
    public ArmLpaeWalkConfig S2Walk;

    /// <summary>STE.S2R: record stage-2 translation-related faults.</summary>
    public bool S2Record { get; init; }

    /// <summary>Lock-free CD slots (see <see cref="FastCdSlots"/>).</summary>
    public SmmuV3ContextConfig?[] FastCds { get; } = new SmmuV3ContextConfig?[FastCdSlots];

    /// <summary>All cached CDs of this stream by CD table index (SMMU lock).</summary>
    public Dictionary<uint, SmmuV3ContextConfig> Cds { get; } = [];

    /// <summary>Cached valid L1CDs by L1 index (SMMU lock).</summary>
    public Dictionary<uint, ulong> L1Cds { get; } = [];

    /// <summary>Drops every cached CD and L1CD (CFGI_CD_ALL). Caller holds the SMMU lock.</summary>
    public void ClearCds()
    {
        Cds.Clear();
        L1Cds.Clear();
        for (int i = 0; i < FastCds.Length; i++)
        {
            Volatile.Write(ref FastCds[i], null);
        }
    }
}

/// <summary>A cached, decoded, valid CD: the stage-1 context of one substream.</summary>
internal sealed class SmmuV3ContextConfig
{
    public SmmuV3ContextConfig(uint index, in SmmuV3Cd cd)
    {
        Index = index;
        Cd = cd;
    }

    /// <summary>CD table index (SubstreamID, or 0).</summary>
    public uint Index { get; }

    public SmmuV3Cd Cd { get; }

    /// <summary>The ASID TLB entries are tagged with (0 for the untagged EL2 regime).</summary>
    public ushort Asid { get; init; }

    /// <summary>CD.R.</summary>
    public bool Record { get; init; }

    /// <summary>CD.A: terminate faulting transactions with an abort (else RAZ/WI).</summary>
    public bool AbortOnFault { get; init; }

    public ulong Mair { get; init; }

    /// <summary>The regime has a TTB1 (upper) VA range: EL1 and EL2-E2H.</summary>
    public bool TwoRanges { get; init; }

    public bool Epd0 { get; init; }

    public bool Epd1 { get; init; }

    public bool Tbi0 { get; init; }

    public bool Tbi1 { get; init; }

    /// <summary>The TTB0 walk (a field so the hot path passes it by reference).</summary>
    public ArmLpaeWalkConfig Walk0;

    /// <summary>The TTB1 walk.</summary>
    public ArmLpaeWalkConfig Walk1;
}
