namespace IommuKit.Hardware.Smmu.V3;

/// <summary>
/// The fields of a Context Descriptor the model uses (SMMUv3 §5.4; 64 bytes, of which the
/// first four doublewords are decoded). Positions are given as doubleword:bits.
/// </summary>
internal readonly struct SmmuV3Cd
{
    public readonly ulong Dw0;
    public readonly ulong Dw1;
    public readonly ulong Dw2;
    public readonly ulong Dw3;

    public SmmuV3Cd(ulong dw0, ulong dw1, ulong dw2, ulong dw3)
    {
        Dw0 = dw0;
        Dw1 = dw1;
        Dw2 = dw2;
        Dw3 = dw3;
    }

    /// <summary>0:5:0 T0SZ.</summary>
    public int T0sz => (int)Dw0 & 0x3F;

    /// <summary>0:7:6 TG0 (0 4K, 1 64K, 2 16K).</summary>
    public int Tg0 => (int)(Dw0 >> 6) & 3;

    /// <summary>0:9:8 IR0.</summary>
    public int Ir0 => (int)(Dw0 >> 8) & 3;

    /// <summary>0:11:10 OR0.</summary>
    public int Or0 => (int)(Dw0 >> 10) & 3;

    /// <summary>0:13:12 SH0.</summary>
    public int Sh0 => (int)(Dw0 >> 12) & 3;

    /// <summary>0:14 EPD0.</summary>
    public bool Epd0 => ((Dw0 >> 14) & 1) != 0;

    /// <summary>0:15 ENDI.</summary>
    public bool Endi => ((Dw0 >> 15) & 1) != 0;

    /// <summary>0:21:16 T1SZ.</summary>
    public int T1sz => (int)(Dw0 >> 16) & 0x3F;

    /// <summary>0:23:22 TG1 (1 16K, 2 4K, 3 64K).</summary>
    public int Tg1 => (int)(Dw0 >> 22) & 3;

    /// <summary>0:25:24 IR1.</summary>
    public int Ir1 => (int)(Dw0 >> 24) & 3;

    /// <summary>0:27:26 OR1.</summary>
    public int Or1 => (int)(Dw0 >> 26) & 3;

    /// <summary>0:29:28 SH1.</summary>
    public int Sh1 => (int)(Dw0 >> 28) & 3;

    /// <summary>0:30 EPD1.</summary>
    public bool Epd1 => ((Dw0 >> 30) & 1) != 0;

    /// <summary>0:31 V.</summary>
    public bool V => ((Dw0 >> 31) & 1) != 0;

    /// <summary>0:34:32 IPS.</summary>
    public int Ips => (int)(Dw0 >> 32) & 7;

    /// <summary>0:36 WXN.</summary>
    public bool Wxn => ((Dw0 >> 36) & 1) != 0;

    /// <summary>0:38 TBI0.</summary>
    public bool Tbi0 => ((Dw0 >> 38) & 1) != 0;

    /// <summary>0:39 TBI1.</summary>
    public bool Tbi1 => ((Dw0 >> 39) & 1) != 0;

    /// <summary>0:41 AA64.</summary>
    public bool Aa64 => ((Dw0 >> 41) & 1) != 0;

    /// <summary>0:42 HD.</summary>
    public bool Hd => ((Dw0 >> 42) & 1) != 0;

    /// <summary>0:43 HA.</summary>
    public bool Ha => ((Dw0 >> 43) & 1) != 0;

    /// <summary>0:44 S (stall).</summary>
    public bool S => ((Dw0 >> 44) & 1) != 0;

    /// <summary>0:45 R (record).</summary>
    public bool R => ((Dw0 >> 45) & 1) != 0;

    /// <summary>0:46 A (abort; 0 = RAZ/WI termination).</summary>
    public bool A => ((Dw0 >> 46) & 1) != 0;

    /// <summary>0:63:48 ASID.</summary>
    public ushort Asid => (ushort)(Dw0 >> 48);

    /// <summary>1:51:4 TTB0.</summary>
    public ulong Ttb0 => Dw1 & 0x000F_FFFF_FFFF_FFF0;

    /// <summary>2:51:4 TTB1.</summary>
    public ulong Ttb1 => Dw2 & 0x000F_FFFF_FFFF_FFF0;

    /// <summary>3 MAIR0 | MAIR1 &lt;&lt; 32: the 64-bit MAIR value.</summary>
    public ulong Mair => Dw3;
}
