using IommuKit.Hardware.PageTables.ArmLpae;

namespace IommuKit.Hardware.PageTables;

/// <summary>
/// What a driver asks of a page-table format (Linux <c>struct io_pgtable_cfg</c>, input half).
/// The format returns a restricted copy (page sizes and address sizes it can actually honour).
/// </summary>
public sealed record IoPageTableConfig
{
    /// <summary>The descriptor format (<c>enum io_pgtable_fmt</c>).</summary>
    public ArmLpaeFormat Format { get; init; }

    /// <summary>Page and block sizes the IOMMU supports (bit n set = 2^n bytes).</summary>
    public ulong PgsizeBitmap { get; init; }

    /// <summary>Input address size in bits (IOVA / IPA).</summary>
    public int Ias { get; init; }

    /// <summary>Output address size in bits (PA / IPA).</summary>
    public int Oas { get; init; }

    /// <summary>The IOMMU's table walker snoops CPU caches (no cache maintenance needed after PTE writes).</summary>
    public bool CoherentWalk { get; init; }

    /// <summary>Format quirks (<c>IO_PGTABLE_QUIRK_*</c>).</summary>
    public ArmLpaeQuirks Quirks { get; init; }

    /// <summary>
    /// The CPU's page size (Linux <c>PAGE_SIZE</c>), which <c>arm_lpae_restrict_pgsizes</c> prefers
    /// as the granule. 4096 unless the modelled kernel uses 16K or 64K pages.
    /// </summary>
    public ulong CpuPageSize { get; init; } = 4096;
}
