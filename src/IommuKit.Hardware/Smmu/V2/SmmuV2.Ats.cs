using IommuKit.Hardware.PageTables.ArmLpae;
using static IommuKit.Hardware.Smmu.V2.SmmuV2Registers;

namespace IommuKit.Hardware.Smmu.V2;

/// <summary>
/// SMMU_CBn_ATS1PR: a stage-1 privileged-read translation of a VA, answered in SMMU_CBn_PAR
/// (what Linux's <c>arm_smmu_iova_to_phys_hard</c> uses). The operation walks the tables afresh
/// (no TLB lookup or fill), records no fault and completes at once (ATSR.ACTIVE reads 0).
/// </summary>
/// <remarks>
/// PAR on success: F = 0, SH [8:7], PA[47:12], the MAIR attribute byte in [63:56]; for a nested
/// bank the stage-1 output (the IPA). On a fault: F = 1, the FSR fault bit in [7:1] (TF 1,
/// AFF 2, PF 3, EF 4, ASF 7), the level in [33:32], and bit 35 set if stage 2 faulted while
/// fetching a stage-1 table. A bank with translation disabled returns the VA unchanged.
/// </remarks>
public sealed partial class SmmuV2
{
    private void Ats1pr(SmmuV2ContextBank b, ulong value)
    {
        if (!_features.AddressTranslationOperations)
        {
            return;
        }

        if (b.Dirty)
        {
            Decode(b);
        }

        if (!IsStage1Kind(b.Kind))
        {
            return;
        }

        ulong va = b.Aarch64 ? value & ~0xFFFUL : value & 0xFFFF_F000UL;
        if (!b.Enabled)
        {
            b.Par = va & 0x0000_FFFF_FFFF_F000UL;
            return;
        }

        if (!SelectRegion(b, va, out ulong ia, out bool region1))
        {
            b.Par = PAR_F | FSR_TF;
            return;
        }

        ref ArmLpaeWalkConfig cfg = ref region1 ? ref b.Walk1 : ref b.Walk0;
        const ArmLpaeAccess access = ArmLpaeAccess.Read | ArmLpaeAccess.Privileged;
        ArmLpaeWalkResult w;
        SmmuV2ContextBank? s = b.Kind == SmmuV2BankKind.Nested ? _banks[b.S2Bank] : null;
        if (s is not null && s.Dirty)
        {
            Decode(s);
        }

        if (s is not null && s.Kind != SmmuV2BankKind.S2)
        {
            b.Par = PAR_F | FSR_TF;
            return;
        }

        if (s is not null && s.Enabled)
        {
            ArmLpaeWalker.WalkNested(_memory, in cfg, in s.WalkS2, ia, access, out w);
        }
        else
        {
            ArmLpaeWalker.Walk(_memory, in cfg, ia, access, out w);
        }

        _walkCount++;
        bool stage1Ok = w.IsOk || (w.Stage == 2 && !w.FaultOnTableFetch && s is not null);
        if (!stage1Ok)
        {
            b.Par = PAR_F | FsrBit(FromWalk(w.Fault)) | ((ulong)(uint)(w.Level & 3) << PAR_PLVL_Shift) | (w.Stage == 2 ? PAR_STAGE : 0);
            return;
        }

        ulong output = s is not null && s.Enabled ? w.IntermediateAddress : w.OutputAddress;
        b.Par = (output & 0x0000_FFFF_FFFF_F000UL) |
            ((ulong)(w.Shareability & 3u) << PAR_SH_Shift) |
            ((ulong)MairAttribute(b, w.AttrIndx) << PAR_ATTR_Shift);
    }
}
