namespace IommuKit.Hardware.PageTables.ArmLpae;

/// <summary>
/// The stage-1 translation-control fields Linux computes for a table (<c>arm_lpae_s1_cfg.tcr</c>):
/// T0SZ, IRGN0, ORGN0, SH0, TG0 (TG1 encoding with the TTBR1 quirk) and IPS. Drivers place them
/// in their own registers (SMMUv3 CD, SMMUv2 TCR); <see cref="Value"/> packs them as TCR_EL1 does
/// for TTBR0.
/// </summary>
public readonly record struct ArmLpaeTcr(int Tsz, int Irgn, int Orgn, int Sh, int Tg, int Ips)
{
    /// <summary>TCR_EL1 layout: T0SZ[5:0], IRGN0[9:8], ORGN0[11:10], SH0[13:12], TG0[15:14], IPS[34:32].</summary>
    public ulong Value =>
        (ulong)(uint)(Tsz & 0x3F) | ((ulong)(uint)(Irgn & 3) << 8) | ((ulong)(uint)(Orgn & 3) << 10) | ((ulong)(uint)(Sh & 3) << 12) |
        ((ulong)(uint)(Tg & 3) << 14) | ((ulong)(uint)(Ips & 7) << 32);
}
