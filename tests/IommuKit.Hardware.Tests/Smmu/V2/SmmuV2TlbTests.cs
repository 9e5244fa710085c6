using IommuKit.Hardware.Dma;
using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables;
using IommuKit.Hardware.PageTables.ArmLpae;
using IommuKit.Hardware.Smmu.V2;
using static IommuKit.Hardware.Smmu.V2.SmmuV2Registers;

namespace IommuKit.Hardware.Tests.Smmu.V2;

/// <summary>
/// The TLB keeps translations until TLB maintenance removes them: the tables here are edited with
/// flush callbacks that do nothing, so only the TLBI register writes in each test invalidate.
/// </summary>
public sealed class SmmuV2TlbTests
{
    private const uint Sid = 0x42;
    private const ulong Iova = 0x1000_0000;
    private const ulong Data = SmmuV2Harness.DataBase;
    private const IommuProt Rw = IommuProt.Read | IommuProt.Write | IommuProt.Cache;

    private static void TlbiVa(SmmuV2Harness h, int cb, ulong iova, ushort asid, int reg = SMMU_CBn_TLBIVA) =>
        h.Cb64(cb, reg, (iova >> 12) | ((ulong)asid << 48));

    private static void Sync(SmmuV2Harness h, int cb)
    {
        // __arm_smmu_tlb_sync: write TLBSYNC, poll TLBSTATUS.SACTIVE.
        h.Cb(cb, SMMU_CBn_TLBSYNC, 0);
        Assert.Equal(0u, h.Cb(cb, SMMU_CBn_TLBSTATUS) & TLBSTATUS_SACTIVE);
    }

    [Fact]
    public void PermissionFlags_FollowTheWalkResultsPermissionBits() =>
        Assert.Equal((2, 4, 8), ((int)SmmuV2Tlb.FlagRead, (int)SmmuV2Tlb.FlagWrite, (int)SmmuV2Tlb.FlagExecute)); // Fill multiplies PermissionBits by FlagRead

    [Fact]
    public void Unmap_WithoutInvalidation_TranslationStaysUntilTlbiva()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.SetUpStage1(Sid);
        h.Map(t, Iova, Data, 0x1000, Rw);
        Assert.Equal(Data + 4, h.Translate(Sid, Iova + 4).OutputAddress);

        Assert.Equal(0x1000UL, t.UnmapPages(Iova, 0x1000, 1, null));
        Assert.Equal(0UL, t.IovaToPhys(Iova));
        Assert.Equal(Data + 4, h.Translate(Sid, Iova + 4).OutputAddress); // stale, as hardware
        Assert.Equal(DmaStatus.Ok, h.Smmu.DmaWrite(Sid, Iova + 8, new byte[] { 0x5A }, default));
        Assert.Equal(0x5AUL, (h.Peek(Data + 8) & 0xFF));

        TlbiVa(h, 0, Iova, asid: 0);
        Sync(h, 0);
        Assert.Equal(SmmuV2Fault.Translation, h.Translate(Sid, Iova + 4).Fault);
    }

    [Fact]
    public void Remap_WithoutInvalidation_OldPhysicalAddressUntilTlbival()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.SetUpStage1(Sid);
        h.Map(t, Iova, Data, 0x1000, Rw);
        h.Translate(Sid, Iova);
        t.UnmapPages(Iova, 0x1000, 1, null);
        h.Map(t, Iova, Data + 0x5000, 0x1000, Rw);

        Assert.Equal(Data, h.Translate(Sid, Iova).OutputAddress);
        TlbiVa(h, 0, Iova, asid: 0, SMMU_CBn_TLBIVAL);
        Assert.Equal(Data + 0x5000, h.Translate(Sid, Iova).OutputAddress);
    }

    [Fact]
    public void Tlbiva_OnlyTheNamedPageAndAsid()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.SetUpStage1(Sid);
        h.Map(t, Iova, Data, 0x2000, Rw);
        h.Translate(Sid, Iova);
        h.Translate(Sid, Iova + 0x1000);
        t.UnmapPages(Iova, 0x1000, 2, null);

        TlbiVa(h, 0, Iova, asid: 7); // another ASID: no effect
        Assert.Equal(SmmuV2TranslationStatus.Translated, h.Translate(Sid, Iova).Status);
        TlbiVa(h, 0, Iova + 0x1000, asid: 0);
        Assert.Equal(SmmuV2TranslationStatus.Translated, h.Translate(Sid, Iova).Status);
        Assert.Equal(SmmuV2Fault.Translation, h.Translate(Sid, Iova + 0x1000).Fault);
    }

    [Fact]
    public void Tlbiva_AnyAddressInsideABlock_RemovesTheBlock()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.SetUpStage1(Sid);
        h.Map(t, 0x4000_0000, Data & ~0x1F_FFFFUL, 1UL << 21, Rw, pgsize: 1UL << 21);
        h.Translate(Sid, 0x4000_0000);
        t.UnmapPages(0x4000_0000, 1UL << 21, 1, null);
        Assert.Equal(SmmuV2TranslationStatus.Translated, h.Translate(Sid, 0x401F_0000).Status);

        TlbiVa(h, 0, 0x4012_3000, asid: 0);
        Assert.Equal(SmmuV2Fault.Translation, h.Translate(Sid, 0x401F_0000).Fault);
    }

    private static (SmmuV2Harness H, ArmLpaeIoPageTable T0, ArmLpaeIoPageTable T1) TwoStage1Banks(uint vmid1 = 0)
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t0 = h.CreateTable(ArmLpaeFormat.Arm64LpaeS1);
        ArmLpaeIoPageTable t1 = h.CreateTable(ArmLpaeFormat.Arm64LpaeS1);
        h.ProgramStage1(0, t0);
        h.ProgramStage1(1, t1, vmid: vmid1);
        h.MapStream(0, 0x10, 0, 0);
        h.MapStream(1, 0x11, 0, 1);
        h.Enable();
        h.Map(t0, Iova, Data, 0x1000, Rw);
        h.Map(t1, Iova, Data + 0x1000, 0x1000, Rw);
        Assert.Equal(Data, h.Translate(0x10, Iova).OutputAddress);
        Assert.Equal(Data + 0x1000, h.Translate(0x11, Iova).OutputAddress);
        t0.UnmapPages(Iova, 0x1000, 1, null);
        t1.UnmapPages(Iova, 0x1000, 1, null);
        return (h, t0, t1);
    }

    [Fact]
    public void Tlbiasid_RemovesOneAsidOfTheBanksVmid()
    {
        (SmmuV2Harness h, _, _) = TwoStage1Banks();
        h.Cb(1, SMMU_CBn_TLBIASID, 1);
        Sync(h, 1);
        Assert.Equal(SmmuV2TranslationStatus.Translated, h.Translate(0x10, Iova).Status);
        Assert.Equal(SmmuV2Fault.Translation, h.Translate(0x11, Iova).Fault);

        // The operation names an ASID, not a bank: bank 1 can invalidate ASID 0 (same VMID).
        h.Cb(1, SMMU_CBn_TLBIASID, 0);
        Assert.Equal(SmmuV2Fault.Translation, h.Translate(0x10, Iova).Fault);
    }

    [Fact]
    public void Tlbiall_RemovesStage1EntriesOfTheBanksVmidOnly()
    {
        (SmmuV2Harness h, _, _) = TwoStage1Banks(vmid1: 5);
        h.Cb(0, SMMU_CBn_TLBIALL, 0);
        Assert.Equal(SmmuV2Fault.Translation, h.Translate(0x10, Iova).Fault);
        Assert.Equal(SmmuV2TranslationStatus.Translated, h.Translate(0x11, Iova).Status); // VMID 5 untouched

        h.Gr0(SMMU_TLBIVMID, 5);
        h.Gr0(SMMU_sTLBGSYNC, 0);
        Assert.Equal(0u, h.Gr0(SMMU_sTLBGSTATUS) & sTLBGSTATUS_GSACTIVE);
        Assert.Equal(SmmuV2Fault.Translation, h.Translate(0x11, Iova).Fault);
    }

    [Fact]
    public void Tlbiallnsnh_RemovesEverything_TlbiallhNothing()
    {
        (SmmuV2Harness h, _, _) = TwoStage1Banks(vmid1: 5);
        h.Gr0(SMMU_TLBIALLH, 0);
        Assert.Equal(SmmuV2TranslationStatus.Translated, h.Translate(0x10, Iova).Status);
        h.Gr0(SMMU_TLBIALLNSNH, 0);
        Assert.Equal(0, h.Smmu.TlbEntryCount);
        Assert.Equal(SmmuV2Fault.Translation, h.Translate(0x10, Iova).Fault);
        Assert.Equal(SmmuV2Fault.Translation, h.Translate(0x11, Iova).Fault);
    }

    [Fact]
    public void Tlbivmid_Stage2_OnlyThatVmid()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable a = h.CreateTable(ArmLpaeFormat.Arm64LpaeS2, ias: 40);
        ArmLpaeIoPageTable b = h.CreateTable(ArmLpaeFormat.Arm64LpaeS2, ias: 40);
        h.ProgramStage2(2, a, vmid: 0x102); // 16-bit VMID: only CBA2R carries the high byte
        h.ProgramStage2(3, b, vmid: 0x103);
        h.MapStream(0, 0x20, 0, 2);
        h.MapStream(1, 0x21, 0, 3);
        h.Enable();
        h.Map(a, Iova, Data, 0x1000, Rw);
        h.Map(b, Iova, Data, 0x1000, Rw);
        h.Translate(0x20, Iova);
        h.Translate(0x21, Iova);
        a.UnmapPages(Iova, 0x1000, 1, null);
        b.UnmapPages(Iova, 0x1000, 1, null);

        h.Gr0(SMMU_TLBIVMID, 0x102);
        Assert.Equal(SmmuV2Fault.Translation, h.Translate(0x20, Iova).Fault);
        Assert.Equal(SmmuV2TranslationStatus.Translated, h.Translate(0x21, Iova).Status);

        // Without VMID16EN, TLBIVMID takes 8 bits: 0x103 names VMID 0x03 and spares the 0x103 entry.
        h.Gr0(SMMU_sCR0, h.Gr0(SMMU_sCR0) & ~sCR0_VMID16EN);
        h.Gr0(SMMU_TLBIVMID, 0x103);
        h.Gr0(SMMU_sCR0, h.Gr0(SMMU_sCR0) | sCR0_VMID16EN);
        Assert.Equal(SmmuV2TranslationStatus.Translated, h.Translate(0x21, Iova).Status);
        h.Gr0(SMMU_TLBIVMID, 0x103);
        Assert.Equal(SmmuV2Fault.Translation, h.Translate(0x21, Iova).Fault);
    }

    [Fact]
    public void Tlbiipas2_Stage2Entry()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.CreateTable(ArmLpaeFormat.Arm64LpaeS2, ias: 40);
        h.ProgramStage2(1, t);
        h.MapStream(0, Sid, 0, 1);
        h.Enable();
        h.Map(t, Iova, Data, 0x2000, Rw);
        h.Translate(Sid, Iova);
        h.Translate(Sid, Iova + 0x1000);
        t.UnmapPages(Iova, 0x1000, 2, null);

        h.Cb64(1, SMMU_CBn_TLBIIPAS2, (Iova + 0x1000) >> 12);
        Assert.Equal(SmmuV2TranslationStatus.Translated, h.Translate(Sid, Iova).Status);
        Assert.Equal(SmmuV2Fault.Translation, h.Translate(Sid, Iova + 0x1000).Fault);
        h.Cb64(1, SMMU_CBn_TLBIIPAS2L, Iova >> 12);
        Assert.Equal(SmmuV2Fault.Translation, h.Translate(Sid, Iova).Fault);
    }

    [Fact]
    public void GlobalEntry_SurvivesTlbiasid_NotTlbiva()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.SetUpStage1(Sid);
        h.Map(t, Iova, Data, 0x1000, Rw);
        ulong pte = t.PgdPa;
        for (int level = t.StartLevel; level < 3; level++)
        {
            pte = (h.Peek(pte + ((Iova >> (12 + (9 * (3 - level)))) & 0x1FF) * 8) & 0x0000_FFFF_FFFF_F000UL);
        }

        pte += ((Iova >> 12) & 0x1FF) * 8;
        h.Poke(pte, h.Peek(pte) & ~ArmLpaePte.NG);
        h.Translate(Sid, Iova);
        t.UnmapPages(Iova, 0x1000, 1, null);

        h.Cb(0, SMMU_CBn_TLBIASID, 0);
        Assert.Equal(SmmuV2TranslationStatus.Translated, h.Translate(Sid, Iova).Status);
        TlbiVa(h, 0, Iova, asid: 9); // any ASID: global entries match
        Assert.Equal(SmmuV2Fault.Translation, h.Translate(Sid, Iova).Fault);
    }

    [Fact]
    public void AsidChange_NewAsidMisses_OldAsidStillCached()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.SetUpStage1(Sid);
        ArmLpaeIoPageTable other = h.CreateTable(ArmLpaeFormat.Arm64LpaeS1);
        h.Map(t, Iova, Data, 0x1000, Rw);
        h.Map(other, Iova, Data + 0x3000, 0x1000, Rw);
        Assert.Equal(Data, h.Translate(Sid, Iova).OutputAddress);

        h.Cb64(0, SMMU_CBn_TTBR0, other.Ttbr | (9UL << 48));
        Assert.Equal(Data + 0x3000, h.Translate(Sid, Iova).OutputAddress);

        // Back to ASID 0 on the new table without invalidation: the old entry answers.
        h.Cb64(0, SMMU_CBn_TTBR0, other.Ttbr);
        Assert.Equal(Data, h.Translate(Sid, Iova).OutputAddress);
    }

    [Fact]
    public void StalePermissions_UpgradeWithoutInvalidation_StillFaults()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.SetUpStage1(Sid);
        h.Map(t, Iova, Data, 0x1000, IommuProt.Read | IommuProt.Cache);
        h.Translate(Sid, Iova);
        t.UnmapPages(Iova, 0x1000, 1, null);
        h.Map(t, Iova, Data, 0x1000, Rw);

        Assert.Equal(SmmuV2Fault.Permission, h.Translate(Sid, Iova, write: true).Fault);
        Assert.Equal(3u | FSYNR0_WNR, h.Cb(0, SMMU_CBn_FSYNR0)); // level of the cached leaf
        TlbiVa(h, 0, Iova, asid: 0);
        Assert.Equal(SmmuV2TranslationStatus.Translated, h.Translate(Sid, Iova, write: true).Status);
    }

    [Fact]
    public void Hit_DoesNotWalk()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.SetUpStage1(Sid);
        h.Map(t, Iova, Data, 0x1000, Rw);
        h.Translate(Sid, Iova);
        long walks = h.Smmu.WalkCount;
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal(Data + (ulong)i, h.Translate(Sid, Iova + (ulong)i).OutputAddress);
        }

        Assert.Equal(walks, h.Smmu.WalkCount);
        Assert.Equal(1, h.Smmu.TlbEntryCount);
    }

    [Fact]
    public void Capacity_SmallTlb_EvictsButStaysCorrect()
    {
        var h = new SmmuV2Harness(SmmuV2Features.Mmu500 with { TlbEntries = 16 });
        ArmLpaeIoPageTable t = h.SetUpStage1(Sid);
        h.Map(t, Iova, Data, 0x100_000, Rw);
        for (int round = 0; round < 2; round++)
        {
            for (ulong page = 0; page < 256; page++)
            {
                Assert.Equal(Data + (page << 12) + 0x10, h.Translate(Sid, Iova + (page << 12) + 0x10).OutputAddress);
            }
        }

        Assert.True(h.Smmu.TlbEntryCount <= 16);
    }

    [Fact]
    public void Tlbiva_Aarch32Format_VaAndAsidInOneWord()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.CreateTable(ArmLpaeFormat.Arm32LpaeS1, ias: 32, oas: 40);
        h.ProgramStage1(2, t, aarch64: false);
        h.MapStream(0, Sid, 0, 2);
        h.Enable();
        h.Map(t, 0xC000_0000, Data, 0x1000, Rw);
        h.Translate(Sid, 0xC000_0000);
        t.UnmapPages(0xC000_0000, 0x1000, 1, null);

        h.Cb(2, SMMU_CBn_TLBIVA, 0xC000_0000u | 3); // ASID 3 ≠ 2: no effect
        Assert.Equal(SmmuV2TranslationStatus.Translated, h.Translate(Sid, 0xC000_0000).Status);
        h.Cb(2, SMMU_CBn_TLBIVA, 0xC000_0000u | 2);
        Assert.Equal(SmmuV2Fault.Translation, h.Translate(Sid, 0xC000_0000).Fault);
    }

    [Fact]
    public void Nested_Tlbiipas2LeavesCombinedEntries_TlbivaRemovesThem()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable s2 = h.CreateTable(ArmLpaeFormat.Arm64LpaeS2, ias: 40);
        h.Map(s2, SmmuV2Harness.RamBase, SmmuV2Harness.RamBase, SmmuV2Harness.TablePool, Rw, pgsize: 1UL << 21);
        h.Map(s2, 0x2_0000_0000, Data, 0x1000, Rw);
        ArmLpaeIoPageTable s1 = h.CreateTable(ArmLpaeFormat.Arm64LpaeS1, oas: 40);
        h.Map(s1, Iova, 0x2_0000_0000, 0x1000, Rw);
        h.ProgramStage2(1, s2);
        h.ProgramStage1(0, s1);
        h.Gr1(SMMU_CBAR0, (CBAR_TYPE_S1_TRANS_S2_TRANS << CBAR_TYPE_Shift) | (1u << CBAR_CBNDX_Shift));
        h.MapStream(0, Sid, 0, 0);
        h.Enable();
        Assert.Equal(Data, h.Translate(Sid, Iova).OutputAddress);
        s2.UnmapPages(0x2_0000_0000, 0x1000, 1, null);

        h.Cb64(1, SMMU_CBn_TLBIIPAS2, 0x2_0000_0000UL >> 12);
        Assert.Equal(Data, h.Translate(Sid, Iova).OutputAddress); // combined entry: needs a stage-1 invalidation too
        TlbiVa(h, 0, Iova, asid: 0);
        Assert.Equal((SmmuV2Fault.Translation, 1), (h.Translate(Sid, Iova).Fault, h.Translate(Sid, Iova).ContextBank));
    }
}
