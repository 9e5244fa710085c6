namespace IommuKit.Hardware.Smmu.V2;

/// <summary>
/// The SMMUv1/v2 register map (Arm IHI 0062, as Linux's <c>arm-smmu.h</c> uses it): offsets within
/// the GR0 page, the GR1 page and a translation context bank page, with the bit fields the model
/// implements. Page 0 of the register space is GR0, page 1 is GR1, and context bank n is page
/// NUMPAGE + n, where NUMPAGE = 2^(IDR1.NUMPAGENDXB + 1) and the page size is 4 KiB or 64 KiB
/// (IDR1.PAGESIZE).
/// </summary>
public static class SmmuV2Registers
{
    // ---- Global register space 0 (page 0) -------------------------------------------------

    public const int SMMU_sCR0 = 0x000;
    public const int SMMU_sCR2 = 0x008;
    public const int SMMU_sACR = 0x010;
    public const int SMMU_IDR0 = 0x020;
    public const int SMMU_IDR1 = 0x024;
    public const int SMMU_IDR2 = 0x028;
    public const int SMMU_IDR3 = 0x02C;
    public const int SMMU_IDR4 = 0x030;
    public const int SMMU_IDR5 = 0x034;
    public const int SMMU_IDR6 = 0x038;
    public const int SMMU_IDR7 = 0x03C;
    public const int SMMU_sGFAR = 0x040;
    public const int SMMU_sGFSR = 0x048;
    public const int SMMU_sGFSRRESTORE = 0x04C;
    public const int SMMU_sGFSYNR0 = 0x050;
    public const int SMMU_sGFSYNR1 = 0x054;
    public const int SMMU_sGFSYNR2 = 0x058;
    public const int SMMU_TLBIVMID = 0x064;
    public const int SMMU_TLBIALLNSNH = 0x068;
    public const int SMMU_TLBIALLH = 0x06C;
    public const int SMMU_sTLBGSYNC = 0x070;
    public const int SMMU_sTLBGSTATUS = 0x074;

    /// <summary>SMMU_SMRn at 0x800 + 4n.</summary>
    public const int SMMU_SMR0 = 0x800;

    /// <summary>SMMU_S2CRn at 0xC00 + 4n.</summary>
    public const int SMMU_S2CR0 = 0xC00;

    public const uint sCR0_CLIENTPD = 1u << 0;
    public const uint sCR0_GFRE = 1u << 1;
    public const uint sCR0_GFIE = 1u << 2;
    public const uint sCR0_EXIDENABLE = 1u << 3;
    public const uint sCR0_GCFGFRE = 1u << 4;
    public const uint sCR0_GCFGFIE = 1u << 5;
    public const uint sCR0_TRANSIENTCFG = 3u << 6;
    public const uint sCR0_STALLD = 1u << 8;
    public const uint sCR0_GSE = 1u << 9;
    public const uint sCR0_USFCFG = 1u << 10;
    public const uint sCR0_VMIDPNE = 1u << 11;
    public const uint sCR0_PTM = 1u << 12;
    public const uint sCR0_FB = 1u << 13;
    public const uint sCR0_BSU = 3u << 14;
    public const int sCR0_MemAttr_Shift = 16;
    public const uint sCR0_MTCFG = 1u << 20;
    public const uint sCR0_SMCFCFG = 1u << 21;
    public const uint sCR0_SHCFG = 3u << 22;
    public const uint sCR0_RACFG = 3u << 24;
    public const uint sCR0_WACFG = 3u << 26;
    public const uint sCR0_NSCFG = 3u << 28;
    public const uint sCR0_VMID16EN = 1u << 31;

    public const uint IDR0_EXIDS = 1u << 8;
    public const int IDR0_NUMSIDB_Shift = 9;
    public const uint IDR0_BTM = 1u << 13;
    public const uint IDR0_CTTW = 1u << 14;
    public const int IDR0_NUMIRPT_Shift = 16;
    public const uint IDR0_PTFS_NO_AARCH32S = 1u << 24;
    public const uint IDR0_PTFS_NO_AARCH32 = 1u << 25;
    public const uint IDR0_ATOSNS = 1u << 26;
    public const uint IDR0_SMS = 1u << 27;
    public const uint IDR0_NTS = 1u << 28;
    public const uint IDR0_S2TS = 1u << 29;
    public const uint IDR0_S1TS = 1u << 30;

    public const int IDR1_NUMS2CB_Shift = 16;
    public const int IDR1_NUMPAGENDXB_Shift = 28;
    public const uint IDR1_PAGESIZE = 1u << 31;

    public const int IDR2_OAS_Shift = 4;
    public const int IDR2_UBS_Shift = 8;
    public const uint IDR2_PTFS_4K = 1u << 12;
    public const uint IDR2_PTFS_16K = 1u << 13;
    public const uint IDR2_PTFS_64K = 1u << 14;
    public const uint IDR2_VMID16 = 1u << 15;

    public const uint sGFSR_ICF = 1u << 0;
    public const uint sGFSR_USF = 1u << 1;
    public const uint sGFSR_SMCF = 1u << 2;
    public const uint sGFSR_UCBF = 1u << 3;
    public const uint sGFSR_UCIF = 1u << 4;
    public const uint sGFSR_CAF = 1u << 5;
    public const uint sGFSR_EF = 1u << 6;
    public const uint sGFSR_PF = 1u << 7;
    public const uint sGFSR_UUT = 1u << 8;
    public const uint sGFSR_MULTI = 1u << 31;

    public const uint sGFSYNR0_NESTED = 1u << 0;
    public const uint sGFSYNR0_WNR = 1u << 1;
    public const uint sGFSYNR0_PNU = 1u << 2;
    public const uint sGFSYNR0_IND = 1u << 3;

    public const uint sTLBGSTATUS_GSACTIVE = 1u << 0;

    public const uint SMR_VALID = 1u << 31;
    public const int SMR_MASK_Shift = 16;

    public const int S2CR_TYPE_Shift = 16;
    public const uint S2CR_EXIDVALID = 1u << 10;
    public const uint S2CR_MTCFG = 1u << 11;
    public const int S2CR_MEMATTR_Shift = 12;
    public const int S2CR_PRIVCFG_Shift = 24;
    public const int S2CR_INSTCFG_Shift = 26;

    /// <summary>S2CR.TYPE: translate through context bank CBNDX.</summary>
    public const uint S2CR_TYPE_TRANS = 0;

    /// <summary>S2CR.TYPE: bypass translation.</summary>
    public const uint S2CR_TYPE_BYPASS = 1;

    /// <summary>S2CR.TYPE: fault every transaction.</summary>
    public const uint S2CR_TYPE_FAULT = 2;

    // ---- Global register space 1 (page 1) -------------------------------------------------

    /// <summary>SMMU_CBARn at 0x000 + 4n.</summary>
    public const int SMMU_CBAR0 = 0x000;

    /// <summary>SMMU_CBFRSYNRAn at 0x400 + 4n.</summary>
    public const int SMMU_CBFRSYNRA0 = 0x400;

    /// <summary>SMMU_CBA2Rn at 0x800 + 4n (SMMUv2 only).</summary>
    public const int SMMU_CBA2R0 = 0x800;

    public const int CBAR_TYPE_Shift = 16;
    public const int CBAR_BPSHCFG_Shift = 8;
    public const int CBAR_MEMATTR_Shift = 12;
    public const int CBAR_CBNDX_Shift = 8;
    public const int CBAR_IRPTNDX_Shift = 24;

    /// <summary>CBAR.TYPE: stage 2 only (stage 1 bypass).</summary>
    public const uint CBAR_TYPE_S2_TRANS = 0;

    /// <summary>CBAR.TYPE: stage 1 translation, stage 2 bypass.</summary>
    public const uint CBAR_TYPE_S1_TRANS_S2_BYPASS = 1;

    /// <summary>CBAR.TYPE: stage 1 translation, stage 2 fault.</summary>
    public const uint CBAR_TYPE_S1_TRANS_S2_FAULT = 2;

    /// <summary>CBAR.TYPE: stage 1 then stage 2 through context bank CBAR.CBNDX (nested).</summary>
    public const uint CBAR_TYPE_S1_TRANS_S2_TRANS = 3;

    public const uint CBA2R_VA64 = 1u << 0;
    public const int CBA2R_VMID16_Shift = 16;

    // ---- Translation context bank (page NUMPAGE + n) --------------------------------------

    public const int SMMU_CBn_SCTLR = 0x000;
    public const int SMMU_CBn_ACTLR = 0x004;
    public const int SMMU_CBn_RESUME = 0x008;
    public const int SMMU_CBn_TCR2 = 0x010;
    public const int SMMU_CBn_TTBR0 = 0x020;
    public const int SMMU_CBn_TTBR1 = 0x028;
    public const int SMMU_CBn_TCR = 0x030;
    public const int SMMU_CBn_CONTEXTIDR = 0x034;
    public const int SMMU_CBn_MAIR0 = 0x038;
    public const int SMMU_CBn_MAIR1 = 0x03C;
    public const int SMMU_CBn_PAR = 0x050;
    public const int SMMU_CBn_FSR = 0x058;
    public const int SMMU_CBn_FSRRESTORE = 0x05C;
    public const int SMMU_CBn_FAR = 0x060;
    public const int SMMU_CBn_FSYNR0 = 0x068;
    public const int SMMU_CBn_FSYNR1 = 0x06C;
    public const int SMMU_CBn_IPAFAR = 0x070;
    public const int SMMU_CBn_TLBIVA = 0x600;
    public const int SMMU_CBn_TLBIVAA = 0x608;
    public const int SMMU_CBn_TLBIASID = 0x610;
    public const int SMMU_CBn_TLBIALL = 0x618;
    public const int SMMU_CBn_TLBIVAL = 0x620;
    public const int SMMU_CBn_TLBIVAAL = 0x628;
    public const int SMMU_CBn_TLBIIPAS2 = 0x630;
    public const int SMMU_CBn_TLBIIPAS2L = 0x638;
    public const int SMMU_CBn_TLBSYNC = 0x7F0;
    public const int SMMU_CBn_TLBSTATUS = 0x7F4;
    public const int SMMU_CBn_ATS1PR = 0x800;
    public const int SMMU_CBn_ATSR = 0x8F0;

    public const uint SCTLR_M = 1u << 0;
    public const uint SCTLR_TRE = 1u << 1;
    public const uint SCTLR_AFE = 1u << 2;
    public const uint SCTLR_AFFD = 1u << 3;
    public const uint SCTLR_E = 1u << 4;
    public const uint SCTLR_CFRE = 1u << 5;
    public const uint SCTLR_CFIE = 1u << 6;
    public const uint SCTLR_CFCFG = 1u << 7;
    public const uint SCTLR_HUPCF = 1u << 8;
    public const uint SCTLR_WXN = 1u << 9;
    public const uint SCTLR_UWXN = 1u << 10;
    public const uint SCTLR_ASIDPNE = 1u << 12;
    public const int SCTLR_MemAttr_Shift = 16;
    public const uint SCTLR_MTCFG = 1u << 20;

    public const int TCR2_PASIZE_Mask = 0xF;
    public const uint TCR2_AS = 1u << 4;
    public const int TCR2_SEP_Shift = 15;

    /// <summary>TCR2.SEP: the sign-extension bit is the top bit of the upstream bus.</summary>
    public const uint TCR2_SEP_UPSTREAM = 7;

    public const uint TCR_EPD0 = 1u << 7;
    public const int TCR_IRGN0_Shift = 8;
    public const int TCR_ORGN0_Shift = 10;
    public const int TCR_SH0_Shift = 12;
    public const int TCR_TG0_Shift = 14;
    public const int TCR_T1SZ_Shift = 16;
    public const uint TCR_A1 = 1u << 22;
    public const uint TCR_EPD1 = 1u << 23;
    public const int TCR_IRGN1_Shift = 24;
    public const int TCR_ORGN1_Shift = 26;
    public const int TCR_SH1_Shift = 28;
    public const int TCR_TG1_Shift = 30;

    /// <summary>AArch32 TTBCR.EAE: long-descriptor format (AArch32 contexts only; TG1[1] for AArch64 contexts).</summary>
    public const uint TCR_EAE = 1u << 31;

    public const int VTCR_SL0_Shift = 6;
    public const int VTCR_PS_Shift = 16;

    public const uint FSR_TF = 1u << 1;
    public const uint FSR_AFF = 1u << 2;
    public const uint FSR_PF = 1u << 3;
    public const uint FSR_EF = 1u << 4;
    public const uint FSR_TLBMCF = 1u << 5;
    public const uint FSR_TLBLKF = 1u << 6;
    public const uint FSR_ASF = 1u << 7;
    public const uint FSR_UUT = 1u << 8;
    public const int FSR_FORMAT_Shift = 9;
    public const uint FSR_SS = 1u << 30;
    public const uint FSR_MULTI = 1u << 31;

    /// <summary>Every FSR bit that reports a fault (what Linux writes back to clear them).</summary>
    public const uint FSR_FAULT = FSR_MULTI | FSR_SS | FSR_UUT | FSR_ASF | FSR_TLBLKF | FSR_TLBMCF | FSR_EF | FSR_PF | FSR_AFF | FSR_TF;

    /// <summary>FSR.FORMAT: AArch32 short descriptor.</summary>
    public const uint FSR_FORMAT_AARCH32_S = 0;

    /// <summary>FSR.FORMAT: AArch32 long descriptor (LPAE).</summary>
    public const uint FSR_FORMAT_AARCH32_L = 1;

    /// <summary>FSR.FORMAT: AArch64.</summary>
    public const uint FSR_FORMAT_AARCH64 = 2;

    public const uint FSYNR0_PLVL_Mask = 3;
    public const uint FSYNR0_WNR = 1u << 4;
    public const uint FSYNR0_PNU = 1u << 5;
    public const uint FSYNR0_IND = 1u << 6;
    public const uint FSYNR0_NSSTATE = 1u << 7;
    public const uint FSYNR0_NSATTR = 1u << 8;
    public const uint FSYNR0_ATOF = 1u << 9;
    public const uint FSYNR0_PTWF = 1u << 10;
    public const uint FSYNR0_AFR = 1u << 11;
    public const int FSYNR0_S1CBNDX_Shift = 16;

    public const ulong PAR_F = 1UL << 0;
    public const int PAR_SH_Shift = 7;
    public const ulong PAR_NS = 1UL << 9;
    public const int PAR_ATTR_Shift = 56;
    public const int PAR_PLVL_Shift = 32;
    public const ulong PAR_STAGE = 1UL << 35;

    public const uint ATSR_ACTIVE = 1u << 0;
    public const uint TLBSTATUS_SACTIVE = 1u << 0;
}
