namespace IommuKit.Hardware.Smmu.V3;

/// <summary>SMMU_CMDQ_CONS.ERR codes (SMMUv3 §7.1).</summary>
#pragma warning disable CA1707 // spec names
public enum SmmuV3CommandError : byte
{
    /// <summary>No error.</summary>
    CERROR_NONE = 0x00,

    /// <summary>Illegal command: reserved or unimplemented opcode, or an invalid parameter.</summary>
    CERROR_ILL = 0x01,

    /// <summary>External abort reading the command.</summary>
    CERROR_ABT = 0x02,

    /// <summary>A CMD_SYNC could not complete a previous ATC invalidation.</summary>
    CERROR_ATC_INV_SYNC = 0x03,
}
#pragma warning restore CA1707
