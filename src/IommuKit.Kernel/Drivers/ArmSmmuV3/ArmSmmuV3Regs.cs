namespace IommuKit.Kernel.Drivers.ArmSmmuV3;

/// <summary>
/// The register offsets, field positions and in-memory structure encodings the driver uses, as
/// arm-smmu-v3.h names them (Arm IHI 0070 §6.3 registers, §5.2 STE, §5.4 CD, §4 commands, §7.3 events).
/// </summary>
#pragma warning disable CA1707 // spec names
internal static class ArmSmmuV3Regs
{
    // Page 0
    public const ulong IDR0 = 0x0;
    public const ulong IDR1 = 0x4;
    public const ulong IDR3 = 0xC;
    public const ulong IDR5 = 0x14;
    public const ulong CR0 = 0x20;
    public const ulong CR0ACK = 0x24;
    public const ulong CR1 = 0x28;
    public const ulong CR2 = 0x2C;
    public const ulong GBPA = 0x44;
    public const ulong IRQ_CTRL = 0x50;
    public const ulong IRQ_CTRLACK = 0x54;
    public const ulong GERROR = 0x60;
    public const ulong GERRORN = 0x64;
    public const ulong STRTAB_BASE = 0x80;
    public const ulong STRTAB_BASE_CFG = 0x88;
    public const ulong CMDQ_BASE = 0x90;
    public const ulong CMDQ_PROD = 0x98;
    public const ulong CMDQ_CONS = 0x9C;
    public const ulong EVTQ_BASE = 0xA0;

    // Page 1 (+64 KiB)
    public const ulong EVTQ_PROD = 0x100A8;
    public const ulong EVTQ_CONS = 0x100AC;

    // IDR0
    public const int IDR0_S2P = 0;
    public const int IDR0_S1P = 1;
    public const int IDR0_TTF_SHIFT = 2;
    public const int IDR0_COHACC = 4;
    public const int IDR0_BTM = 5;
    public const int IDR0_HTTU_SHIFT = 6;
    public const int IDR0_HYP = 9;
    public const int IDR0_ATS = 10;
    public const int IDR0_ASID16 = 12;
    public const int IDR0_MSI = 13;
    public const int IDR0_SEV = 14;
    public const int IDR0_PRI = 16;
    public const int IDR0_VMID16 = 18;
    public const int IDR0_CD2L = 19;
    public const int IDR0_TTENDIAN_SHIFT = 21;
    public const int IDR0_STALL_MODEL_SHIFT = 24;
    public const int IDR0_ST_LVL_SHIFT = 27;

    // IDR1
    public const int IDR1_SIDSIZE_SHIFT = 0;
    public const int IDR1_SSIDSIZE_SHIFT = 6;
    public const int IDR1_EVTQS_SHIFT = 16;
    public const int IDR1_CMDQS_SHIFT = 21;
    public const int IDR1_ATTR_TYPES_OVR = 27;
    public const int IDR1_REL = 28;
    public const int IDR1_QUEUES_PRESET = 29;
    public const int IDR1_TABLES_PRESET = 30;

    // IDR3
    public const int IDR3_FWB = 8;
    public const int IDR3_RIL = 10;

    // IDR5
    public const int IDR5_GRAN4K = 4;
    public const int IDR5_GRAN16K = 5;
    public const int IDR5_GRAN64K = 6;
    public const int IDR5_VAX_SHIFT = 10;

    // CR0
    public const uint CR0_SMMUEN = 1u << 0;
    public const uint CR0_EVTQEN = 1u << 2;
    public const uint CR0_CMDQEN = 1u << 3;

    // CR1 encodings
    public const uint CR1_CACHE_NC = 0;
    public const uint CR1_CACHE_WB = 1;
    public const uint SH_ISH = 3;

    // CR2
    public const uint CR2_PTM = 1u << 2;
    public const uint CR2_RECINVSID = 1u << 1;
    public const uint CR2_E2H = 1u << 0;

    // GBPA
    public const uint GBPA_UPDATE = 1u << 31;
    public const uint GBPA_ABORT = 1u << 20;

    // IRQ_CTRL
    public const uint IRQ_CTRL_GERROR_IRQEN = 1u << 0;
    public const uint IRQ_CTRL_EVTQ_IRQEN = 1u << 2;

    // GERROR
    public const uint GERROR_CMDQ_ERR = 1u << 0;
    public const uint GERROR_EVTQ_ABT_ERR = 1u << 2;
    public const uint GERROR_PRIQ_ABT_ERR = 1u << 3;
    public const uint GERROR_MSI_CMDQ_ABT_ERR = 1u << 4;
    public const uint GERROR_MSI_EVTQ_ABT_ERR = 1u << 5;
    public const uint GERROR_MSI_PRIQ_ABT_ERR = 1u << 6;
    public const uint GERROR_MSI_GERROR_ABT_ERR = 1u << 7;
    public const uint GERROR_SFM_ERR = 1u << 8;
    public const uint GERROR_ERR_MASK = 0x1FD;

    // STRTAB_BASE(_CFG)
    public const ulong STRTAB_BASE_RA = 1UL << 62;
    public const ulong STRTAB_BASE_ADDR_MASK = 0x000F_FFFF_FFFF_FFC0;
    public const int STRTAB_BASE_CFG_SPLIT_SHIFT = 6;
    public const int STRTAB_BASE_CFG_FMT_SHIFT = 16;
    public const uint STRTAB_BASE_CFG_FMT_LINEAR = 0;
    public const uint STRTAB_BASE_CFG_FMT_2LVL = 1;

    /// <summary>STRTAB_SPLIT: 256 STEs per level-2 table (one PCI bus).</summary>
    public const int STRTAB_SPLIT = 8;

    /// <summary>STRTAB_MAX_L1_ENTRIES.</summary>
    public const int STRTAB_MAX_L1_ENTRIES = 1 << 17;
    public const int STRTAB_STE_DWORDS = 8;
    public const int STRTAB_STE_SIZE = 64;
    public const ulong STRTAB_L1_DESC_L2PTR_MASK = 0x000F_FFFF_FFFF_FFC0;

    // Queue bases
    public const ulong Q_BASE_RWA = 1UL << 62;
    public const ulong Q_BASE_ADDR_MASK = 0x000F_FFFF_FFFF_FFE0;
    public const uint Q_OVERFLOW_FLAG = 1u << 31;
    public const int CMDQ_CONS_ERR_SHIFT = 24;
    public const uint CMDQ_CONS_ERR_MASK = 0x7F;
    public const uint CMDQ_ERR_CERROR_NONE_IDX = 0;
    public const uint CMDQ_ERR_CERROR_ILL_IDX = 1;
    public const uint CMDQ_ERR_CERROR_ABT_IDX = 2;
    public const uint CMDQ_ERR_CERROR_ATC_INV_IDX = 3;
    public const int CMDQ_ENT_DWORDS = 2;
    public const int EVTQ_ENT_DWORDS = 4;

    /// <summary>Q_MAX_SZ_SHIFT with 4K pages and MAX_PAGE_ORDER 10: a queue is at most 4 MiB.</summary>
    public const int Q_MAX_SZ_SHIFT = 12 + 10;
    public const int CMDQ_MAX_SZ_SHIFT = Q_MAX_SZ_SHIFT - 4;
    public const int EVTQ_MAX_SZ_SHIFT = Q_MAX_SZ_SHIFT - 5;

    /// <summary>CMDQ_BATCH_ENTRIES (BITS_PER_LONG).</summary>
    public const int CMDQ_BATCH_ENTRIES = 64;

    // STE dword 0
    public const ulong STRTAB_STE_0_V = 1UL << 0;
    public const int STRTAB_STE_0_CFG_SHIFT = 1;
    public const ulong STRTAB_STE_0_CFG_ABORT = 0;
    public const ulong STRTAB_STE_0_CFG_BYPASS = 4;
    public const ulong STRTAB_STE_0_CFG_S1_TRANS = 5;
    public const ulong STRTAB_STE_0_CFG_S2_TRANS = 6;
    public const int STRTAB_STE_0_S1FMT_SHIFT = 4;
    public const ulong STRTAB_STE_0_S1CTXPTR_MASK = 0x000F_FFFF_FFFF_FFC0;
    public const int STRTAB_STE_0_S1CDMAX_SHIFT = 59;

    // STE dword 1
    public const int STRTAB_STE_1_S1DSS_SHIFT = 0;
    public const ulong STRTAB_STE_1_S1DSS_SSID0 = 2;
    public const int STRTAB_STE_1_S1CIR_SHIFT = 2;
    public const int STRTAB_STE_1_S1COR_SHIFT = 4;
    public const int STRTAB_STE_1_S1CSH_SHIFT = 6;
    public const ulong STRTAB_STE_1_S1C_CACHE_WBRA = 1;
    public const ulong STRTAB_STE_1_S1STALLD = 1UL << 27;
    public const int STRTAB_STE_1_STRW_SHIFT = 30;
    public const ulong STRTAB_STE_1_STRW_EL2 = 2;
    public const int STRTAB_STE_1_SHCFG_SHIFT = 44;
    public const ulong STRTAB_STE_1_SHCFG_INCOMING = 1;

    // STE dword 2
    public const int STRTAB_STE_2_VTCR_SHIFT = 32;
    public const ulong STRTAB_STE_2_S2AA64 = 1UL << 51;
    public const ulong STRTAB_STE_2_S2PTW = 1UL << 54;
    public const ulong STRTAB_STE_2_S2R = 1UL << 58;

    // STE dword 3
    public const ulong STRTAB_STE_3_S2TTB_MASK = 0x000F_FFFF_FFFF_FFF0;

    // CD dword 0
    public const int CTXDESC_CD_DWORDS = 8;
    public const int CTXDESC_CD_SIZE = 64;
    public const int CTXDESC_CD_0_TCR_T0SZ_SHIFT = 0;
    public const int CTXDESC_CD_0_TCR_TG0_SHIFT = 6;
    public const int CTXDESC_CD_0_TCR_IRGN0_SHIFT = 8;
    public const int CTXDESC_CD_0_TCR_ORGN0_SHIFT = 10;
    public const int CTXDESC_CD_0_TCR_SH0_SHIFT = 12;
    public const ulong CTXDESC_CD_0_TCR_EPD1 = 1UL << 30;
    public const ulong CTXDESC_CD_0_V = 1UL << 31;
    public const int CTXDESC_CD_0_TCR_IPS_SHIFT = 32;
    public const ulong CTXDESC_CD_0_AA64 = 1UL << 41;
    public const ulong CTXDESC_CD_0_TCR_HD = 1UL << 42;
    public const ulong CTXDESC_CD_0_TCR_HA = 1UL << 43;
    public const ulong CTXDESC_CD_0_R = 1UL << 45;
    public const ulong CTXDESC_CD_0_A = 1UL << 46;
    public const ulong CTXDESC_CD_0_ASET = 1UL << 47;
    public const int CTXDESC_CD_0_ASID_SHIFT = 48;
    public const ulong CTXDESC_CD_1_TTB0_MASK = 0x000F_FFFF_FFFF_FFF0;

    // Commands
    public const byte CMDQ_OP_CFGI_STE = 0x03;
    public const byte CMDQ_OP_CFGI_ALL = 0x04;
    public const byte CMDQ_OP_CFGI_CD = 0x05;
    public const byte CMDQ_OP_TLBI_NH_ASID = 0x11;
    public const byte CMDQ_OP_TLBI_NH_VA = 0x12;
    public const byte CMDQ_OP_TLBI_EL2_ALL = 0x20;
    public const byte CMDQ_OP_TLBI_S12_VMALL = 0x28;
    public const byte CMDQ_OP_TLBI_S2_IPA = 0x2A;
    public const byte CMDQ_OP_TLBI_NSNH_ALL = 0x30;
    public const byte CMDQ_OP_CMD_SYNC = 0x46;
    public const ulong CMDQ_CFGI_1_LEAF = 1;
    public const ulong CMDQ_CFGI_1_RANGE_ALL = 31;
    public const int CMDQ_TLBI_0_NUM_SHIFT = 12;
    public const int CMDQ_TLBI_0_SCALE_SHIFT = 20;
    public const int CMDQ_TLBI_0_VMID_SHIFT = 32;
    public const int CMDQ_TLBI_0_ASID_SHIFT = 48;
    public const ulong CMDQ_TLBI_1_LEAF = 1;
    public const int CMDQ_TLBI_1_TTL_SHIFT = 8;
    public const int CMDQ_TLBI_1_TG_SHIFT = 10;
    public const ulong CMDQ_TLBI_1_VA_MASK = 0xFFFF_FFFF_FFFF_F000;
    public const ulong CMDQ_TLBI_1_IPA_MASK = 0x000F_FFFF_FFFF_F000;
    public const int CMDQ_TLBI_RANGE_NUM_MAX = 31;
    public const int CMDQ_SYNC_0_CS_SHIFT = 12;
    public const ulong CMDQ_SYNC_0_CS_SEV = 2;

    // Events
    public const byte EVT_ID_TRANSLATION_FAULT = 0x10;
    public const byte EVT_ID_ADDR_SIZE_FAULT = 0x11;
    public const byte EVT_ID_ACCESS_FAULT = 0x12;
    public const byte EVT_ID_PERMISSION_FAULT = 0x13;
}
#pragma warning restore CA1707
