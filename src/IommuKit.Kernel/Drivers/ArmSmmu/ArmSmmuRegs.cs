namespace IommuKit.Kernel.Drivers.ArmSmmu;

/// <summary>
/// Register offsets and fields the driver uses (Arm IHI 0062 as Linux's arm-smmu.h names them),
/// kept apart from the hardware model's own table so that a layout disagreement shows up.
/// </summary>
internal static class ArmSmmuRegs
{
    // GR0
    public const int Gr0Scr0 = 0x0;
    public const int Gr0Id0 = 0x20;
    public const int Gr0Id1 = 0x24;
    public const int Gr0Id2 = 0x28;
    public const int Gr0Id7 = 0x3C;
    public const int Gr0Sacr = 0x10;
    public const int Gr0Sgfsr = 0x48;
    public const int Gr0Sgfsynr0 = 0x50;
    public const int Gr0Sgfsynr1 = 0x54;
    public const int Gr0Sgfsynr2 = 0x58;
    public const int Gr0Tlbivmid = 0x64;
    public const int Gr0Tlbiallnsnh = 0x68;
    public const int Gr0Tlbiallh = 0x6C;
    public const int Gr0Stlbgsync = 0x70;
    public const int Gr0Stlbgstatus = 0x74;
    public const int Gr0Smr = 0x800;
    public const int Gr0S2cr = 0xC00;

    public const uint Scr0Vmid16En = 1u << 31;
    public const uint Scr0Bsu = 3u << 14;
    public const uint Scr0Fb = 1u << 13;
    public const uint Scr0Ptm = 1u << 12;
    public const uint Scr0VmidPne = 1u << 11;
    public const uint Scr0Usfcfg = 1u << 10;
    public const uint Scr0GcfgFie = 1u << 5;
    public const uint Scr0GcfgFre = 1u << 4;
    public const uint Scr0ExidEnable = 1u << 3;
    public const uint Scr0Gfie = 1u << 2;
    public const uint Scr0Gfre = 1u << 1;
    public const uint Scr0ClientPd = 1u << 0;

    public const uint Id0S1ts = 1u << 30;
    public const uint Id0S2ts = 1u << 29;
    public const uint Id0Nts = 1u << 28;
    public const uint Id0Sms = 1u << 27;
    public const uint Id0Atosns = 1u << 26;
    public const uint Id0PtfsNoAarch32 = 1u << 25;
    public const uint Id0PtfsNoAarch32S = 1u << 24;
    public const uint Id0Cttw = 1u << 14;
    public const int Id0NumsidbShift = 9;
    public const uint Id0Exids = 1u << 8;
    public const uint Id0NumsmrgMask = 0xFF;

    public const uint Id1Pagesize = 1u << 31;
    public const int Id1NumpagendxbShift = 28;
    public const int Id1Nums2cbShift = 16;

    public const uint Id2Vmid16 = 1u << 15;
    public const uint Id2Ptfs64K = 1u << 14;
    public const uint Id2Ptfs16K = 1u << 13;
    public const uint Id2Ptfs4K = 1u << 12;
    public const int Id2UbsShift = 8;
    public const int Id2OasShift = 4;

    public const uint SmrValid = 1u << 31;
    public const int SmrMaskShift = 16;
    public const uint SmrIdMask = 0xFFFF;

    public const int S2crPrivcfgShift = 24;
    public const int S2crTypeShift = 16;
    public const uint S2crExidValid = 1u << 10;

    public const uint S2crTypeTrans = 0;
    public const uint S2crTypeBypass = 1;
    public const uint S2crTypeFault = 2;

    // MMU-500 implementation registers (arm-smmu-impl.c)
    public const uint Mmu500AcrCacheLock = 1u << 26;
    public const uint Mmu500AcrS2crbTlbEn = 1u << 10;
    public const uint Mmu500AcrSmtnmbTlbEn = 1u << 8;
    public const uint Mmu500ActlrCpre = 1u << 1;

    // GR1
    public static int Gr1Cbar(int n) => n << 2;

    public static int Gr1Cbfrsynra(int n) => 0x400 + (n << 2);

    public static int Gr1Cba2r(int n) => 0x800 + (n << 2);

    public const int CbarIrptndxShift = 24;
    public const int CbarTypeShift = 16;
    public const int CbarS1MemattrShift = 12;
    public const int CbarS1BpshcfgShift = 8;
    public const uint CbarS1BpshcfgNsh = 3;
    public const uint CbarS1MemattrWb = 0xF;
    public const uint CbarTypeS2Trans = 0;
    public const uint CbarTypeS1TransS2Bypass = 1;

    public const uint Cba2rVa64 = 1u << 0;
    public const int Cba2rVmid16Shift = 16;

    // Context bank
    public const int CbSctlr = 0x0;
    public const int CbActlr = 0x4;
    public const int CbTcr2 = 0x10;
    public const int CbTtbr0 = 0x20;
    public const int CbTtbr1 = 0x28;
    public const int CbTcr = 0x30;
    public const int CbMair0 = 0x38;
    public const int CbMair1 = 0x3C;
    public const int CbPar = 0x50;
    public const int CbFsr = 0x58;
    public const int CbFar = 0x60;
    public const int CbFsynr0 = 0x68;
    public const int CbTlbiva = 0x600;
    public const int CbTlbiasid = 0x610;
    public const int CbTlbival = 0x620;
    public const int CbTlbiipas2 = 0x630;
    public const int CbTlbiipas2l = 0x638;
    public const int CbTlbsync = 0x7F0;
    public const int CbTlbstatus = 0x7F4;
    public const int CbAts1pr = 0x800;
    public const int CbAtsr = 0x8F0;

    public const uint SctlrS1Asidpne = 1u << 12;
    public const uint SctlrCfie = 1u << 6;
    public const uint SctlrCfre = 1u << 5;
    public const uint SctlrAfe = 1u << 2;
    public const uint SctlrTre = 1u << 1;
    public const uint SctlrM = 1u << 0;

    public const uint TcrEae = 1u << 31;
    public const uint TcrEpd1 = 1u << 23;
    public const int TcrTg0Shift = 14;
    public const int TcrSh0Shift = 12;
    public const int TcrOrgn0Shift = 10;
    public const int TcrIrgn0Shift = 8;
    public const uint Tcr2As = 1u << 4;
    public const int Tcr2SepShift = 15;
    public const uint Tcr2SepUpstream = 7;
    public const uint VtcrRes1 = 1u << 31;
    public const int TtbrAsidShift = 48;

    public const uint FsrMulti = 1u << 31;
    public const uint FsrSs = 1u << 30;

    /// <summary>ARM_SMMU_CB_FSR_FAULT: every fault bit (written back to clear).</summary>
    public const uint FsrFault = FsrMulti | FsrSs | 0x1FE;

    public const uint Fsynr0Wnr = 1u << 4;
    public const ulong ParF = 1;
    public const uint AtsrActive = 1;
    public const uint TlbstatusSactive = 1;

    /// <summary>QCOM_DUMMY_VAL: what Linux writes to "any value" registers (-1).</summary>
    public const uint DummyVal = 0xFFFF_FFFF;

    /// <summary>arm_smmu_id_size_to_bits().</summary>
    public static int IdSizeToBits(uint size) => size switch
    {
        0 => 32,
        1 => 36,
        2 => 40,
        3 => 42,
        4 => 44,
        _ => 48,
    };
}
