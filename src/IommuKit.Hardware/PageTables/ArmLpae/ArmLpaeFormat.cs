namespace IommuKit.Hardware.PageTables.ArmLpae;

/// <summary>The Arm long-descriptor formats of Linux's <c>io-pgtable-arm.c</c> (<c>enum io_pgtable_fmt</c>).</summary>
public enum ArmLpaeFormat
{
    /// <summary><c>ARM_64_LPAE_S1</c>: VMSAv8-64 stage 1 (ias, oas ≤ 48, or 52 with the 64K granule).</summary>
    Arm64LpaeS1,

    /// <summary><c>ARM_64_LPAE_S2</c>: VMSAv8-64 stage 2.</summary>
    Arm64LpaeS2,

    /// <summary><c>ARM_32_LPAE_S1</c>: AArch32 LPAE stage 1 (ias ≤ 32, oas ≤ 40, 4K granule).</summary>
    Arm32LpaeS1,

    /// <summary><c>ARM_32_LPAE_S2</c>: AArch32 LPAE stage 2 (ias ≤ 40, oas ≤ 40, 4K granule).</summary>
    Arm32LpaeS2,
}
