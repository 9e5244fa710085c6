namespace IommuKit.Hardware.Smmu.V3;

/// <summary>
/// The fields of a Stream Table Entry the model uses (SMMUv3 §5.2; 64 bytes, of which the first
/// four doublewords are decoded). Positions are given as doubleword:bits.
/// </summary>
internal readonly struct SmmuV3Ste
{
    public readonly ulong Dw0;
    public readonly ulong Dw1;
    public readonly ulong Dw2;
    public readonly ulong Dw3;

    public SmmuV3Ste(ulong dw0, ulong dw1, ulong dw2, ulong dw3)
    {
        Dw0 = dw0;
        Dw1 = dw1;
        Dw2 = dw2;
        Dw3 = dw3;
    }

    /// <summary>0:0 V.</summary>
    public bool V => (Dw0 & 1) != 0;

    /// <summary>0:3:1 Config: 0b0xx abort, 0b100 bypass, 0b101 S1, 0b110 S2, 0b111 nested.</summary>
    public int Config => (int)(Dw0 >> 1) & 7;

    /// <summary>0:5:4 S1Fmt: 0 linear, 1 2-level 4K leaves, 2 2-level 64K leaves (3 behaves as 0).</summary>
    public int S1Fmt => (int)(Dw0 >> 4) & 3;

    /// <summary>0:55:6 S1ContextPtr.</summary>
    public ulong S1ContextPtr => Dw0 & 0x00FF_FFFF_FFFF_FFC0;

    /// <summary>0:63:59 S1CDMax: log2 of the number of CDs.</summary>
    public int S1CdMax => (int)(Dw0 >> 59);

    /// <summary>1:1:0 S1DSS: 0 terminate, 1 bypass stage 1, 2 use CD 0 (3 behaves as 0).</summary>
    public int S1Dss => (int)Dw1 & 3;

    /// <summary>1:3:2 S1CIR.</summary>
    public int S1Cir => (int)(Dw1 >> 2) & 3;

    /// <summary>1:5:4 S1COR.</summary>
    public int S1Cor => (int)(Dw1 >> 4) & 3;

    /// <summary>1:7:6 S1CSH.</summary>
    public int S1Csh => (int)(Dw1 >> 6) & 3;

    /// <summary>1:27 S1STALLD.</summary>
    public bool S1StallD => ((Dw1 >> 27) & 1) != 0;

    /// <summary>1:31:30 STRW: 0b00 NS-EL1, 0b10 EL2 / EL2-E2H, 0bx1 reserved.</summary>
    public int Strw => (int)(Dw1 >> 30) & 3;

    /// <summary>2:15:0 S2VMID.</summary>
    public ushort S2Vmid => (ushort)Dw2;

    /// <summary>2:37:32 S2T0SZ.</summary>
    public int S2T0sz => (int)(Dw2 >> 32) & 0x3F;

    /// <summary>2:39:38 S2SL0.</summary>
    public int S2Sl0 => (int)(Dw2 >> 38) & 3;

    /// <summary>2:41:40 S2IR0.</summary>
    public int S2Ir0 => (int)(Dw2 >> 40) & 3;

    /// <summary>2:43:42 S2OR0.</summary>
    public int S2Or0 => (int)(Dw2 >> 42) & 3;

    /// <summary>2:45:44 S2SH0.</summary>
    public int S2Sh0 => (int)(Dw2 >> 44) & 3;

    /// <summary>2:47:46 S2TG (0 4K, 1 64K, 2 16K).</summary>
    public int S2Tg => (int)(Dw2 >> 46) & 3;

    /// <summary>2:50:48 S2PS.</summary>
    public int S2Ps => (int)(Dw2 >> 48) & 7;

    /// <summary>2:51 S2AA64.</summary>
    public bool S2Aa64 => ((Dw2 >> 51) & 1) != 0;

    /// <summary>2:52 S2ENDI.</summary>
    public bool S2Endi => ((Dw2 >> 52) & 1) != 0;

    /// <summary>2:55 S2HD.</summary>
    public bool S2Hd => ((Dw2 >> 55) & 1) != 0;

    /// <summary>2:56 S2HA.</summary>
    public bool S2Ha => ((Dw2 >> 56) & 1) != 0;

    /// <summary>2:57 S2S.</summary>
    public bool S2S => ((Dw2 >> 57) & 1) != 0;

    /// <summary>2:58 S2R.</summary>
    public bool S2R => ((Dw2 >> 58) & 1) != 0;

    /// <summary>3:51:4 S2TTB.</summary>
    public ulong S2Ttb => Dw3 & 0x000F_FFFF_FFFF_FFF0;
}
