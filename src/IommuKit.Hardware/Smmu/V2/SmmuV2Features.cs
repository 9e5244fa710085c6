using System.Numerics;
using static IommuKit.Hardware.Smmu.V2.SmmuV2Registers;

namespace IommuKit.Hardware.Smmu.V2;

/// <summary>
/// What an SMMUv1/v2 implementation was built with (the integration-time configuration of an
/// MMU-400/401/500-class part). The record drives the read-only identification registers
/// SMMU_IDR0–IDR2 and IDR7 exactly (<see cref="Idr0"/>, <see cref="Idr1"/>, <see cref="Idr2"/>),
/// the register-space layout and what the model accepts.
/// </summary>
/// <remarks>
/// Not configurable (always 0 in the ID registers): IDR0.BTM (broadcast TLB maintenance),
/// IDR0.SES (security extensions), IDR1.SMCD, IDR1.SSDTP / NUMSSDNDXB, IDR0.PTFS "AArch32
/// short descriptor" (the short-descriptor format is not modelled, so PTFS is 0b01 or 0b10).
/// </remarks>
public sealed record SmmuV2Features
{
    /// <summary>
    /// An MMU-500-like configuration: SMMUv2, stream matching with 48 groups and 15-bit stream IDs,
    /// 16 context banks all stage-2 capable, stage 1, stage 2 and nested, AArch64 4K and 64K
    /// granules and AArch32 LPAE, 48-bit IAS/OAS, 49-bit upstream bus, 16-bit VMIDs, 4 KiB
    /// register pages. The numbers are a plausible build of the IP, not a particular SoC.
    /// </summary>
    public static SmmuV2Features Mmu500 { get; } = new();

    /// <summary>1 (SMMUv1: AArch32 formats only, no CBA2R/TCR2, CBAR.IRPTNDX selects the context interrupt) or 2.</summary>
    public int ArchitectureVersion { get; init; } = 2;

    /// <summary>IDR0.SMS: stream matching (SMR + S2CR groups); false = stream indexing (S2CR[streamId]).</summary>
    public bool StreamMatching { get; init; } = true;

    /// <summary>IDR0.NUMSIDB: stream ID bits (0–15). With <see cref="ExtendedStreamIds"/> and sCR0.EXIDENABLE, IDs are 16 bits.</summary>
    public int StreamIdBits { get; init; } = 15;

    /// <summary>IDR0.EXIDS: 16-bit extended stream IDs (SMMUv2 with stream matching only).</summary>
    public bool ExtendedStreamIds { get; init; }

    /// <summary>IDR0.NUMSMRG: stream mapping register groups (1–128) when <see cref="StreamMatching"/>.</summary>
    public int StreamMatchRegisterGroups { get; init; } = 48;

    /// <summary>
    /// Number of implemented SMR.MASK bits, counted from bit 0 (an implementation may implement fewer
    /// mask bits than ID bits; Linux discovers them by writing all-ones). Null: as many as ID bits.
    /// </summary>
    public int? SmrMaskBits { get; init; }

    /// <summary>IDR1.NUMCB: translation context banks (1–128).</summary>
    public int ContextBanks { get; init; } = 16;

    /// <summary>IDR1.NUMS2CB: how many of the context banks, from bank 0, support stage-2 (and nested stage-2) types.</summary>
    public int Stage2ContextBanks { get; init; } = 16;

    /// <summary>IDR0.S1TS: stage-1 translation.</summary>
    public bool Stage1 { get; init; } = true;

    /// <summary>IDR0.S2TS: stage-2 translation.</summary>
    public bool Stage2 { get; init; } = true;

    /// <summary>IDR0.NTS: nested (stage 1 then stage 2) translation.</summary>
    public bool Nested { get; init; } = true;

    /// <summary>
    /// IDR0.CTTW as strapped by the integration. Advertisement only: whether the table walker
    /// actually snoops is the constructor's <c>coherentWalk</c> (what firmware's <c>dma-coherent</c>
    /// describes, and what Linux trusts over this bit).
    /// </summary>
    public bool CoherentTableWalk { get; init; } = true;

    /// <summary>IDR0.ATOSNS clear: the address translation operations (SMMU_CBn_ATS1PR / PAR / ATSR) are implemented.</summary>
    public bool AddressTranslationOperations { get; init; } = true;

    /// <summary>IDR0.PTFS: the AArch32 long-descriptor (LPAE) format is supported (PTFS = 0b01); otherwise AArch64 only (0b10).</summary>
    public bool Aarch32LongDescriptor { get; init; } = true;

    /// <summary>IDR2.PTFS_4K: AArch64 4 KiB granule (SMMUv2).</summary>
    public bool Granule4K { get; init; } = true;

    /// <summary>IDR2.PTFS_16K: AArch64 16 KiB granule (SMMUv2).</summary>
    public bool Granule16K { get; init; }

    /// <summary>IDR2.PTFS_64K: AArch64 64 KiB granule (SMMUv2).</summary>
    public bool Granule64K { get; init; } = true;

    /// <summary>IDR2.IAS: intermediate (stage-1 output / stage-2 input) address size: 32, 36, 40, 42, 44 or 48.</summary>
    public int InputAddressBits { get; init; } = 48;

    /// <summary>IDR2.OAS: physical output address size: 32, 36, 40, 42, 44 or 48.</summary>
    public int OutputAddressBits { get; init; } = 48;

    /// <summary>IDR2.UBS: upstream (client) bus address size: 32, 36, 40, 42, 44, 49 or 64.</summary>
    public int UpstreamBusBits { get; init; } = 49;

    /// <summary>IDR2.VMID16: 16-bit VMIDs (CBA2R.VMID16 with sCR0.VMID16EN; SMMUv2).</summary>
    public bool Vmid16 { get; init; } = true;

    /// <summary>IDR1.PAGESIZE: 12 (4 KiB register pages) or 16 (64 KiB).</summary>
    public int PageShift { get; init; } = 12;

    /// <summary>IDR0.NUMIRPT: context interrupt lines; null = one per context bank.</summary>
    public int? ContextInterrupts { get; init; }

    /// <summary>IDR7: implementation revision (MAJOR [7:4], MINOR [3:0]).</summary>
    public int ImplementationRevision { get; init; }

    /// <summary>TLB capacity in entries (a power of two, 4–65536; 4-way set associative).</summary>
    public int TlbEntries { get; init; } = 1024;

    /// <summary>Context interrupt lines implemented (IDR0.NUMIRPT).</summary>
    public int ContextInterruptCount => ContextInterrupts ?? ContextBanks;

    /// <summary>Number of S2CR registers: NUMSMRG with stream matching, 2^NUMSIDB with stream indexing.</summary>
    public int StreamMappingGroups => StreamMatching ? StreamMatchRegisterGroups : 1 << StreamIdBits;

    /// <summary>Register page size in bytes.</summary>
    public ulong PageSize => 1UL << PageShift;

    /// <summary>NUMPAGE: pages in the global space, and in the context bank space (2^(NUMPAGENDXB + 1), at least 2 and at least NUMCB).</summary>
    public int GlobalPages => Math.Max(2, (int)BitOperations.RoundUpToPowerOf2((uint)ContextBanks));

    /// <summary>Size of the whole register space: 2 × NUMPAGE pages (global space, then context banks).</summary>
    public ulong RegisterSpaceSize => 2UL * (ulong)GlobalPages * PageSize;

    /// <summary>Implemented SMR.MASK bits (see <see cref="SmrMaskBits"/>).</summary>
    internal int EffectiveSmrMaskBits => Math.Min(SmrMaskBits ?? 16, 16);

    /// <summary>SMMU_IDR0 as the hardware reads it.</summary>
    public uint Idr0
    {
        get
        {
            uint v = StreamMatching ? (uint)StreamMatchRegisterGroups : 0;
            v |= ExtendedStreamIds ? IDR0_EXIDS : 0;
            v |= (uint)StreamIdBits << IDR0_NUMSIDB_Shift;
            v |= CoherentTableWalk ? IDR0_CTTW : 0;
            v |= (uint)ContextInterruptCount << IDR0_NUMIRPT_Shift;
            v |= Aarch32LongDescriptor ? IDR0_PTFS_NO_AARCH32S : IDR0_PTFS_NO_AARCH32;
            v |= AddressTranslationOperations ? 0 : IDR0_ATOSNS;
            v |= StreamMatching ? IDR0_SMS : 0;
            v |= Nested ? IDR0_NTS : 0;
            v |= Stage2 ? IDR0_S2TS : 0;
            v |= Stage1 ? IDR0_S1TS : 0;
            return v;
        }
    }

    /// <summary>SMMU_IDR1 as the hardware reads it.</summary>
    public uint Idr1 =>
        (uint)ContextBanks |
        ((uint)Stage2ContextBanks << IDR1_NUMS2CB_Shift) |
        ((uint)(BitOperations.Log2((uint)GlobalPages) - 1) << IDR1_NUMPAGENDXB_Shift) |
        (PageShift == 16 ? IDR1_PAGESIZE : 0);

    /// <summary>SMMU_IDR2 as the hardware reads it.</summary>
    public uint Idr2 =>
        (uint)SizeEncoding(InputAddressBits) |
        ((uint)SizeEncoding(OutputAddressBits) << IDR2_OAS_Shift) |
        ((uint)UbsEncoding(UpstreamBusBits) << IDR2_UBS_Shift) |
        (Granule4K ? IDR2_PTFS_4K : 0) |
        (Granule16K ? IDR2_PTFS_16K : 0) |
        (Granule64K ? IDR2_PTFS_64K : 0) |
        (Vmid16 ? IDR2_VMID16 : 0);

    /// <summary>SMMU_IDR7 as the hardware reads it.</summary>
    public uint Idr7 => (uint)ImplementationRevision & 0xFF;

    /// <summary>IDR2.IAS / OAS encoding of an address size (32→0 … 48→5: the PS encoding without 52 bits), or −1.</summary>
    public static int SizeEncoding(int bits) => bits > 48 ? -1 : PageTables.ArmLpae.ArmLpaeWalkConfig.PsFromAddressSize(bits);

    /// <summary>IDR2.UBS encoding of an upstream bus size (32→0 … 44→4, 49→5, 64→0xF), or −1.</summary>
    public static int UbsEncoding(int bits) => bits switch
    {
        32 => 0,
        36 => 1,
        40 => 2,
        42 => 3,
        44 => 4,
        49 => 5,
        64 => 0xF,
        _ => -1,
    };

    /// <summary>Throws <see cref="ArgumentException"/> if the combination is not a buildable SMMU (a programming error of the machine composer).</summary>
    public void Validate()
    {
        Require(ArchitectureVersion is 1 or 2, "ArchitectureVersion must be 1 or 2.");
        Require(PageShift is 12 or 16, "PageShift must be 12 (4 KiB) or 16 (64 KiB).");
        Require(ContextBanks is >= 1 and <= 128, "ContextBanks must be 1–128.");
        Require(Stage1 || Stage2, "An SMMU translates at stage 1, stage 2 or both.");
        Require(!Nested || (Stage1 && Stage2), "Nested translation needs stage 1 and stage 2.");
        Require(Stage2 ? Stage2ContextBanks is >= 1 && Stage2ContextBanks <= ContextBanks : Stage2ContextBanks == 0,
            "Stage2ContextBanks must be 1–ContextBanks with stage 2, 0 without.");
        Require(StreamIdBits is >= 0 and <= 15, "StreamIdBits (NUMSIDB) must be 0–15.");
        Require(!ExtendedStreamIds || (ArchitectureVersion == 2 && StreamMatching), "Extended stream IDs need SMMUv2 with stream matching.");
        if (StreamMatching)
        {
            Require(StreamMatchRegisterGroups is >= 1 and <= 128, "StreamMatchRegisterGroups must be 1–128.");
        }
        else
        {
            Require(SmmuV2Registers.SMMU_S2CR0 + (4UL << StreamIdBits) <= PageSize,
                "With stream indexing, 2^StreamIdBits S2CRs must fit in the GR0 page.");
        }

        Require(SmrMaskBits is null or (>= 0 and <= 16), "SmrMaskBits must be 0–16.");
        Require(SizeEncoding(InputAddressBits) >= 0, "InputAddressBits must be 32, 36, 40, 42, 44 or 48.");
        Require(SizeEncoding(OutputAddressBits) >= 0, "OutputAddressBits must be 32, 36, 40, 42, 44 or 48.");
        Require(UbsEncoding(UpstreamBusBits) >= 0, "UpstreamBusBits must be 32, 36, 40, 42, 44, 49 or 64.");
        Require(ContextInterruptCount is >= 0 and <= 255, "ContextInterrupts must be 0–255.");
        Require(ImplementationRevision is >= 0 and <= 0xFF, "ImplementationRevision must fit IDR7[7:0].");
        Require(TlbEntries is >= 4 and <= 65536 && BitOperations.IsPow2(TlbEntries), "TlbEntries must be a power of two, 4–65536.");
        if (ArchitectureVersion == 1)
        {
            Require(!Granule4K && !Granule16K && !Granule64K, "SMMUv1 has no AArch64 formats (clear the Granule flags).");
            Require(Aarch32LongDescriptor, "An SMMUv1 model needs the AArch32 long-descriptor format.");
            Require(!Vmid16, "16-bit VMIDs are an SMMUv2 feature.");
        }
        else
        {
            Require(Granule4K || Granule16K || Granule64K || Aarch32LongDescriptor, "At least one translation table format is needed.");
        }
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new ArgumentException(message);
        }
    }
}
