using IommuKit.Hardware.PageTables.ArmLpae;

namespace IommuKit.Hardware.Smmu.V2;

/// <summary>
/// One translation context bank: its registers (the CB page plus its GR1 CBAR / CBA2R /
/// CBFRSYNRA) and the translation regime decoded from them. The decoded half is refreshed
/// lazily: any register write marks the bank <see cref="Dirty"/>.
/// </summary>
internal sealed class SmmuV2ContextBank
{
    public SmmuV2ContextBank(int index) => Index = index;

    public int Index { get; }

    // ---- Registers ----
    public uint Sctlr;
    public uint Actlr;
    public uint Tcr2;
    public uint Tcr;
    public uint Contextidr;
    public uint Mair0;
    public uint Mair1;
    public uint Fsr;
    public uint Fsynr0;
    public uint Fsynr1;
    public ulong Ttbr0;
    public ulong Ttbr1;
    public ulong Par;
    public ulong Far;
    public ulong Ipafar;
    public uint Cbar;
    public uint Cba2r;
    public uint Cbfrsynra;

    // ---- Decoded regime (valid when !Dirty) ----
    public bool Dirty = true;
    public SmmuV2BankKind Kind;

    /// <summary>SCTLR.M.</summary>
    public bool Enabled;

    /// <summary>CBA2R.VA64 (AArch64 format) on SMMUv2.</summary>
    public bool Aarch64;

    /// <summary>The VMID tagging this bank's TLB entries (CBA2R.VMID16 with sCR0.VMID16EN, else CBAR.VMID).</summary>
    public ushort Vmid;

    /// <summary>The ASID of stage-1 translations (from TTBR0, or TTBR1 with TCR.A1).</summary>
    public ushort Asid;

    /// <summary>Nested: the stage-2 context bank (CBAR.CBNDX).</summary>
    public int S2Bank;

    /// <summary>FSR.FORMAT recorded with a fault.</summary>
    public uint FsrFormat;

    /// <summary>SCTLR.CFRE: terminate faulting transactions with an abort (else RAZ/WI).</summary>
    public bool ReportFaults;

    /// <summary>SCTLR.CFIE: assert the context interrupt while a fault is recorded.</summary>
    public bool FaultInterrupt;

    /// <summary>Memory type is Write-Back when the bank is disabled (SCTLR.MTCFG / MemAttr, else the incoming attributes).</summary>
    public bool DisabledCacheable;

    /// <summary>Stage-1 banks with stage 2 bypassed: CBAR.MEMATTR is Write-Back (combined with the stage-1 type).</summary>
    public bool S2BypassCacheable;

    /// <summary>MAIR1:MAIR0.</summary>
    public ulong Mair;

    /// <summary>The TLB context key of this bank (without the privilege bit).</summary>
    public ulong TlbContext;

    // Stage 1: TTBR0 / TTBR1 regions.
    public ArmLpaeWalkConfig Walk0;
    public ArmLpaeWalkConfig Walk1;
    public bool Region0Enabled;
    public bool Region1Enabled;

    /// <summary>AArch64: the VA bit whose value selects TTBR1 (−1: TTBR0 only). AArch32: unused.</summary>
    public int SignBit;

    /// <summary>AArch32: addresses below this use TTBR0.</summary>
    public ulong Region0Limit;

    /// <summary>AArch32: addresses at or above this use TTBR1.</summary>
    public ulong Region1Base;

    // Stage 2.
    public ArmLpaeWalkConfig WalkS2;
}
