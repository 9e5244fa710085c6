namespace IommuKit.Hardware.PageTables.ArmLpae;

/// <summary>Why a translation-table walk failed (VMSAv8 fault status classes).</summary>
public enum ArmLpaeFault
{
    /// <summary>The walk produced a translation.</summary>
    None = 0,

    /// <summary>Invalid descriptor, type 0b01 at level 3, a block where none is allowed, or an input address out of range.</summary>
    Translation,

    /// <summary>A leaf with AF = 0 and hardware access-flag update disabled.</summary>
    AccessFlag,

    /// <summary>The access is not permitted by AP/XN (stage 1) or S2AP/XN (stage 2).</summary>
    Permission,

    /// <summary>A table or output address beyond the configured output size.</summary>
    AddressSize,

    /// <summary>The bus returned an error for a descriptor fetch (synchronous external abort on walk).</summary>
    ExternalAbort,
}
