namespace IommuKit.Hardware.Smmu.V2;

/// <summary>How the SMMU disposed of one transaction.</summary>
public enum SmmuV2TranslationStatus : byte
{
    /// <summary>Translated by a context bank: access <see cref="SmmuV2Translation.OutputAddress"/>.</summary>
    Translated = 0,

    /// <summary>Passed through untranslated (sCR0.CLIENTPD, an unmatched stream with sCR0.USFCFG = 0, S2CR bypass, or a disabled context bank).</summary>
    Bypassed = 1,

    /// <summary>Faulted and terminated with an abort (SCTLR.CFRE / sCR0.GFRE set): the master sees an error.</summary>
    FaultAbort = 2,

    /// <summary>Faulted and terminated without an abort (CFRE / GFRE clear): reads return zero, writes are ignored.</summary>
    FaultRazWi = 3,
}
