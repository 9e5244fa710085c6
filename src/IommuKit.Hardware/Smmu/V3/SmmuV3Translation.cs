using IommuKit.Hardware.Memory;

namespace IommuKit.Hardware.Smmu.V3;

/// <summary>How the SMMU disposed of one transaction.</summary>
public enum SmmuV3TranslationStatus : byte
{
    /// <summary>Translated by stage 1, stage 2 or both: use <see cref="SmmuV3Translation.OutputAddress"/>.</summary>
    Translated = 0,

    /// <summary>Passed through untranslated (SMMU disabled with GBPA bypass, STE bypass, S1DSS bypass without stage 2).</summary>
    Bypassed = 1,

    /// <summary>Terminated with an abort reported to the device.</summary>
    Aborted = 2,

    /// <summary>Terminated with RAZ/WI behaviour (CD.A = 0): reads return zero, writes are dropped, the device sees success.</summary>
    Terminated = 3,
}

/// <summary>
/// The result of <see cref="SmmuV3.Translate"/> for one transaction: where it goes on the
/// interconnect and with which snoop attribute, or why it was refused.
/// </summary>
public readonly struct SmmuV3Translation
{
    internal SmmuV3Translation(SmmuV3TranslationStatus status, ulong outputAddress, ulong length, BusAccess access, SmmuV3EventId fault, bool recorded)
    {
        Status = status;
        OutputAddress = outputAddress;
        Length = length;
        Access = access;
        Fault = fault;
        Recorded = recorded;
    }

    /// <summary>Translated, bypassed or terminated.</summary>
    public SmmuV3TranslationStatus Status { get; }

    /// <summary>The physical address the transaction goes to (Translated or Bypassed).</summary>
    public ulong OutputAddress { get; }

    /// <summary>
    /// Bytes from the input address to the end of the translation that produced
    /// <see cref="OutputAddress"/> (the page or block); for a termination, to the next 4 KiB boundary.
    /// </summary>
    public ulong Length { get; }

    /// <summary>How the output transaction reaches memory: <see cref="BusAccess.Snoop"/> or <see cref="BusAccess.NoSnoop"/>.</summary>
    public BusAccess Access { get; }

    /// <summary>The event that describes the fault or configuration error; <see cref="SmmuV3EventId.None"/> for a silent abort (STE abort, GBPA abort) or success.</summary>
    public SmmuV3EventId Fault { get; }

    /// <summary>True if an event record was written to the Event queue for this transaction.</summary>
    public bool Recorded { get; }

    /// <summary>True if the transaction proceeds to memory (translated or bypassed).</summary>
    public bool IsOk => Status <= SmmuV3TranslationStatus.Bypassed;
}
