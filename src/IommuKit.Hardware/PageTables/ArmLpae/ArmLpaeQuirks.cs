namespace IommuKit.Hardware.PageTables.ArmLpae;

/// <summary>Page-table quirks, with the bit values of Linux's <c>IO_PGTABLE_QUIRK_*</c>.</summary>
[Flags]
public enum ArmLpaeQuirks
{
    /// <summary>No quirk.</summary>
    None = 0,

    /// <summary><c>ARM_NS</c>: set NS on leaves and NSTable on table descriptors (stage 1 only).</summary>
    ArmNs = 1,

    /// <summary><c>ARM_TTBR1</c>: the table serves the upper (sign-extended) half of the VA space (stage 1 only).</summary>
    ArmTtbr1 = 32,

    /// <summary><c>ARM_OUTER_WBWA</c>: a non-coherent walker with outer write-back walks (stage 1 only).</summary>
    ArmOuterWbwa = 64,

    /// <summary><c>ARM_HD</c>: hardware dirty tracking, writable leaves get DBM (stage 1 only).</summary>
    ArmHd = 128,

    /// <summary><c>ARM_S2FWB</c>: stage-2 forced write-back MemAttr encoding (stage 2 only).</summary>
    ArmS2Fwb = 256,

    /// <summary><c>NO_WARN</c>: do not warn on map over a leaf or unmap of a hole.</summary>
    NoWarn = 512,
}
