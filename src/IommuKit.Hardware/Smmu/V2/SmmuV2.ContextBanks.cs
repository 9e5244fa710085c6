using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables.ArmLpae;
using static IommuKit.Hardware.Smmu.V2.SmmuV2Registers;

namespace IommuKit.Hardware.Smmu.V2;

/// <summary>Context bank decoding: CBAR/CBA2R, SCTLR, TCR/TCR2, TTBRs and MAIRs into walk configurations.</summary>
public sealed partial class SmmuV2
{
    /// <summary>Refreshes <paramref name="b"/>'s decoded regime from its registers (caller holds the lock, inside a mutation).</summary>
    private void Decode(SmmuV2ContextBank b)
    {
        uint cbar = b.Cbar;
        uint type = (cbar >> CBAR_TYPE_Shift) & 3;
        b.Aarch64 = _version2 && (b.Cba2r & CBA2R_VA64) != 0;
        b.Vmid = _version2 && _features.Vmid16 && (_scr0 & sCR0_VMID16EN) != 0
            ? (ushort)(b.Cba2r >> CBA2R_VMID16_Shift)
            : (ushort)(cbar & 0xFF);
        b.Enabled = (b.Sctlr & SCTLR_M) != 0;
        b.ReportFaults = (b.Sctlr & SCTLR_CFRE) != 0;
        b.FaultInterrupt = (b.Sctlr & SCTLR_CFIE) != 0;
        b.DisabledCacheable = (b.Sctlr & SCTLR_MTCFG) == 0 || IsWriteBackMemAttr(b.Sctlr >> SCTLR_MemAttr_Shift);
        b.S2BypassCacheable = IsWriteBackMemAttr(cbar >> CBAR_MEMATTR_Shift);
        b.Mair = ((ulong)b.Mair1 << 32) | b.Mair0;
        b.S2Bank = (int)((cbar >> CBAR_CBNDX_Shift) & 0xFF);
        b.Kind = type switch
        {
            CBAR_TYPE_S2_TRANS => _features.Stage2 && b.Index < _numS2Banks ? SmmuV2BankKind.S2 : SmmuV2BankKind.Invalid,
            CBAR_TYPE_S1_TRANS_S2_BYPASS => _features.Stage1 ? SmmuV2BankKind.S1S2Bypass : SmmuV2BankKind.Invalid,
            CBAR_TYPE_S1_TRANS_S2_FAULT => _features.Stage1 ? SmmuV2BankKind.S1S2Fault : SmmuV2BankKind.Invalid,
            _ => _features.Nested && b.S2Bank < _numS2Banks && b.S2Bank != b.Index ? SmmuV2BankKind.Nested : SmmuV2BankKind.Invalid,
        };
        b.TlbContext = SmmuV2Tlb.MakeContext(b.Index, b.Kind, b.Vmid);
        if (b.Kind == SmmuV2BankKind.S2)
        {
            DecodeStage2(b);
        }
        else if (b.Kind != SmmuV2BankKind.Invalid)
        {
            DecodeStage1(b);
        }

        b.Dirty = false;
    }

    private void DecodeStage2(SmmuV2ContextBank b)
    {
        uint tcr = b.Tcr;
        ulong vttbr = b.Ttbr0 & (b.Aarch64 ? 0x0000_FFFF_FFFF_FFFEUL : 0x0000_00FF_FFFF_FFFEUL);
        BusAccess walk = WalkAccess(tcr >> TCR_IRGN0_Shift, tcr >> TCR_ORGN0_Shift);
        b.FsrFormat = b.Aarch64 ? FSR_FORMAT_AARCH64 : FSR_FORMAT_AARCH32_L;
        b.Asid = 0;
        if (b.Aarch64)
        {
            ArmLpaeWalkConfig cfg = ArmLpaeWalkConfig.FromS2(
                (int)(tcr & 0x3F), (int)((tcr >> VTCR_SL0_Shift) & 3), (int)((tcr >> TCR_TG0_Shift) & 3), (int)((tcr >> VTCR_PS_Shift) & 7), vttbr, walk);
            cfg = cfg with { OutputSize = Math.Min(cfg.OutputSize, _features.OutputAddressBits) };
            b.WalkS2 = GranuleSupported(cfg.GranuleShift) ? cfg : default;
        }
        else
        {
            // AArch32 VTCR: T0SZ is a 4-bit signed value (IPA size 32 − T0SZ), SL0 0/1 = level 2/1.
            int t0sz = (int)(tcr & 0xF);
            if ((t0sz & 8) != 0)
            {
                t0sz -= 16;
            }

            uint sl0 = (tcr >> VTCR_SL0_Shift) & 3;
            b.WalkS2 = !_features.Aarch32LongDescriptor || sl0 > 1 ? default : new ArmLpaeWalkConfig
            {
                Stage = 2,
                GranuleShift = 12,
                InputSize = 32 - t0sz,
                OutputSize = Math.Min(40, _features.OutputAddressBits),
                StartLevel = sl0 == 0 ? 2 : 1,
                TableBase = vttbr,
                WalkAccess = walk,
                Aarch64 = false,
            };
        }
    }

    private void DecodeStage1(SmmuV2ContextBank b)
    {
        uint tcr = b.Tcr;
        bool nested = b.Kind == SmmuV2BankKind.Nested;

        // Stage-1 output: a PA, or with nesting an IPA.
        int outputLimit = nested ? _features.InputAddressBits : _features.OutputAddressBits;
        bool a1 = (tcr & TCR_A1) != 0;
        BusAccess walk0 = WalkAccess(tcr >> TCR_IRGN0_Shift, tcr >> TCR_ORGN0_Shift);
        BusAccess walk1 = WalkAccess(tcr >> TCR_IRGN1_Shift, tcr >> TCR_ORGN1_Shift);
        if (b.Aarch64)
        {
            uint tcr2 = b.Tcr2;
            b.FsrFormat = FSR_FORMAT_AARCH64;
            int ps = (int)(tcr2 & TCR2_PASIZE_Mask);
            int oas = Math.Min(ps > 6 ? 52 : ArmLpaeWalkConfig.AddressSizeFromPs(ps), outputLimit);
            ushort asidMask = (tcr2 & TCR2_AS) != 0 ? (ushort)0xFFFF : (ushort)0xFF;
            b.Asid = (ushort)(((a1 ? b.Ttbr1 : b.Ttbr0) >> 48) & asidMask);
            ArmLpaeWalkConfig c0 = ArmLpaeWalkConfig.FromS1((int)(tcr & 0x3F), (int)((tcr >> TCR_TG0_Shift) & 3), 0, b.Ttbr0 & 0x0000_FFFF_FFFF_FFFEUL, walk0);
            int g1 = ArmLpaeWalkConfig.GranuleShiftFromTg1((int)((tcr >> TCR_TG1_Shift) & 3));
            int in1 = 64 - (int)((tcr >> TCR_T1SZ_Shift) & 0x3F);
            ArmLpaeWalkConfig c1 = new()
            {
                Stage = 1,
                GranuleShift = g1,
                InputSize = in1,
                StartLevel = g1 == 0 ? -1 : ArmLpaeWalkConfig.S1StartLevel(in1, g1),
                TableBase = b.Ttbr1 & 0x0000_FFFF_FFFF_FFFEUL,
                WalkAccess = walk1,
                Aarch64 = true,
            };
            bool wxn = (b.Sctlr & SCTLR_WXN) != 0;
            b.Walk0 = c0 with { OutputSize = oas, Wxn = wxn };
            b.Walk1 = c1 with { OutputSize = oas, Wxn = wxn };
            b.Region0Enabled = (tcr & TCR_EPD0) == 0 && GranuleSupported(c0.GranuleShift) && b.Walk0.IsValid;
            b.Region1Enabled = (tcr & TCR_EPD1) == 0 && GranuleSupported(g1) && b.Walk1.IsValid;
            b.SignBit = SignExtensionBit((tcr2 >> TCR2_SEP_Shift) & 7);
            return;
        }

        // AArch32: long descriptors (TTBCR.EAE = 1) only; 32-bit VA, 40-bit output, 4K granule.
        bool eae = (tcr & TCR_EAE) != 0;
        b.FsrFormat = eae ? FSR_FORMAT_AARCH32_L : FSR_FORMAT_AARCH32_S;
        b.Asid = (ushort)(((a1 ? b.Ttbr1 : b.Ttbr0) >> 48) & 0xFF);
        int t0 = (int)(tcr & 7);
        int t1 = (int)((tcr >> TCR_T1SZ_Shift) & 7);
        int out32 = Math.Min(40, outputLimit);
        b.Walk0 = Aarch32Stage1(32 - t0, b.Ttbr0, walk0, out32);
        b.Walk1 = Aarch32Stage1(32 - t1, b.Ttbr1, walk1, out32);
        bool usable = eae && _features.Aarch32LongDescriptor;
        b.Region0Enabled = usable && (tcr & TCR_EPD0) == 0;
        b.Region1Enabled = usable && (tcr & TCR_EPD1) == 0;

        // ARMv7 LPAE TTBR selection: T0SZ = T1SZ = 0 → TTBR0 everywhere; one of them 0 → that
        // TTBR covers everything the other does not; both non-zero → a gap that faults.
        const ulong top = 1UL << 32;
        b.Region0Limit = t0 > 0 ? 1UL << (32 - t0) : t1 > 0 ? top - (1UL << (32 - t1)) : top;
        b.Region1Base = t1 > 0 ? top - (1UL << (32 - t1)) : t0 > 0 ? 1UL << (32 - t0) : top;
        b.SignBit = -1;
    }

    private static ArmLpaeWalkConfig Aarch32Stage1(int inputSize, ulong ttbr, BusAccess walk, int outputSize) => new()
    {
        Stage = 1,
        GranuleShift = 12,
        InputSize = inputSize,
        OutputSize = outputSize,
        StartLevel = ArmLpaeWalkConfig.S1StartLevel(inputSize, 12),
        TableBase = ttbr & 0x0000_00FF_FFFF_FFFEUL,
        WalkAccess = walk,
        Aarch64 = false,
    };

    /// <summary>
    /// TCR2.SEP: the VA bit that selects TTBR1. 0–6 name bits 31, 35, 39, 41, 43, 47 and 48;
    /// UPSTREAM (7) is the top bit of the upstream bus (bit 48 for a 49-bit bus, 63 for 64-bit).
    /// Narrower upstream buses carry zero-extended addresses only, so TTBR0 translates them all.
    /// </summary>
    private int SignExtensionBit(uint sep) => sep switch
    {
        0 => 31,
        1 => 35,
        2 => 39,
        3 => 41,
        4 => 43,
        5 => 47,
        6 => 48,
        _ => _features.UpstreamBusBits >= 49 ? _features.UpstreamBusBits - 1 : -1,
    };

    /// <summary>Walks snoop when the SMMU is wired coherently and the walk attributes are inner and outer Write-Back (RGN 0b01 WBWA or 0b11 WB).</summary>
    private BusAccess WalkAccess(uint irgn, uint orgn) =>
        _coherentWalk && (irgn & 1) != 0 && (orgn & 1) != 0 ? BusAccess.Snoop : BusAccess.NoSnoop;

    private bool GranuleSupported(int granuleShift) => granuleShift switch
    {
        12 => _features.Granule4K,
        14 => _features.Granule16K,
        16 => _features.Granule64K,
        _ => false,
    };

    /// <summary>A stage-2 style MemAttr[3:0] (S2 MemAttr, CBAR / S2CR / sCR0 / SCTLR MEMATTR) is Normal, outer and inner Write-Back.</summary>
    internal static bool IsWriteBackMemAttr(uint memAttr) => (memAttr & 0xF) == 0xF;

    /// <summary>
    /// A MAIR attribute byte is Normal, inner and outer Write-Back: each nibble 0b11RW (non-transient)
    /// or 0b01RW with RW ≠ 00 (transient).
    /// </summary>
    internal static bool IsWriteBackMair(uint attr) => IsWriteBackNibble(attr >> 4) && IsWriteBackNibble(attr);

    private static bool IsWriteBackNibble(uint n)
    {
        n &= 0xF;
        return n >= 0xC || n is 0x5 or 0x6 or 0x7;
    }
}
