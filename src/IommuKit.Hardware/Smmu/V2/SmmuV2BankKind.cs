namespace IommuKit.Hardware.Smmu.V2;

/// <summary>What a context bank does, decoded from CBAR.TYPE and checked against the bank's capabilities.</summary>
internal enum SmmuV2BankKind : byte
{
    /// <summary>A type the bank cannot have (stage 2 on a bank beyond NUMS2CB, an unsupported stage, a nested bank without a stage-2 partner): invalid context fault.</summary>
    Invalid = 0,

    /// <summary>CBAR.TYPE 0: stage 2 only.</summary>
    S2 = 1,

    /// <summary>CBAR.TYPE 1: stage 1, stage 2 bypassed.</summary>
    S1S2Bypass = 2,

    /// <summary>CBAR.TYPE 2: stage 1, then a stage-2 fault.</summary>
    S1S2Fault = 3,

    /// <summary>CBAR.TYPE 3: stage 1 then stage 2 through the bank named by CBAR.CBNDX.</summary>
    Nested = 4,
}
