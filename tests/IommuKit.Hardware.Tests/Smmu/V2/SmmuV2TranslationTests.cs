using IommuKit.Hardware.Dma;
using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables;
using IommuKit.Hardware.PageTables.ArmLpae;
using IommuKit.Hardware.Smmu.V2;
using static IommuKit.Hardware.Smmu.V2.SmmuV2Registers;

namespace IommuKit.Hardware.Tests.Smmu.V2;

/// <summary>Stage-1, stage-2 and nested translation over tables built by the Linux-faithful io-pgtable.</summary>
public sealed class SmmuV2TranslationTests
{
    private const uint Sid = 0x42;
    private const ulong Iova = 0x1000_0000;
    private const ulong Data = SmmuV2Harness.DataBase;
    private const IommuProt Rw = IommuProt.Read | IommuProt.Write | IommuProt.Cache;

    [Fact]
    public void Stage1_Aarch64_DmaReachesTranslatedAddress()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.SetUpStage1(Sid);
        h.Map(t, Iova, Data, 0x1000, Rw);
        h.Map(t, Iova + 0x1000, Data + 0x10_0000, 0x1000, Rw); // not contiguous in PA

        SmmuV2Translation r = h.Translate(Sid, Iova + 0x123);
        Assert.Equal((SmmuV2TranslationStatus.Translated, Data + 0x123, BusAccess.Snoop, 12, 0), (r.Status, r.OutputAddress, r.Access, r.RangeShift, r.ContextBank));

        byte[] payload = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        Assert.Equal(DmaStatus.Ok, h.Smmu.DmaWrite(Sid, Iova + 0xFF0, payload, default));
        byte[] first = new byte[16];
        byte[] second = new byte[16];
        Assert.Equal(BusStatus.Ok, h.Memory.Read(Data + 0xFF0, first, BusAccess.Cpu));
        Assert.Equal(BusStatus.Ok, h.Memory.Read(Data + 0x10_0000, second, BusAccess.Cpu));
        Assert.Equal(payload, first.Concat(second).ToArray());

        byte[] back = new byte[32];
        Assert.Equal(DmaStatus.Ok, h.Smmu.DmaRead(Sid, Iova + 0xFF0, back, default));
        Assert.Equal(payload, back);
    }

    [Fact]
    public void Stage1_Blocks_CoverTheirWholeRange()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.SetUpStage1(Sid);
        h.Map(t, 0x4000_0000, Data & ~0x1F_FFFFUL, 1UL << 21, Rw, pgsize: 1UL << 21);

        SmmuV2Translation r = h.Translate(Sid, 0x4012_3456);
        Assert.Equal(((Data & ~0x1F_FFFFUL) + 0x12_3456, 21), (r.OutputAddress, r.RangeShift));
        long walks = h.Smmu.WalkCount;
        Assert.Equal((Data & ~0x1F_FFFFUL) + 0x1F_F000, h.Translate(Sid, 0x401F_F000).OutputAddress);
        Assert.Equal(walks, h.Smmu.WalkCount); // the block entry served it
    }

    [Fact]
    public void Stage1_64KGranule_Translates()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.CreateTable(ArmLpaeFormat.Arm64LpaeS1, pgsizes: (1UL << 16) | (1UL << 29));
        Assert.Equal(16, t.GranuleShift);
        h.ProgramStage1(0, t);
        h.MapStream(0, Sid, 0, 0);
        h.Enable();
        h.Map(t, Iova, Data, 1UL << 16, Rw, pgsize: 1UL << 16);

        SmmuV2Translation r = h.Translate(Sid, Iova + 0xFEDC);
        Assert.Equal((Data + 0xFEDC, 16), (r.OutputAddress, r.RangeShift));
    }

    [Fact]
    public void Stage1_UnsupportedGranule_TranslationFault()
    {
        var h = new SmmuV2Harness(); // MMU-500-like: no 16K granule
        ArmLpaeIoPageTable t = h.CreateTable(ArmLpaeFormat.Arm64LpaeS1, pgsizes: (1UL << 14) | (1UL << 25));
        h.ProgramStage1(0, t);
        h.MapStream(0, Sid, 0, 0);
        h.Enable();
        h.Map(t, Iova, Data, 1UL << 14, Rw, pgsize: 1UL << 14);
        Assert.Equal(SmmuV2Fault.Translation, h.Translate(Sid, Iova).Fault);
    }

    [Fact]
    public void Stage1_Aarch32Lpae_Translates()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.CreateTable(ArmLpaeFormat.Arm32LpaeS1, ias: 32, oas: 40);
        h.ProgramStage1(0, t, aarch64: false);
        h.MapStream(0, Sid, 0, 0);
        h.Enable();
        h.Map(t, 0xC000_0000, Data, 0x1000, Rw);

        Assert.Equal(Data + 0x10, h.Translate(Sid, 0xC000_0010).OutputAddress);
        Assert.Equal(SmmuV2Fault.Translation, h.Translate(Sid, 0x1_0000_0000).Fault); // beyond 32 bits
        Assert.Equal(FSR_TF | (FSR_FORMAT_AARCH32_L << FSR_FORMAT_Shift), h.Cb(0, SMMU_CBn_FSR));
    }

    [Fact]
    public void Stage1_Aarch32ShortDescriptor_NotModelled_TranslationFault()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.CreateTable(ArmLpaeFormat.Arm32LpaeS1, ias: 32, oas: 40);
        h.ProgramStage1(0, t, aarch64: false);
        h.Cb(0, SMMU_CBn_TCR, h.Cb(0, SMMU_CBn_TCR) & ~TCR_EAE);
        h.MapStream(0, Sid, 0, 0);
        h.Enable();
        h.Map(t, 0xC000_0000, Data, 0x1000, Rw);
        Assert.Equal(SmmuV2Fault.Translation, h.Translate(Sid, 0xC000_0010).Fault);
        Assert.Equal(FSR_TF, h.Cb(0, SMMU_CBn_FSR)); // FORMAT 0b00
    }

    [Fact]
    public void Stage1_Ttbr1_UpperHalfOfTheUpstreamBus()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.CreateTable(ArmLpaeFormat.Arm64LpaeS1, quirks: ArmLpaeQuirks.ArmTtbr1);
        h.ProgramStage1(0, t);
        h.MapStream(0, Sid, 0, 0);
        h.Enable();
        h.Map(t, 0xFFFF_FFFF_FFE0_0000, Data, 0x1000, Rw);

        // On the 49-bit upstream bus the address is 0x1_FFFF_FFE0_0000: bit 48 selects TTBR1.
        Assert.Equal(Data + 0x40, h.Translate(Sid, 0x1_FFFF_FFE0_0040).OutputAddress);
        Assert.Equal(SmmuV2Fault.Translation, h.Translate(Sid, 0x40).Fault); // TTBR0 disabled (EPD0)
        Assert.Equal(0u, h.Cb(0, SMMU_CBn_FSYNR0) & FSYNR0_PLVL_Mask);
    }

    [Fact]
    public void Stage1_AddressBeyondUpstreamBus_TranslationFaultLevel0()
    {
        var h = new SmmuV2Harness();
        h.SetUpStage1(Sid);
        Assert.Equal(SmmuV2Fault.Translation, h.Translate(Sid, 1UL << 49).Fault);
        Assert.Equal(1UL << 49, h.Cb64(0, SMMU_CBn_FAR));
    }

    [Fact]
    public void Stage1_Disabled_BypassesWithBankAttributes()
    {
        var h = new SmmuV2Harness();
        h.SetUpStage1(Sid);
        h.Cb(0, SMMU_CBn_SCTLR, 0);
        SmmuV2Translation r = h.Translate(Sid, 0x8765_4321);
        Assert.Equal((SmmuV2TranslationStatus.Bypassed, 0x8765_4321UL, 0, BusAccess.Snoop), (r.Status, r.OutputAddress, r.ContextBank, r.Access));
        h.Cb(0, SMMU_CBn_SCTLR, SCTLR_MTCFG | (0x4u << SCTLR_MemAttr_Shift));
        Assert.Equal(BusAccess.NoSnoop, h.Translate(Sid, 0x8765_4321).Access);
    }

    [Fact]
    public void Stage2_Aarch64_Translates()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.CreateTable(ArmLpaeFormat.Arm64LpaeS2, ias: 40, oas: 48);
        h.ProgramStage2(1, t);
        h.MapStream(0, Sid, 0, 1);
        h.Enable();
        h.Map(t, 0x80_0000_0000 - 0x1000, Data, 0x1000, IommuProt.Read | IommuProt.Write | IommuProt.Cache);

        SmmuV2Translation r = h.Translate(Sid, 0x7F_FFFF_F008);
        Assert.Equal((SmmuV2TranslationStatus.Translated, Data + 8, BusAccess.Snoop, 1), (r.Status, r.OutputAddress, r.Access, r.ContextBank));

        // Stage-2 faults report the IPA in FAR and IPAFAR.
        Assert.Equal(SmmuV2Fault.Translation, h.Translate(Sid, 0x1234_5000, write: true).Fault);
        Assert.Equal(0x1234_5000UL, h.Cb64(1, SMMU_CBn_FAR));
        Assert.Equal(0x1234_5000UL, h.Cb64(1, SMMU_CBn_IPAFAR));
        Assert.Equal(FSR_TF | (FSR_FORMAT_AARCH64 << FSR_FORMAT_Shift), h.Cb(1, SMMU_CBn_FSR));
    }

    [Fact]
    public void Stage2_Aarch32_SignedT0szGivesFortyBitIpa()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.CreateTable(ArmLpaeFormat.Arm32LpaeS2, ias: 40, oas: 40);
        h.ProgramStage2(2, t, aarch64: false);
        h.MapStream(0, Sid, 0, 2);
        h.Enable();
        h.Map(t, 0xF0_0000_0000, Data, 0x1000, IommuProt.Read | IommuProt.Write);

        SmmuV2Translation r = h.Translate(Sid, 0xF0_0000_0FF0);
        Assert.Equal((Data + 0xFF0, BusAccess.NoSnoop), (r.OutputAddress, r.Access)); // no IOMMU_CACHE: Normal NC
    }

    [Fact]
    public void Stage2_PermissionsFromS2ap()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.CreateTable(ArmLpaeFormat.Arm64LpaeS2, ias: 40);
        h.ProgramStage2(0, t);
        h.MapStream(0, Sid, 0, 0);
        h.Enable();
        h.Map(t, Iova, Data, 0x1000, IommuProt.Read);

        Assert.True(h.Smmu.Translate(Sid, Iova, default, write: false, out _));
        Assert.Equal(SmmuV2Fault.Permission, h.Translate(Sid, Iova, write: true).Fault);
        Assert.Equal(FSYNR0_WNR | 3u, h.Cb(0, SMMU_CBn_FSYNR0));
    }

    private static (SmmuV2Harness H, ArmLpaeIoPageTable S1, ArmLpaeIoPageTable S2) Nested()
    {
        // Stage 2 (bank 1) maps the table pool 1:1 (stage-1 tables live at IPA = PA) and the IPA
        // window 0x2_0000_0000 onto the data buffer; stage 1 (bank 0) maps IOVA → that IPA window.
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable s2 = h.CreateTable(ArmLpaeFormat.Arm64LpaeS2, ias: 40, oas: 48);
        h.Map(s2, SmmuV2Harness.RamBase, SmmuV2Harness.RamBase, SmmuV2Harness.TablePool, IommuProt.Read | IommuProt.Write | IommuProt.Cache, pgsize: 1UL << 21);
        h.Map(s2, 0x2_0000_0000, Data, 0x1_0000, IommuProt.Read | IommuProt.Write | IommuProt.Cache);
        ArmLpaeIoPageTable s1 = h.CreateTable(ArmLpaeFormat.Arm64LpaeS1, ias: 48, oas: 40);
        h.Map(s1, Iova, 0x2_0000_0000, 0x1_0000, Rw);
        h.ProgramStage2(1, s2);
        h.ProgramStage1(0, s1);
        h.Gr1(SMMU_CBAR0, (CBAR_TYPE_S1_TRANS_S2_TRANS << CBAR_TYPE_Shift) | (1u << CBAR_CBNDX_Shift));
        h.MapStream(0, Sid, 0, 0);
        h.Enable();
        return (h, s1, s2);
    }

    [Fact]
    public void Nested_Stage1ThenStage2_Translates()
    {
        (SmmuV2Harness h, _, _) = Nested();
        SmmuV2Translation r = h.Translate(Sid, Iova + 0x5678);
        Assert.Equal((SmmuV2TranslationStatus.Translated, Data + 0x5678, BusAccess.Snoop, 0), (r.Status, r.OutputAddress, r.Access, r.ContextBank));
        Assert.Equal(DmaStatus.Ok, h.Smmu.DmaWrite(Sid, Iova + 0x10, new byte[] { 0xAB }, default));
        Assert.Equal(0xABu, h.Peek(Data + 0x10) & 0xFF);
    }

    [Fact]
    public void Nested_Stage2FaultOnFinalIpa_RecordedInStage2Bank()
    {
        (SmmuV2Harness h, ArmLpaeIoPageTable s1, _) = Nested();
        h.Map(s1, Iova + 0x10_0000, 0x3_0000_0000, 0x1000, Rw); // an IPA stage 2 does not map

        SmmuV2Translation r = h.Translate(Sid, Iova + 0x10_0040, write: true);
        Assert.Equal((SmmuV2Fault.Translation, 1), (r.Fault, r.ContextBank));
        Assert.Equal(0u, h.Cb(0, SMMU_CBn_FSR));
        Assert.Equal(FSR_TF | (FSR_FORMAT_AARCH64 << FSR_FORMAT_Shift), h.Cb(1, SMMU_CBn_FSR));
        Assert.Equal(Iova + 0x10_0040, h.Cb64(1, SMMU_CBn_FAR));
        Assert.Equal(0x3_0000_0040UL, h.Cb64(1, SMMU_CBn_IPAFAR));
        uint fsynr0 = h.Cb(1, SMMU_CBn_FSYNR0);
        Assert.Equal(0u, fsynr0 & FSYNR0_PTWF);
        Assert.Equal(FSYNR0_WNR, fsynr0 & FSYNR0_WNR);
        Assert.Equal(0u, fsynr0 >> FSYNR0_S1CBNDX_Shift); // stage-1 bank 0
    }

    [Fact]
    public void Nested_Stage2FaultOnStage1TableFetch_PageTableWalkFault()
    {
        (SmmuV2Harness h, ArmLpaeIoPageTable s1, ArmLpaeIoPageTable s2) = Nested();
        Assert.Equal(SmmuV2Harness.TablePool, s2.UnmapPages(SmmuV2Harness.RamBase, 1UL << 21, SmmuV2Harness.TablePool >> 21, null));

        SmmuV2Translation r = h.Translate(Sid, Iova);
        Assert.Equal((SmmuV2Fault.Translation, 1), (r.Fault, r.ContextBank));
        Assert.Equal(FSYNR0_PTWF, h.Cb(1, SMMU_CBn_FSYNR0) & FSYNR0_PTWF);
        Assert.Equal(s1.PgdPa, h.Cb64(1, SMMU_CBn_IPAFAR) & ~0xFFFUL); // the stage-1 PGD's IPA
    }

    [Fact]
    public void Nested_Stage1Fault_RecordedInStage1Bank()
    {
        (SmmuV2Harness h, _, _) = Nested();
        SmmuV2Translation r = h.Translate(Sid, 0x7000_0000);
        Assert.Equal((SmmuV2Fault.Translation, 0), (r.Fault, r.ContextBank));
        Assert.Equal(0x7000_0000UL, h.Cb64(0, SMMU_CBn_FAR));
        Assert.Equal(0u, h.Cb(1, SMMU_CBn_FSR));
    }

    [Fact]
    public void Nested_Stage1Disabled_AddressIsTheIpa()
    {
        (SmmuV2Harness h, _, _) = Nested();
        h.Cb(0, SMMU_CBn_SCTLR, 0);
        Assert.Equal(Data + 0x20, h.Translate(Sid, 0x2_0000_0020).OutputAddress);
    }

    [Fact]
    public void Nested_PartnerNotStage2_InvalidContextFault()
    {
        (SmmuV2Harness h, _, _) = Nested();
        h.Gr1(SMMU_CBAR0 + 4, CBAR_TYPE_S1_TRANS_S2_BYPASS << CBAR_TYPE_Shift);
        Assert.Equal(SmmuV2Fault.InvalidContext, h.Translate(Sid, Iova).Fault);
        h.Gr0(SMMU_sGFSR, 0xFFFF_FFFF);
        h.Gr1(SMMU_CBAR0, (CBAR_TYPE_S1_TRANS_S2_TRANS << CBAR_TYPE_Shift) | (0u << CBAR_CBNDX_Shift)); // itself
        Assert.Equal(SmmuV2Fault.InvalidContext, h.Translate(Sid, Iova).Fault);
        Assert.Equal(sGFSR_ICF, h.Gr0(SMMU_sGFSR));
    }

    [Fact]
    public void Cbar_Stage2TypeBeyondNumS2cb_InvalidContextFault()
    {
        var h = new SmmuV2Harness(SmmuV2Features.Mmu500 with { Stage2ContextBanks = 2 });
        ArmLpaeIoPageTable t = h.CreateTable(ArmLpaeFormat.Arm64LpaeS2, ias: 40);
        h.ProgramStage2(3, t);
        h.MapStream(0, Sid, 0, 3);
        h.Enable();
        Assert.Equal(SmmuV2Fault.InvalidContext, h.Translate(Sid, Iova).Fault);
    }

    [Fact]
    public void Cbar_Stage1Stage2Fault_FaultsAfterStage1()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.SetUpStage1(Sid);
        h.Map(t, Iova, Data, 0x1000, Rw);
        h.Gr1(SMMU_CBAR0, CBAR_TYPE_S1_TRANS_S2_FAULT << CBAR_TYPE_Shift);

        SmmuV2Translation r = h.Translate(Sid, Iova + 8);
        Assert.Equal((SmmuV2Fault.Translation, 0), (r.Fault, r.ContextBank));
        Assert.Equal(Data + 8, h.Cb64(0, SMMU_CBn_IPAFAR));
        h.Cb(0, SMMU_CBn_FSR, FSR_FAULT);
        Assert.Equal(SmmuV2Fault.Translation, h.Translate(Sid, 0x7000_0000).Fault); // a stage-1 fault first
        Assert.Equal(0UL, h.Cb64(0, SMMU_CBn_IPAFAR));
    }

    [Fact]
    public void Fault_Translation_RegistersEncodeTheFault()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.SetUpStage1(Sid);
        h.Map(t, Iova, Data, 0x1000, Rw);
        var lines = new List<int>();
        h.Smmu.ContextInterruptRaised += lines.Add;

        SmmuV2Translation r = h.Translate(Sid, 0x2000_0000, attributes: new DmaAttributes { Instruction = true });
        Assert.Equal((SmmuV2TranslationStatus.FaultAbort, SmmuV2Fault.Translation, 0), (r.Status, r.Fault, r.ContextBank));
        Assert.Equal(FSR_TF | (FSR_FORMAT_AARCH64 << FSR_FORMAT_Shift), h.Cb(0, SMMU_CBn_FSR));
        Assert.Equal(0x2000_0000UL, h.Cb64(0, SMMU_CBn_FAR));
        Assert.Equal(2u | FSYNR0_IND, h.Cb(0, SMMU_CBn_FSYNR0)); // invalid at level 2; unprivileged; instruction
        Assert.Equal(Sid, h.Gr1(SMMU_CBFRSYNRA0));
        Assert.True(h.Smmu.ContextInterruptPending(0));
        Assert.True(h.Smmu.ContextInterruptLinePending(0));
        Assert.Equal(new[] { 0 }, lines);
        Assert.Equal(DmaStatus.Fault, h.Smmu.DmaRead(Sid, 0x2000_0000, new byte[4], default));
    }

    [Fact]
    public void Fault_Multi_KeepsTheFirstSyndromeUntilCleared()
    {
        var h = new SmmuV2Harness();
        h.SetUpStage1(Sid);
        h.Translate(Sid, 0x2000_0000);
        h.Translate(Sid, 0x3000_0000, write: true);

        Assert.Equal(FSR_MULTI | FSR_TF | (FSR_FORMAT_AARCH64 << FSR_FORMAT_Shift), h.Cb(0, SMMU_CBn_FSR));
        Assert.Equal(0x2000_0000UL, h.Cb64(0, SMMU_CBn_FAR));
        Assert.Equal(0u, h.Cb(0, SMMU_CBn_FSYNR0) & FSYNR0_WNR);

        // Clearing only TF leaves MULTI (still a fault); clearing everything drops the interrupt.
        h.Cb(0, SMMU_CBn_FSR, FSR_TF);
        Assert.Equal(FSR_MULTI | (FSR_FORMAT_AARCH64 << FSR_FORMAT_Shift), h.Cb(0, SMMU_CBn_FSR));
        Assert.True(h.Smmu.ContextInterruptPending(0));
        h.Cb(0, SMMU_CBn_FSR, FSR_FAULT);
        Assert.Equal(0u, h.Cb(0, SMMU_CBn_FSR));
        Assert.False(h.Smmu.ContextInterruptPending(0));

        h.Translate(Sid, 0x3000_0000, write: true);
        Assert.Equal(0x3000_0000UL, h.Cb64(0, SMMU_CBn_FAR));
        Assert.Equal(FSYNR0_WNR, h.Cb(0, SMMU_CBn_FSYNR0) & FSYNR0_WNR);
    }

    [Fact]
    public void Fault_Permission_ReadOnlyPageWritten()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.SetUpStage1(Sid);
        h.Map(t, Iova, Data, 0x1000, IommuProt.Read | IommuProt.Cache);
        Assert.Equal(SmmuV2TranslationStatus.Translated, h.Translate(Sid, Iova).Status);
        Assert.Equal(DmaStatus.Fault, h.Smmu.DmaWrite(Sid, Iova, new byte[8], new DmaAttributes { Privileged = true }));
        Assert.Equal(FSR_PF, h.Cb(0, SMMU_CBn_FSR) & 0xFF);
        Assert.Equal(3u | FSYNR0_WNR | FSYNR0_PNU, h.Cb(0, SMMU_CBn_FSYNR0));
    }

    [Fact]
    public void Fault_PrivilegedOnlyMapping_UnprivilegedRefusedUnlessPrivcfgForcesPrivileged()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.SetUpStage1(Sid);
        h.Map(t, Iova, Data, 0x1000, Rw | IommuProt.Priv);
        Assert.Equal(SmmuV2TranslationStatus.Translated, h.Translate(Sid, Iova, attributes: new DmaAttributes { Privileged = true }).Status);
        Assert.Equal(SmmuV2Fault.Permission, h.Translate(Sid, Iova).Fault);

        h.Cb(0, SMMU_CBn_FSR, FSR_FAULT);
        h.Gr0(SMMU_S2CR0, h.Gr0(SMMU_S2CR0) | (3u << S2CR_PRIVCFG_Shift));
        Assert.Equal(SmmuV2TranslationStatus.Translated, h.Translate(Sid, Iova).Status);
    }

    [Fact]
    public void Fault_NoExec_InstructionFetchRefused()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.SetUpStage1(Sid);
        h.Map(t, Iova, Data, 0x1000, Rw | IommuProt.NoExec);
        Assert.Equal(SmmuV2TranslationStatus.Translated, h.Translate(Sid, Iova).Status);
        Assert.Equal(SmmuV2Fault.Permission, h.Translate(Sid, Iova, attributes: new DmaAttributes { Instruction = true }).Fault);
        Assert.Equal(FSYNR0_IND, h.Cb(0, SMMU_CBn_FSYNR0) & FSYNR0_IND);
    }

    [Fact]
    public void Fault_AccessFlagClear_AccessFlagFault()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.SetUpStage1(Sid);
        h.Map(t, Iova, Data, 0x1000, Rw);
        ulong pte = LeafPte(h, t, Iova);
        h.Poke(pte, h.Peek(pte) & ~ArmLpaePte.Af);
        Assert.Equal(SmmuV2Fault.AccessFlag, h.Translate(Sid, Iova).Fault);
        Assert.Equal(FSR_AFF, h.Cb(0, SMMU_CBn_FSR) & 0xFF);
    }

    [Fact]
    public void Fault_TableOutsideMemory_ExternalFault()
    {
        var h = new SmmuV2Harness();
        h.SetUpStage1(Sid);
        h.Cb64(0, SMMU_CBn_TTBR0, 0x40_0000_0000UL | ((ulong)0 << 48));
        Assert.Equal(SmmuV2Fault.External, h.Translate(Sid, Iova).Fault);
        Assert.Equal(FSR_EF, h.Cb(0, SMMU_CBn_FSR) & 0xFF);
        Assert.Equal(0u, h.Cb(0, SMMU_CBn_FSYNR0) & FSYNR0_PLVL_Mask);
    }

    [Fact]
    public void Fault_OutputBeyondPasize_AddressSizeFault()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.SetUpStage1(Sid);
        h.Map(t, Iova, 0x10_0000_0000, 0x1000, Rw);
        h.Cb(0, SMMU_CBn_TCR2, (h.Cb(0, SMMU_CBn_TCR2) & ~0xFu) | 0); // PASIZE 32 bits
        Assert.Equal(SmmuV2Fault.AddressSize, h.Translate(Sid, Iova).Fault);
        Assert.Equal(FSR_ASF, h.Cb(0, SMMU_CBn_FSR) & 0xFF);
        Assert.Equal(3u, h.Cb(0, SMMU_CBn_FSYNR0) & FSYNR0_PLVL_Mask);
    }

    [Fact]
    public void Fault_CfreClear_RazWiButStillRecorded()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.SetUpStage1(Sid);
        h.Cb(0, SMMU_CBn_SCTLR, h.Cb(0, SMMU_CBn_SCTLR) & ~(SCTLR_CFRE | SCTLR_CFIE));
        byte[] buffer = [5, 5, 5];
        Assert.Equal(DmaStatus.Ok, h.Smmu.DmaRead(Sid, 0x2000_0000, buffer, default));
        Assert.Equal(new byte[3], buffer);
        Assert.Equal(FSR_TF, h.Cb(0, SMMU_CBn_FSR) & 0xFF);
        Assert.False(h.Smmu.ContextInterruptPending(0)); // CFIE clear
        Assert.Equal(SmmuV2TranslationStatus.FaultRazWi, h.Translate(Sid, 0x2000_0000).Status);

        h.Cb(0, SMMU_CBn_SCTLR, h.Cb(0, SMMU_CBn_SCTLR) | SCTLR_CFIE);
        Assert.True(h.Smmu.ContextInterruptPending(0)); // the recorded fault now interrupts
    }

    [Fact]
    public void Fault_FsrRestore_SetsFsrDirectly()
    {
        var h = new SmmuV2Harness();
        h.SetUpStage1(Sid);
        h.Cb(0, SMMU_CBn_FSRRESTORE, FSR_PF | FSR_MULTI);
        Assert.Equal(FSR_PF | FSR_MULTI, h.Cb(0, SMMU_CBn_FSR));
        Assert.True(h.Smmu.ContextInterruptPending(0));
    }

    [Fact]
    public void Fault_SmmuV1_IrptndxRoutesTheContextInterrupt()
    {
        var f = new SmmuV2Features
        {
            ArchitectureVersion = 1,
            Granule4K = false,
            Granule64K = false,
            Vmid16 = false,
            ContextBanks = 4,
            Stage2ContextBanks = 4,
            ContextInterrupts = 2,
        };
        var h = new SmmuV2Harness(f);
        ArmLpaeIoPageTable t = h.CreateTable(ArmLpaeFormat.Arm32LpaeS1, ias: 32, oas: 40);
        h.ProgramStage1(3, t, aarch64: false);
        Assert.Equal(0u, h.Gr1(SMMU_CBA2R0 + 12)); // no CBA2R on SMMUv1
        h.Gr1(SMMU_CBAR0 + 12, h.Gr1(SMMU_CBAR0 + 12) | (1u << CBAR_IRPTNDX_Shift));
        h.MapStream(0, Sid, 0, 3);
        h.Enable();
        h.Map(t, 0x1000, Data, 0x1000, Rw);
        Assert.Equal(Data, h.Translate(Sid, 0x1000).OutputAddress);

        Assert.Equal(SmmuV2Fault.Translation, h.Translate(Sid, 0x9000_0000).Fault);
        Assert.True(h.Smmu.ContextInterruptLinePending(1));
        Assert.False(h.Smmu.ContextInterruptLinePending(0));

        // IRPTNDX beyond NUMIRPT: unimplemented context interrupt fault.
        h.Cb(3, SMMU_CBn_FSR, FSR_FAULT);
        h.Gr1(SMMU_CBAR0 + 12, (h.Gr1(SMMU_CBAR0 + 12) & 0x00FF_FFFF) | (7u << CBAR_IRPTNDX_Shift));
        h.Translate(Sid, 0x9000_0000);
        Assert.Equal(sGFSR_UCIF, h.Gr0(SMMU_sGFSR));
    }

    [Theory]
    [InlineData(IommuProt.Read | IommuProt.Write | IommuProt.Cache, false, BusAccess.Snoop)]
    [InlineData(IommuProt.Read | IommuProt.Write | IommuProt.Cache, true, BusAccess.NoSnoop)]
    [InlineData(IommuProt.Read | IommuProt.Write, false, BusAccess.NoSnoop)]
    [InlineData(IommuProt.Read | IommuProt.Write | IommuProt.Mmio, false, BusAccess.NoSnoop)]
    public void Coherency_SnoopIffWriteBackAndNotNoSnoop(IommuProt prot, bool noSnoop, BusAccess expected)
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.SetUpStage1(Sid);
        h.Map(t, Iova, Data, 0x1000, prot);
        Assert.Equal(expected, h.Translate(Sid, Iova, attributes: new DmaAttributes { NoSnoop = noSnoop }).Access);
    }

    [Fact]
    public void Coherency_CbarBypassMemAttrNotWriteBack_NoSnoop()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.SetUpStage1(Sid);
        h.Map(t, Iova, Data, 0x1000, Rw);
        h.Gr1(SMMU_CBAR0, CBAR_TYPE_S1_TRANS_S2_BYPASS << CBAR_TYPE_Shift); // stage-2 bypass MEMATTR 0: Device
        Assert.Equal(BusAccess.NoSnoop, h.Translate(Sid, Iova).Access);
    }

    [Fact]
    public void Coherency_NoncoherentWalker_DoesNotSeeDirtyCachedTables()
    {
        var cache = new CpuCacheOptions { CapacityLines = 1 << 16 };

        // Tables written through the CPU cache without cleaning (a driver that believes the walk is coherent).
        var h = new SmmuV2Harness(coherentWalk: false, cache: cache);
        ArmLpaeIoPageTable t = h.CreateTable(ArmLpaeFormat.Arm64LpaeS1, coherent: true);
        h.ProgramStage1(0, t);
        h.MapStream(0, Sid, 0, 0);
        h.Enable();
        h.Map(t, Iova, Data, 0x1000, Rw);
        Assert.Equal(SmmuV2Fault.Translation, h.Translate(Sid, Iova).Fault);

        // Cleaning the cache makes the tables visible.
        h.Memory.Cache!.WriteBackInvalidateAll();
        h.Cb(0, SMMU_CBn_FSR, FSR_FAULT);
        Assert.Equal(SmmuV2TranslationStatus.Translated, h.Translate(Sid, Iova).Status);
    }

    [Fact]
    public void Coherency_CoherentWalker_SeesCachedTablesOnlyWithWriteBackWalkAttributes()
    {
        var h = new SmmuV2Harness(coherentWalk: true, cache: new CpuCacheOptions { CapacityLines = 1 << 16 });
        ArmLpaeIoPageTable t = h.CreateTable(ArmLpaeFormat.Arm64LpaeS1);
        h.ProgramStage1(0, t);
        h.MapStream(0, Sid, 0, 0);
        h.Enable();
        h.Map(t, Iova, Data, 0x1000, Rw);
        Assert.Equal(SmmuV2TranslationStatus.Translated, h.Translate(Sid, Iova).Status);

        // IRGN0 = ORGN0 = non-cacheable: the walk no longer snoops and misses the dirty lines.
        h.Cb(0, SMMU_CBn_TCR, h.Cb(0, SMMU_CBn_TCR) & ~((3u << TCR_IRGN0_Shift) | (3u << TCR_ORGN0_Shift)));
        h.Gr0(SMMU_TLBIALLNSNH, 0);
        h.Map(t, Iova + 0x1000, Data, 0x1000, Rw);
        Assert.Equal(SmmuV2Fault.Translation, h.Translate(Sid, Iova + 0x1000).Fault);
    }

    [Fact]
    public void Ats1pr_Success_ParHoldsPhysicalAddressAndAttributes()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.SetUpStage1(Sid);
        h.Map(t, Iova, Data, 0x1000, Rw);
        h.Cb64(0, SMMU_CBn_ATS1PR, Iova + 0x123);
        Assert.Equal(0u, h.Cb(0, SMMU_CBn_ATSR));
        ulong par = h.Cb64(0, SMMU_CBn_PAR);
        Assert.Equal(0UL, par & PAR_F);
        Assert.Equal(Data, par & 0x0000_FFFF_FFFF_F000UL);
        Assert.Equal(0xFFUL, par >> PAR_ATTR_Shift); // MAIR index 1: Normal WB
        Assert.Equal(3UL, (par >> PAR_SH_Shift) & 3); // inner shareable

        h.Cb64(0, SMMU_CBn_ATS1PR, 0x2000_0000);
        par = h.Cb64(0, SMMU_CBn_PAR);
        Assert.Equal(PAR_F | FSR_TF | (2UL << PAR_PLVL_Shift), par);
        Assert.Equal(0u, h.Cb(0, SMMU_CBn_FSR)); // ATOS faults are not recorded
    }

    [Fact]
    public void Ats1pr_NotImplemented_ParUntouched()
    {
        var h = new SmmuV2Harness(SmmuV2Features.Mmu500 with { AddressTranslationOperations = false });
        ArmLpaeIoPageTable t = h.SetUpStage1(Sid);
        h.Map(t, Iova, Data, 0x1000, Rw);
        h.Cb64(0, SMMU_CBn_ATS1PR, Iova);
        Assert.Equal(0UL, h.Cb64(0, SMMU_CBn_PAR));
    }

    /// <summary>The PA of the level-3 descriptor for <paramref name="iova"/>, found by walking the table as the CPU would.</summary>
    private static ulong LeafPte(SmmuV2Harness h, ArmLpaeIoPageTable t, ulong iova)
    {
        ulong table = t.PgdPa;
        for (int level = t.StartLevel; ; level++)
        {
            int shift = 12 + (9 * (3 - level));
            ulong pte = table + (((iova >> shift) & 0x1FF) * 8);
            if (level == 3)
            {
                return pte;
            }

            table = h.Peek(pte) & 0x0000_FFFF_FFFF_F000UL;
        }
    }
}
