using IommuKit.Hardware.PageTables.ArmLpae;

namespace IommuKit.Hardware.Smmu.V3;

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
