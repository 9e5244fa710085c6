namespace IommuKit.Hardware.Smmu.V2;

/// <summary>Why a transaction faulted: a context fault (SMMU_CBn_FSR) or a global fault (SMMU_sGFSR).</summary>
public enum SmmuV2Fault : byte
{
    /// <summary>No fault.</summary>
    None = 0,

    /// <summary>Context fault FSR.TF: translation fault (invalid descriptor, address out of range, disabled TTBR, unsupported configuration).</summary>
    Translation,

    /// <summary>Context fault FSR.AFF: access flag fault.</summary>
    AccessFlag,

    /// <summary>Context fault FSR.PF: permission fault.</summary>
    Permission,

    /// <summary>Context fault FSR.EF: external fault on a table walk.</summary>
    External,

    /// <summary>Context fault FSR.ASF: address size fault.</summary>
    AddressSize,

    /// <summary>Global fault sGFSR.USF: no SMR matched the stream and sCR0.USFCFG = 1.</summary>
    UnidentifiedStream,

    /// <summary>Global fault sGFSR.SMCF: several SMRs matched the stream and sCR0.SMCFCFG = 1.</summary>
    StreamMatchConflict,

    /// <summary>Global fault sGFSR.ICF: the stream maps to a fault context (S2CR.TYPE fault or reserved) or to a context bank whose CBAR type it cannot have.</summary>
    InvalidContext,

    /// <summary>Global fault sGFSR.UCBF: S2CR.CBNDX names an unimplemented context bank.</summary>
    UnimplementedContextBank,
}
