namespace IommuKit.Hardware.PageTables.ArmLpae;

/// <summary>
/// The stage-2 translation-control fields Linux computes for a table (<c>arm_lpae_s2_cfg.vtcr</c>):
/// T0SZ, SL0, IRGN0, ORGN0, SH0, TG0 and PS. <see cref="Value"/> packs them as VTCR_EL2 does (the
/// SMMUv3 STE S2T0SZ..S2PS fields use the same layout).
/// </summary>
public readonly record struct ArmLpaeVtcr(int Tsz, int Sl, int Irgn, int Orgn, int Sh, int Tg, int Ps)
{
    /// <summary>VTCR_EL2 layout: T0SZ[5:0], SL0[7:6], IRGN0[9:8], ORGN0[11:10], SH0[13:12], TG0[15:14], PS[18:16].</summary>
    public ulong Value =>
        (ulong)(uint)(Tsz & 0x3F) | ((ulong)(uint)(Sl & 3) << 6) | ((ulong)(uint)(Irgn & 3) << 8) | ((ulong)(uint)(Orgn & 3) << 10) |
        ((ulong)(uint)(Sh & 3) << 12) | ((ulong)(uint)(Tg & 3) << 14) | ((ulong)(uint)(Ps & 7) << 16);
}
