namespace IommuKit.Hardware.Smmu.V3;

/// <summary>
/// SMMUv3 register offsets and field positions (SMMUv3 §6.3). Page 0 holds the global and
/// queue-base registers; page 1 (at +0x10000) the Event (and PRI) queue PROD/CONS indexes.
/// </summary>
#pragma warning disable CA1707 // spec names
internal static class SmmuV3Registers
{
    public const ulong SMMU_IDR0 = 0x0000;
    public const ulong SMMU_IDR1 = 0x0004;
    public const ulong SMMU_IDR2 = 0x0008;
    public const ulong SMMU_IDR3 = 0x000C;
    public const ulong SMMU_IDR4 = 0x0010;
    public const ulong SMMU_IDR5 = 0x0014;
    public const ulong SMMU_IIDR = 0x0018;
    public const ulong SMMU_AIDR = 0x001C;
    public const ulong SMMU_CR0 = 0x0020;
    public const ulong SMMU_CR0ACK = 0x0024;
    public const ulong SMMU_CR1 = 0x0028;
    public const ulong SMMU_CR2 = 0x002C;
    public const ulong SMMU_STATUSR = 0x0040;
    public const ulong SMMU_GBPA = 0x0044;
    public const ulong SMMU_AGBPA = 0x0048;
    public const ulong SMMU_IRQ_CTRL = 0x0050;
    public const ulong SMMU_IRQ_CTRLACK = 0x0054;
    public const ulong SMMU_GERROR = 0x0060;
    public const ulong SMMU_GERRORN = 0x0064;
    public const ulong SMMU_GERROR_IRQ_CFG0 = 0x0068;
    public const ulong SMMU_STRTAB_BASE = 0x0080;
    public const ulong SMMU_STRTAB_BASE_CFG = 0x0088;
    public const ulong SMMU_CMDQ_BASE = 0x0090;
    public const ulong SMMU_CMDQ_PROD = 0x0098;
    public const ulong SMMU_CMDQ_CONS = 0x009C;
    public const ulong SMMU_EVENTQ_BASE = 0x00A0;
    public const ulong SMMU_EVENTQ_IRQ_CFG0 = 0x00B0;
    public const ulong SMMU_EVENTQ_PROD = 0x100A8;
    public const ulong SMMU_EVENTQ_CONS = 0x100AC;

    /// <summary>Two 64 KiB register pages.</summary>
    public const ulong Size = 0x20000;

    // SMMU_IDR0
    public const int IDR0_S2P = 0;
    public const int IDR0_S1P = 1;
    public const int IDR0_TTF = 2;
    public const int IDR0_COHACC = 4;
    public const int IDR0_HTTU = 6;
    public const int IDR0_HYP = 9;
    public const int IDR0_ASID16 = 12;
    public const int IDR0_VMID16 = 18;
    public const int IDR0_CD2L = 19;
    public const int IDR0_TTENDIAN = 21;
    public const int IDR0_STALL_MODEL = 24;
    public const int IDR0_TERM_MODEL = 26;
    public const int IDR0_ST_LEVEL = 27;

    // SMMU_IDR1
    public const int IDR1_SIDSIZE = 0;
    public const int IDR1_SSIDSIZE = 6;
    public const int IDR1_EVENTQS = 16;
    public const int IDR1_CMDQS = 21;

    // SMMU_IDR3
    public const int IDR3_RIL = 10;

    // SMMU_IDR5
    public const int IDR5_OAS = 0;
    public const int IDR5_GRAN4K = 4;
    public const int IDR5_GRAN16K = 5;
    public const int IDR5_GRAN64K = 6;

    // SMMU_CR0 / CR0ACK
    public const uint CR0_SMMUEN = 1u << 0;
    public const uint CR0_EVENTQEN = 1u << 2;
    public const uint CR0_CMDQEN = 1u << 3;

    // SMMU_CR1: cache (0 NC, 1 WB, 2 WT) and shareability (0 NSH, 2 OSH, 3 ISH) of SMMU accesses.
    public const int CR1_QUEUE_IC = 0;
    public const int CR1_QUEUE_OC = 2;
    public const int CR1_QUEUE_SH = 4;
    public const int CR1_TABLE_IC = 6;
    public const int CR1_TABLE_OC = 8;
    public const int CR1_TABLE_SH = 10;
    public const uint CR1_Mask = 0xFFF;

    // SMMU_CR2
    public const uint CR2_E2H = 1u << 0;
    public const uint CR2_RECINVSID = 1u << 1;

    // SMMU_GBPA
    public const uint GBPA_UPDATE = 1u << 31;
    public const uint GBPA_ABORT = 1u << 20;

    /// <summary>INSTCFG, PRIVCFG, SHCFG, ALLOCCFG, MTCFG, MemAttr and ABORT: stored for read-back.</summary>
    public const uint GBPA_Mask = 0x001F_3F1F;

    // SMMU_IRQ_CTRL
    public const uint IRQ_CTRL_GERROR_IRQEN = 1u << 0;
    public const uint IRQ_CTRL_EVENTQ_IRQEN = 1u << 2;

    // SMMU_GERROR / GERRORN
    public const uint GERROR_CMDQ_ERR = 1u << 0;
    public const uint GERROR_EVENTQ_ABT_ERR = 1u << 2;
    public const uint GERROR_SFM_ERR = 1u << 8;
    public const uint GERROR_Mask = GERROR_CMDQ_ERR | GERROR_EVENTQ_ABT_ERR | GERROR_SFM_ERR;

    // SMMU_STRTAB_BASE / _CFG
    public const ulong STRTAB_BASE_RA = 1UL << 62;
    public const int STRTAB_BASE_CFG_SPLIT = 6;
    public const int STRTAB_BASE_CFG_FMT = 16;
    public const uint STRTAB_BASE_CFG_Mask = 0x3_07FF;

    // SMMU_{CMDQ,EVENTQ}_BASE
    public const ulong Q_BASE_RWA = 1UL << 62;
    public const ulong Q_BASE_LOG2SIZE = 0x1F;

    // SMMU_CMDQ_CONS / SMMU_EVENTQ_PROD / SMMU_EVENTQ_CONS
    public const int CMDQ_CONS_ERR = 24;
    public const uint Q_OVFLG = 1u << 31;

    /// <summary>The field ADDR[55:lowBit] of a base register, limited to the OAS.</summary>
    public static ulong AddressMask(int lowBit, int oas) => ((1UL << oas) - 1) & ~((1UL << lowBit) - 1);
}
#pragma warning restore CA1707
