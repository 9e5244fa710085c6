using IommuKit.Hardware.Memory;
using IommuKit.Hardware.Smmu.V2;
using static IommuKit.Hardware.Smmu.V2.SmmuV2Registers;

namespace IommuKit.Hardware.Tests.Smmu.V2;

public sealed class SmmuV2IdRegisterTests
{
    [Fact]
    public void Idr0_Mmu500_EncodesEveryField()
    {
        // NUMSMRG 48, NUMSIDB 15 [12:9], CTTW 14, NUMIRPT 16 [23:16], PTFS 0b01 [25:24], SMS 27, NTS 28, S2TS 29, S1TS 30.
        Assert.Equal(0x7910_5E30u, SmmuV2Features.Mmu500.Idr0);
    }

    [Fact]
    public void Idr1_Mmu500_EncodesEveryField()
    {
        // NUMCB 16, NUMS2CB 16 [23:16], NUMPAGENDXB 3 [30:28] (16 pages), PAGESIZE 0 (4K).
        Assert.Equal(0x3010_0010u, SmmuV2Features.Mmu500.Idr1);
    }

    [Fact]
    public void Idr2_Mmu500_EncodesEveryField()
    {
        // IAS 48 → 5, OAS 48 → 5 [7:4], UBS 49 → 5 [11:8], PTFS_4K 12, PTFS_64K 14, VMID16 15.
        Assert.Equal(0xD555u, SmmuV2Features.Mmu500.Idr2);
    }

    public static TheoryData<SmmuV2Features, uint, uint, uint> Vectors => new()
    {
        // Stream indexing, 6 SID bits, stage 2 only, no ATOS, AArch64 only, 64K register pages.
        {
            new SmmuV2Features
            {
                StreamMatching = false, StreamIdBits = 6, Stage1 = false, Nested = false, ContextBanks = 4, Stage2ContextBanks = 4,
                AddressTranslationOperations = false, Aarch32LongDescriptor = false, CoherentTableWalk = false, PageShift = 16,
                InputAddressBits = 40, OutputAddressBits = 44, UpstreamBusBits = 64, Granule4K = true, Granule16K = true, Granule64K = false,
                Vmid16 = false, ContextInterrupts = 2,
            },
            (6u << 9) | (2u << 16) | IDR0_PTFS_NO_AARCH32 | IDR0_ATOSNS | IDR0_S2TS,
            4u | (4u << 16) | (1u << 28) | IDR1_PAGESIZE,
            2u | (4u << 4) | (0xFu << 8) | IDR2_PTFS_4K | IDR2_PTFS_16K
        },

        // Extended stream IDs, 128 SMRGs, 128 context banks of which 8 are stage-2 capable.
        {
            new SmmuV2Features
            {
                ExtendedStreamIds = true, StreamMatchRegisterGroups = 128, ContextBanks = 128, Stage2ContextBanks = 8,
                InputAddressBits = 32, OutputAddressBits = 36, UpstreamBusBits = 32,
            },
            128u | IDR0_EXIDS | (15u << 9) | IDR0_CTTW | (128u << 16) | IDR0_PTFS_NO_AARCH32S | IDR0_SMS | IDR0_NTS | IDR0_S2TS | IDR0_S1TS,
            128u | (8u << 16) | (6u << 28),
            0u | (1u << 4) | (0u << 8) | IDR2_PTFS_4K | IDR2_PTFS_64K | IDR2_VMID16
        },

        // Stage 1 only (MMU-401-like), 3 context banks: NUMPAGE rounds up to 4.
        {
            new SmmuV2Features
            {
                Stage2 = false, Nested = false, ContextBanks = 3, Stage2ContextBanks = 0, StreamMatchRegisterGroups = 16,
                InputAddressBits = 42, OutputAddressBits = 40, UpstreamBusBits = 44, Vmid16 = false,
            },
            16u | (15u << 9) | IDR0_CTTW | (3u << 16) | IDR0_PTFS_NO_AARCH32S | IDR0_SMS | IDR0_S1TS,
            3u | (1u << 28),
            3u | (2u << 4) | (4u << 8) | IDR2_PTFS_4K | IDR2_PTFS_64K
        },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void IdRegisters_FeatureRecord_ReadBackExactly(SmmuV2Features features, uint idr0, uint idr1, uint idr2)
    {
        Assert.Equal(idr0, features.Idr0);
        Assert.Equal(idr1, features.Idr1);
        Assert.Equal(idr2, features.Idr2);

        var h = new SmmuV2Harness(features);
        Assert.Equal(idr0, h.Gr0(SMMU_IDR0));
        Assert.Equal(idr1, h.Gr0(SMMU_IDR1));
        Assert.Equal(idr2, h.Gr0(SMMU_IDR2));
    }

    [Fact]
    public void IdRegisters_Writes_Ignored()
    {
        var h = new SmmuV2Harness(SmmuV2Features.Mmu500 with { ImplementationRevision = 0x21 });
        foreach (int reg in new[] { SMMU_IDR0, SMMU_IDR1, SMMU_IDR2, SMMU_IDR3, SMMU_IDR7 })
        {
            uint before = h.Gr0(reg);
            h.Gr0(reg, 0xFFFF_FFFF);
            Assert.Equal(before, h.Gr0(reg));
        }

        Assert.Equal(0x21u, h.Gr0(SMMU_IDR7));
        Assert.Equal(0u, h.Gr0(SMMU_IDR3));
    }

    [Theory]
    [InlineData(12, 16, 0x10000UL, 0x20000UL)] // 16 CBs, 4K pages: CB0 at page 16, space 32 pages
    [InlineData(16, 16, 0x100000UL, 0x200000UL)] // 64K pages
    [InlineData(12, 1, 0x2000UL, 0x4000UL)] // one CB still needs GR0 + GR1: NUMPAGE 2
    [InlineData(12, 100, 0x80000UL, 0x100000UL)] // NUMPAGE rounds up to 128
    public void Layout_ContextBanksStartAtNumPage(int pageShift, int banks, ulong cb0, ulong size)
    {
        var f = SmmuV2Features.Mmu500 with { PageShift = pageShift, ContextBanks = banks, Stage2ContextBanks = banks };
        var smmu = new SmmuV2(new PhysicalMemory(), f, coherentWalk: true);
        Assert.Equal(cb0, smmu.ContextBankOffset(0));
        Assert.Equal(cb0 + (1UL << pageShift), banks > 1 ? smmu.ContextBankOffset(1) : cb0 + (1UL << pageShift));
        Assert.Equal(size, smmu.RegisterSpaceSize);

        // What Linux computes: numpage = 1 << (NUMPAGENDXB + 1), CB base = numpage << pgshift.
        uint idr1 = f.Idr1;
        ulong numpage = 1UL << (int)(((idr1 >> IDR1_NUMPAGENDXB_Shift) & 7) + 1);
        int pgshift = (idr1 & IDR1_PAGESIZE) != 0 ? 16 : 12;
        Assert.Equal(cb0, numpage << pgshift);
    }

    public static TheoryData<SmmuV2Features> Invalid => new()
    {
        SmmuV2Features.Mmu500 with { ArchitectureVersion = 3 },
        SmmuV2Features.Mmu500 with { PageShift = 13 },
        SmmuV2Features.Mmu500 with { ContextBanks = 0 },
        SmmuV2Features.Mmu500 with { ContextBanks = 129 },
        SmmuV2Features.Mmu500 with { Stage2ContextBanks = 17 },
        SmmuV2Features.Mmu500 with { Stage1 = false, Stage2 = false, Nested = false },
        SmmuV2Features.Mmu500 with { Stage1 = false },
        SmmuV2Features.Mmu500 with { StreamIdBits = 16 },
        SmmuV2Features.Mmu500 with { StreamMatchRegisterGroups = 0 },
        SmmuV2Features.Mmu500 with { StreamMatching = false, StreamIdBits = 9 },
        SmmuV2Features.Mmu500 with { StreamMatching = false, ExtendedStreamIds = true, StreamIdBits = 4 },
        SmmuV2Features.Mmu500 with { InputAddressBits = 52 },
        SmmuV2Features.Mmu500 with { UpstreamBusBits = 48 },
        SmmuV2Features.Mmu500 with { TlbEntries = 1000 },
        SmmuV2Features.Mmu500 with { ArchitectureVersion = 1 },
        SmmuV2Features.Mmu500 with { Granule4K = false, Granule64K = false, Aarch32LongDescriptor = false },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Constructor_UnbuildableFeatures_Throws(SmmuV2Features features)
    {
        Assert.Throws<ArgumentException>(() => new SmmuV2(new PhysicalMemory(), features, coherentWalk: false));
    }

    [Fact]
    public void Reset_State_ClientsBypassAndSmcfcfgSet()
    {
        var h = new SmmuV2Harness();
        Assert.Equal(sCR0_CLIENTPD | sCR0_SMCFCFG, h.Gr0(SMMU_sCR0));
        Assert.Equal(S2CR_TYPE_FAULT << S2CR_TYPE_Shift, h.Gr0(SMMU_S2CR0 + 4));
        Assert.Equal(0u, h.Gr0(SMMU_SMR0));
        Assert.Equal(0u, h.Cb(0, SMMU_CBn_SCTLR));
    }
}
