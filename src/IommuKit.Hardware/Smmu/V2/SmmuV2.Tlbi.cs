using static IommuKit.Hardware.Smmu.V2.SmmuV2Registers;

namespace IommuKit.Hardware.Smmu.V2;

/// <summary>
/// Context bank TLB maintenance: TLBIVA / TLBIVAL (one VA of one ASID, plus global entries),
/// TLBIVAA / TLBIVAAL (one VA, every ASID), TLBIASID, TLBIALL (the bank's VMID) for stage-1 and
/// nested banks; TLBIIPAS2 / TLBIIPAS2L for stage-2 banks. All complete immediately, so
/// TLBSYNC has nothing to wait for and TLBSTATUS.SACTIVE reads 0. The global operations are in
/// the GR0 register handlers (TLBIVMID, TLBIALLNSNH).
/// </summary>
public sealed partial class SmmuV2
{
    private static bool IsStage1Kind(SmmuV2BankKind kind) =>
        kind is SmmuV2BankKind.S1S2Bypass or SmmuV2BankKind.S1S2Fault or SmmuV2BankKind.Nested;

    /// <summary>
    /// AArch64 format: VA[55:12] in bits [43:0], ASID in [63:48] (16 bits with TCR2.AS); AArch32
    /// format: VA[31:12] in [31:12], ASID in [7:0]. The VA is compared as the upstream bus carries
    /// it (truncated to IDR2.UBS bits, or sign-extended from bit 55 for a 64-bit bus).
    /// </summary>
    private void TlbiVa(SmmuV2ContextBank b, ulong value, bool allAsids)
    {
        if (b.Dirty)
        {
            Decode(b);
        }

        if (!IsStage1Kind(b.Kind))
        {
            return;
        }

        ulong va;
        ushort asid;
        if (b.Aarch64)
        {
            ulong va56 = (value & 0x0000_0FFF_FFFF_FFFFUL) << 12;
            int ubs = _features.UpstreamBusBits;
            va = ubs >= 64 ? (ulong)((long)(va56 << 8) >> 8) : va56 & ((1UL << ubs) - 1);
            asid = (ushort)((value >> 48) & ((b.Tcr2 & TCR2_AS) != 0 ? 0xFFFFu : 0xFFu));
        }
        else
        {
            va = value & 0xFFFF_F000UL;
            asid = (ushort)(value & 0xFF);
        }

        _tlb.InvalidateStage1Va(b.Vmid, va, allAsids, asid);
    }

    private void TlbiAsid(SmmuV2ContextBank b, uint value)
    {
        if (b.Dirty)
        {
            Decode(b);
        }

        if (IsStage1Kind(b.Kind))
        {
            uint mask = b.Aarch64 && (b.Tcr2 & TCR2_AS) != 0 ? 0xFFFFu : 0xFFu;
            _tlb.InvalidateStage1(b.Vmid, byAsid: true, (ushort)(value & mask));
        }
    }

    private void TlbiAll(SmmuV2ContextBank b)
    {
        if (b.Dirty)
        {
            Decode(b);
        }

        if (IsStage1Kind(b.Kind))
        {
            _tlb.InvalidateStage1(b.Vmid, byAsid: false, 0);
        }
    }

    /// <summary>AArch64 format: IPA[47:12] in bits [35:0]; AArch32: IPA[39:12] in [27:0].</summary>
    private void TlbiIpa(SmmuV2ContextBank b, ulong value)
    {
        if (b.Dirty)
        {
            Decode(b);
        }

        if (b.Kind == SmmuV2BankKind.S2)
        {
            ulong ipa = (value & (b.Aarch64 ? 0xF_FFFF_FFFFUL : 0xFFF_FFFFUL)) << 12;
            _tlb.InvalidateStage2Ipa(b.Vmid, ipa);
        }
    }
}
