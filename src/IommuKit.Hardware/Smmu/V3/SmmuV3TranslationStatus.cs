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
