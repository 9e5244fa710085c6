using IommuKit.Hardware.Dma;
using IommuKit.Hardware.Memory;
using IommuKit.Hardware.Smmu.V2;
using static IommuKit.Hardware.Smmu.V2.SmmuV2Registers;

namespace IommuKit.Hardware.Tests.Smmu.V2;

/// <summary>
/// SMR matching, S2CR types and the unmatched / conflict policies. Which S2CR a stream reached is
/// observed through disabled stage-1 context banks: a transaction through bank n with SCTLR.M = 0
/// bypasses and reports <see cref="SmmuV2Translation.ContextBank"/> = n.
/// </summary>
public sealed class SmmuV2StreamMappingTests
{
    private const ulong Address = 0x8123_4560;

    private static SmmuV2Harness WithDisabledBanks(SmmuV2Features? features = null)
    {
        var h = new SmmuV2Harness(features);
        for (int cb = 0; cb < 4; cb++)
        {
            h.Gr1(SMMU_CBAR0 + (4 * cb), CBAR_TYPE_S1_TRANS_S2_BYPASS << CBAR_TYPE_Shift | (0xFu << CBAR_MEMATTR_Shift));
        }

        return h;
    }

    [Theory]
    [InlineData(0x10u, 0x0u, 0x10u, true)]
    [InlineData(0x10u, 0x0u, 0x11u, false)]
    [InlineData(0x10u, 0xFu, 0x10u, true)]
    [InlineData(0x10u, 0xFu, 0x1Fu, true)]
    [InlineData(0x10u, 0xFu, 0x20u, false)]
    [InlineData(0x10u, 0xFu, 0x0Fu, false)]
    [InlineData(0x100u, 0x7F00u, 0x4300u, true)] // masked high bits: any X00
    [InlineData(0x100u, 0x7F00u, 0x4301u, false)]
    [InlineData(0x0u, 0x7FFFu, 0x7FFFu, true)] // everything matches
    [InlineData(0x1234u, 0x0u, 0x1234u | 0x8000u, false)] // wider than NUMSIDB = 15: no SMR can match
    [InlineData(0x5u, 0x2u, 0x7u, true)] // bit 1 ignored
    [InlineData(0x5u, 0x2u, 0x4u, false)]
    public void Smr_MaskSemantics_MatchIffUnmaskedBitsEqual(uint id, uint mask, uint streamId, bool matches)
    {
        SmmuV2Harness h = WithDisabledBanks();
        h.MapStream(0, id, mask, cb: 2);
        h.Enable();

        SmmuV2Translation r = h.Translate(streamId, Address);

        if (matches)
        {
            Assert.Equal((SmmuV2TranslationStatus.Bypassed, 2, Address), (r.Status, r.ContextBank, r.OutputAddress));
        }
        else
        {
            Assert.Equal((SmmuV2TranslationStatus.FaultAbort, SmmuV2Fault.UnidentifiedStream), (r.Status, r.Fault));
        }
    }

    [Fact]
    public void Smr_Invalid_NeverMatches()
    {
        SmmuV2Harness h = WithDisabledBanks();
        h.MapStream(0, 0x10, 0, cb: 1);
        h.Gr0(SMMU_SMR0, 0x10); // VALID clear
        h.Enable();
        Assert.Equal(SmmuV2Fault.UnidentifiedStream, h.Translate(0x10, Address).Fault);
    }

    [Fact]
    public void Unmatched_UsfcfgSet_RecordsGlobalFault()
    {
        SmmuV2Harness h = WithDisabledBanks();
        h.Enable();
        int raised = 0;
        h.Smmu.GlobalInterruptRaised += () => raised++;

        SmmuV2Translation r = h.Translate(0x77, Address, write: true, new DmaAttributes { Privileged = true });

        Assert.Equal((SmmuV2TranslationStatus.FaultAbort, SmmuV2Fault.UnidentifiedStream, -1), (r.Status, r.Fault, r.ContextBank));
        Assert.Equal(sGFSR_USF, h.Gr0(SMMU_sGFSR));
        Assert.Equal(0x77u, h.Gr0(SMMU_sGFSYNR1) & 0xFFFF);
        Assert.Equal(sGFSYNR0_WNR | sGFSYNR0_PNU, h.Gr0(SMMU_sGFSYNR0));
        Assert.Equal(Address, h.Gr0(SMMU_sGFAR) | ((ulong)h.Gr0(SMMU_sGFAR + 4) << 32));
        Assert.True(h.Smmu.GlobalInterruptPending);
        Assert.Equal(1, raised);

        // A second fault only sets MULTI; the syndrome keeps the first.
        h.Translate(0x78, Address + 0x1000);
        Assert.Equal(sGFSR_USF | sGFSR_MULTI, h.Gr0(SMMU_sGFSR));
        Assert.Equal(0x77u, h.Gr0(SMMU_sGFSYNR1));
        Assert.Equal(1, raised);

        // Write-1-to-clear, as arm_smmu_global_fault does.
        h.Gr0(SMMU_sGFSR, h.Gr0(SMMU_sGFSR));
        Assert.Equal(0u, h.Gr0(SMMU_sGFSR));
        Assert.False(h.Smmu.GlobalInterruptPending);
    }

    [Fact]
    public void Unmatched_GfreClear_TerminatesRazWi()
    {
        SmmuV2Harness h = WithDisabledBanks();
        h.Gr0(SMMU_sCR0, sCR0_USFCFG);
        h.Poke(Address & ~7UL, 0x1122_3344_5566_7788);

        byte[] buffer = [1, 2, 3, 4];
        Assert.Equal(DmaStatus.Ok, h.Smmu.DmaRead(9, Address, buffer, default));
        Assert.Equal(new byte[4], buffer);
        Assert.Equal(DmaStatus.Ok, h.Smmu.DmaWrite(9, Address, new byte[] { 9, 9 }, default));
        Assert.Equal(0x1122_3344_5566_7788UL, h.Peek(Address & ~7UL));
        Assert.Equal(sGFSR_USF | sGFSR_MULTI, h.Gr0(SMMU_sGFSR));
        Assert.False(h.Smmu.GlobalInterruptPending); // GFIE clear
    }

    [Fact]
    public void Unmatched_UsfcfgClear_Bypasses()
    {
        SmmuV2Harness h = WithDisabledBanks();
        h.Enable(unmatchedFault: false);
        SmmuV2Translation r = h.Translate(0x1234, Address);
        Assert.Equal((SmmuV2TranslationStatus.Bypassed, Address, BusAccess.Snoop), (r.Status, r.OutputAddress, r.Access));
        Assert.Equal(BusAccess.NoSnoop, h.Translate(0x1234, Address, attributes: DmaAttributes.NonCoherent).Access);
        Assert.Equal(0u, h.Gr0(SMMU_sGFSR));
    }

    [Fact]
    public void ClientPd_BypassesEverything()
    {
        SmmuV2Harness h = WithDisabledBanks();
        h.MapStream(0, 0x10, 0, cb: 1);
        h.Gr0(SMMU_S2CR0 + 4, S2CR_TYPE_FAULT << S2CR_TYPE_Shift);
        h.Gr0(SMMU_SMR0 + 4, SMR_VALID | 0x20);
        h.Enable(extra: sCR0_CLIENTPD);

        foreach (uint sid in new uint[] { 0x10, 0x20, 0x30, 0xFFFF_FFFF })
        {
            SmmuV2Translation r = h.Translate(sid, Address);
            Assert.Equal((SmmuV2TranslationStatus.Bypassed, Address, -1), (r.Status, r.OutputAddress, r.ContextBank));
        }

        Assert.Equal(0u, h.Gr0(SMMU_sGFSR));
    }

    [Fact]
    public void ClientPd_MtcfgOverride_DecidesSnoop()
    {
        var h = new SmmuV2Harness();
        h.Gr0(SMMU_sCR0, sCR0_CLIENTPD | sCR0_MTCFG | (0x5u << sCR0_MemAttr_Shift)); // Normal non-cacheable
        Assert.Equal(BusAccess.NoSnoop, h.Translate(1, Address).Access);
        h.Gr0(SMMU_sCR0, sCR0_CLIENTPD | sCR0_MTCFG | (0xFu << sCR0_MemAttr_Shift)); // Normal WB
        Assert.Equal(BusAccess.Snoop, h.Translate(1, Address).Access);
    }

    [Fact]
    public void Conflict_SmcfcfgSet_StreamMatchConflictFault()
    {
        SmmuV2Harness h = WithDisabledBanks();
        h.MapStream(3, 0x10, 0xF, cb: 1);
        h.MapStream(5, 0x14, 0x0, cb: 2);
        h.Enable();

        Assert.Equal(1, h.Translate(0x11, Address).ContextBank); // only SMR 3
        SmmuV2Translation r = h.Translate(0x14, Address);
        Assert.Equal((SmmuV2TranslationStatus.FaultAbort, SmmuV2Fault.StreamMatchConflict), (r.Status, r.Fault));
        Assert.Equal(sGFSR_SMCF, h.Gr0(SMMU_sGFSR));
        Assert.Equal(0x14u, h.Gr0(SMMU_sGFSYNR1));
    }

    [Fact]
    public void Conflict_SmcfcfgClear_LowestSmrWins()
    {
        SmmuV2Harness h = WithDisabledBanks();
        h.MapStream(3, 0x10, 0xF, cb: 1);
        h.MapStream(5, 0x14, 0x0, cb: 2);
        h.Gr0(SMMU_sCR0, sCR0_GFRE | sCR0_USFCFG);
        Assert.Equal(1, h.Translate(0x14, Address).ContextBank);
        Assert.Equal(0u, h.Gr0(SMMU_sGFSR));
    }

    [Fact]
    public void Smr_ImplementedBits_DiscoveredByWritingAllOnes()
    {
        // arm_smmu_test_smr_masks: write ID = all ones, read back; then MASK = all ones, read back.
        var h = new SmmuV2Harness(SmmuV2Features.Mmu500 with { SmrMaskBits = 10 });
        h.Gr0(SMMU_SMR0, 0xFFFF);
        Assert.Equal(0x7FFFu, h.Gr0(SMMU_SMR0) & 0xFFFF);
        h.Gr0(SMMU_SMR0, 0x7FFFu << SMR_MASK_Shift);
        Assert.Equal(0x3FFu, h.Gr0(SMMU_SMR0) >> SMR_MASK_Shift);
        h.Gr0(SMMU_SMR0, 0xFFFF_FFFF);
        Assert.Equal(SMR_VALID | (0x3FFu << 16) | 0x7FFF, h.Gr0(SMMU_SMR0));
    }

    [Fact]
    public void Smr_FewerStreamIdBits_UnimplementedBitsReadZero()
    {
        var h = new SmmuV2Harness(SmmuV2Features.Mmu500 with { StreamIdBits = 10 });
        h.Gr0(SMMU_SMR0, 0xFFFF_FFFF);
        Assert.Equal(SMR_VALID | (0x3FFu << 16) | 0x3FF, h.Gr0(SMMU_SMR0));
    }

    [Fact]
    public void ExtendedIds_Enabled_SixteenBitIdsAndS2crExidValid()
    {
        SmmuV2Harness h = WithDisabledBanks(SmmuV2Features.Mmu500 with { ExtendedStreamIds = true });
        h.Enable(extra: sCR0_EXIDENABLE);
        Assert.Equal(sCR0_EXIDENABLE, h.Gr0(SMMU_sCR0) & sCR0_EXIDENABLE);

        // Discovery: 16 ID bits and 16 mask bits; bit 31 is MASK[15], not VALID.
        h.Gr0(SMMU_SMR0, 0xFFFF);
        Assert.Equal(0xFFFFu, h.Gr0(SMMU_SMR0));
        h.Gr0(SMMU_SMR0, 0xFFFF_0000);
        Assert.Equal(0xFFFF_0000u, h.Gr0(SMMU_SMR0));

        h.Gr0(SMMU_SMR0, 0x8001);
        h.Gr0(SMMU_S2CR0, (S2CR_TYPE_TRANS << S2CR_TYPE_Shift) | 3);
        Assert.Equal(SmmuV2Fault.UnidentifiedStream, h.Translate(0x8001, Address).Fault); // EXIDVALID clear
        h.Gr0(SMMU_sGFSR, 0xFFFF_FFFF);
        h.Gr0(SMMU_S2CR0, (S2CR_TYPE_TRANS << S2CR_TYPE_Shift) | S2CR_EXIDVALID | 3);
        Assert.Equal(3, h.Translate(0x8001, Address).ContextBank);

        // A mask in bit 31 (MASK[15]) masks ID bit 15.
        h.Gr0(SMMU_SMR0, 0x8000_0001);
        Assert.Equal(3, h.Translate(0x0001, Address).ContextBank);
    }

    [Fact]
    public void ExtendedIds_NotImplemented_ExidEnableAndExidValidReadZero()
    {
        var h = new SmmuV2Harness();
        h.Gr0(SMMU_sCR0, sCR0_EXIDENABLE);
        Assert.Equal(0u, h.Gr0(SMMU_sCR0) & sCR0_EXIDENABLE);
        h.Gr0(SMMU_S2CR0, S2CR_EXIDVALID);
        Assert.Equal(0u, h.Gr0(SMMU_S2CR0));
    }

    [Fact]
    public void StreamIndexing_S2crIndexedByStreamId()
    {
        var f = SmmuV2Features.Mmu500 with { StreamMatching = false, StreamIdBits = 6 };
        SmmuV2Harness h = WithDisabledBanks(f);
        h.Gr0(SMMU_S2CR0 + (4 * 37), (S2CR_TYPE_TRANS << S2CR_TYPE_Shift) | 2);
        h.Gr0(SMMU_S2CR0 + (4 * 38), S2CR_TYPE_BYPASS << S2CR_TYPE_Shift);
        h.Enable();

        Assert.Equal(2, h.Translate(37, Address).ContextBank);
        Assert.Equal((SmmuV2TranslationStatus.Bypassed, -1), (h.Translate(38, Address).Status, h.Translate(38, Address).ContextBank));
        Assert.Equal(SmmuV2Fault.InvalidContext, h.Translate(39, Address).Fault); // reset S2CR: fault
        h.Gr0(SMMU_sGFSR, 0xFFFF_FFFF);
        Assert.Equal(SmmuV2Fault.UnidentifiedStream, h.Translate(64, Address).Fault); // beyond 2^NUMSIDB
        Assert.Equal(0u, h.Gr0(SMMU_SMR0)); // no SMRs: GR0 0x800 reads as zero
    }

    [Theory]
    [InlineData(S2CR_TYPE_FAULT, SmmuV2Fault.InvalidContext, sGFSR_ICF)]
    [InlineData(3u, SmmuV2Fault.InvalidContext, sGFSR_ICF)]
    public void S2cr_FaultTypes_InvalidContextFault(uint type, SmmuV2Fault fault, uint gfsr)
    {
        SmmuV2Harness h = WithDisabledBanks();
        h.MapStream(0, 0x10, 0, cb: 0);
        h.Gr0(SMMU_S2CR0, type << S2CR_TYPE_Shift);
        h.Enable();
        Assert.Equal((SmmuV2TranslationStatus.FaultAbort, fault), (h.Translate(0x10, Address).Status, h.Translate(0x10, Address).Fault));
        Assert.Equal(gfsr, h.Gr0(SMMU_sGFSR) & ~sGFSR_MULTI);
    }

    [Fact]
    public void S2cr_Bypass_PassesThroughWithOptionalAttributeOverride()
    {
        SmmuV2Harness h = WithDisabledBanks();
        h.MapStream(0, 0x10, 0, cb: 0);
        h.Gr0(SMMU_S2CR0, S2CR_TYPE_BYPASS << S2CR_TYPE_Shift);
        h.Enable();
        SmmuV2Translation r = h.Translate(0x10, Address);
        Assert.Equal((SmmuV2TranslationStatus.Bypassed, Address, BusAccess.Snoop, -1), (r.Status, r.OutputAddress, r.Access, r.ContextBank));

        h.Gr0(SMMU_S2CR0, (S2CR_TYPE_BYPASS << S2CR_TYPE_Shift) | S2CR_MTCFG | (0x4u << S2CR_MEMATTR_Shift));
        Assert.Equal(BusAccess.NoSnoop, h.Translate(0x10, Address).Access);
    }

    [Fact]
    public void S2cr_TranslateToUnimplementedBank_UnimplementedContextBankFault()
    {
        var h = new SmmuV2Harness();
        h.MapStream(0, 0x10, 0, cb: 16);
        h.Enable();
        Assert.Equal(SmmuV2Fault.UnimplementedContextBank, h.Translate(0x10, Address).Fault);
        Assert.Equal(sGFSR_UCBF, h.Gr0(SMMU_sGFSR));
    }

    [Fact]
    public void S2cr_Reprogrammed_TakesEffectAtOnce()
    {
        SmmuV2Harness h = WithDisabledBanks();
        h.MapStream(0, 0x10, 0, cb: 1);
        h.Enable();
        Assert.Equal(1, h.Translate(0x10, Address).ContextBank);
        h.Gr0(SMMU_S2CR0, (S2CR_TYPE_TRANS << S2CR_TYPE_Shift) | 3);
        Assert.Equal(3, h.Translate(0x10, Address).ContextBank);
        h.Gr0(SMMU_SMR0, SMR_VALID | 0x11);
        Assert.Equal(3, h.Translate(0x11, Address).ContextBank);
        Assert.Equal(SmmuV2Fault.UnidentifiedStream, h.Translate(0x10, Address).Fault);
    }
}
