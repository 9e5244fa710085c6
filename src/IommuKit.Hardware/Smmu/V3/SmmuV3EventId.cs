namespace IommuKit.Hardware.Smmu.V3;

/// <summary>Event record types (SMMUv3 §7.3), with their architected numbers.</summary>
#pragma warning disable CA1707 // spec names
public enum SmmuV3EventId : byte
{
    /// <summary>No event: the transaction completed, or was terminated without a record.</summary>
    None = 0x00,

    /// <summary>Unsupported upstream transaction.</summary>
    F_UUT = 0x01,

    /// <summary>StreamID out of range of the Stream table (recorded if SMMU_CR2.RECINVSID).</summary>
    C_BAD_STREAMID = 0x02,

    /// <summary>External abort fetching an STE or L1STD.</summary>
    F_STE_FETCH = 0x03,

    /// <summary>STE invalid (V = 0) or ILLEGAL.</summary>
    C_BAD_STE = 0x04,

    /// <summary>ATS Translation Request not allowed.</summary>
    F_BAD_ATS_TREQ = 0x05,

    /// <summary>Non-substream traffic disabled by STE.S1DSS, or SubstreamID 0 reserved by S1DSS = 0b10.</summary>
    F_STREAM_DISABLED = 0x06,

    /// <summary>Translated (ATS) transaction not allowed to bypass.</summary>
    F_TRANSL_FORBIDDEN = 0x07,

    /// <summary>SubstreamID not allowed or out of range, or invalid L1CD.</summary>
    C_BAD_SUBSTREAMID = 0x08,

    /// <summary>External abort fetching a CD or L1CD.</summary>
    F_CD_FETCH = 0x09,

    /// <summary>CD invalid (V = 0) or ILLEGAL.</summary>
    C_BAD_CD = 0x0A,

    /// <summary>External abort fetching (or updating) a translation table descriptor.</summary>
    F_WALK_EABT = 0x0B,

    /// <summary>Translation fault.</summary>
    F_TRANSLATION = 0x10,

    /// <summary>Address size fault.</summary>
    F_ADDR_SIZE = 0x11,

    /// <summary>Access flag fault.</summary>
    F_ACCESS = 0x12,

    /// <summary>Permission fault.</summary>
    F_PERMISSION = 0x13,

    /// <summary>TLB conflict.</summary>
    F_TLB_CONFLICT = 0x20,

    /// <summary>Configuration cache conflict.</summary>
    F_CFG_CONFLICT = 0x21,

    /// <summary>PRI page request (PRI queue overflow auto-response).</summary>
    E_PAGE_REQUEST = 0x24,

    /// <summary>External abort fetching a VMS.</summary>
    F_VMS_FETCH = 0x25,
}
#pragma warning restore CA1707
