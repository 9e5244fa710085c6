using IommuKit.Hardware.Memory;

namespace IommuKit.Hardware.Smmu.V2;

/// <summary>
/// The outcome of <see cref="SmmuV2.Translate"/> for one address: where the access goes and with
/// which coherency, or how it faulted.
/// </summary>
public readonly struct SmmuV2Translation
{
    /// <summary>What the SMMU did with the transaction.</summary>
    public SmmuV2TranslationStatus Status { get; init; }

    /// <summary>The output (physical) address, for <see cref="SmmuV2TranslationStatus.Translated"/> and <see cref="SmmuV2TranslationStatus.Bypassed"/>.</summary>
    public ulong OutputAddress { get; init; }

    /// <summary>
    /// How the downstream access reaches memory: <see cref="BusAccess.Snoop"/> if the effective
    /// memory type is Normal inner and outer Write-Back and the transaction is not No-Snoop,
    /// <see cref="BusAccess.NoSnoop"/> otherwise.
    /// </summary>
    public BusAccess Access { get; init; }

    /// <summary>
    /// log2 of the naturally aligned range around the input address that this result covers (the
    /// TLB entry's page or block size; 12 for faults; 64 for bypass). A DMA that crosses the range
    /// translates again.
    /// </summary>
    public int RangeShift { get; init; }

    /// <summary>The context bank that translated or recorded the fault, or −1.</summary>
    public int ContextBank { get; init; }

    /// <summary>Why the transaction faulted; <see cref="SmmuV2Fault.None"/> otherwise.</summary>
    public SmmuV2Fault Fault { get; init; }

    /// <summary>True if the access goes ahead (translated or bypassed).</summary>
    public bool Proceeds => Status <= SmmuV2TranslationStatus.Bypassed;
}
