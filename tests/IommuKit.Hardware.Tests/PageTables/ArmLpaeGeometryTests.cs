using IommuKit.Hardware.PageTables;
using IommuKit.Hardware.PageTables.ArmLpae;

namespace IommuKit.Hardware.Tests.PageTables;

public sealed class ArmLpaeGeometryTests
{
    // hardware-iommus.md §1.2, "Worked geometry (stage 1, no concatenation)".
    [Theory]
    [InlineData(Sizes.Arm4K, 32, 1, 4)]
    [InlineData(Sizes.Arm4K, 36, 1, 64)]
    [InlineData(Sizes.Arm4K, 40, 0, 2)]
    [InlineData(Sizes.Arm4K, 42, 0, 8)]
    [InlineData(Sizes.Arm4K, 44, 0, 32)]
    [InlineData(Sizes.Arm4K, 48, 0, 512)]
    [InlineData(Sizes.Arm16K, 32, 2, 128)]
    [InlineData(Sizes.Arm16K, 36, 2, 2048)]
    [InlineData(Sizes.Arm16K, 40, 1, 16)]
    [InlineData(Sizes.Arm16K, 42, 1, 64)]
    [InlineData(Sizes.Arm16K, 44, 1, 256)]
    [InlineData(Sizes.Arm16K, 48, 0, 2)]
    [InlineData(Sizes.Arm64K, 32, 2, 8)]
    [InlineData(Sizes.Arm64K, 36, 2, 128)]
    [InlineData(Sizes.Arm64K, 40, 2, 2048)]
    [InlineData(Sizes.Arm64K, 42, 2, 8192)]
    [InlineData(Sizes.Arm64K, 44, 1, 4)]
    [InlineData(Sizes.Arm64K, 48, 1, 64)]
    public void TryCreate_Stage1_StartLevelAndPgdEntries(ulong pgsizes, int ias, int startLevel, int pgdEntries)
    {
        var h = new PageTableHarness(PageTableHarness.S1(ias: ias, oas: 48, pgsizes: pgsizes));

        Assert.Equal(PageTableStatus.Ok, h.Status);
        Assert.Equal(startLevel, h.T.StartLevel);
        Assert.Equal(4 - startLevel, h.T.Levels);
        Assert.Equal(pgdEntries, 1 << h.T.PgdBits);
        Assert.Equal(pgsizes, h.T.PgsizeBitmap);
        Assert.Equal(0UL, h.T.PgdPa & (Math.Max(h.T.PgdSize, 64) - 1));
    }

    // §1.3 examples, current ("mandatory") rule, with VTCR.SL0 as Linux computes it.
    [Theory]
    [InlineData(Sizes.Arm4K, 40, 40, 1, 1024, 1)]
    [InlineData(Sizes.Arm4K, 40, 48, 0, 2, 2)]
    [InlineData(Sizes.Arm4K, 42, 42, 1, 4096, 1)]
    [InlineData(Sizes.Arm4K, 48, 48, 0, 512, 2)]
    [InlineData(Sizes.Arm4K, 32, 40, 1, 4, 1)]
    [InlineData(Sizes.Arm4K, 36, 48, 1, 64, 1)]
    [InlineData(Sizes.Arm16K, 48, 48, 1, 4096, 2)]
    [InlineData(Sizes.Arm16K, 40, 40, 2, 32768, 1)]
    [InlineData(Sizes.Arm16K, 40, 48, 1, 16, 2)]
    [InlineData(Sizes.Arm16K, 36, 40, 2, 2048, 1)]
    [InlineData(Sizes.Arm64K, 48, 48, 1, 64, 2)]
    [InlineData(Sizes.Arm64K, 40, 40, 2, 2048, 1)]
    public void TryCreate_Stage2_ConcatenationAndSl0(ulong pgsizes, int ias, int oas, int startLevel, int pgdEntries, int sl0)
    {
        var h = new PageTableHarness(PageTableHarness.S2(ias: ias, oas: oas, pgsizes: pgsizes));

        Assert.Equal(PageTableStatus.Ok, h.Status);
        Assert.Equal(startLevel, h.T.StartLevel);
        Assert.Equal(pgdEntries, 1 << h.T.PgdBits);
        Assert.Equal(sl0, h.T.Vtcr.Sl);
        Assert.Equal(64 - ias, h.T.Vtcr.Tsz);

        // The walker derives the same start level from SL0 (Arm ARM), concatenation included.
        ArmLpaeWalkConfig w = ArmLpaeWalkConfig.FromS2(h.T.Vtcr.Tsz, h.T.Vtcr.Sl, h.T.Vtcr.Tg, h.T.Vtcr.Ps, h.T.Ttbr, default);
        Assert.True(w.IsValid);
        Assert.Equal(startLevel, w.StartLevel);
        Assert.Equal(pgdEntries, w.StartTableEntries);
    }

    [Theory]
    [InlineData(12, 0, 2)]
    [InlineData(12, 1, 1)]
    [InlineData(12, 2, 0)]
    [InlineData(12, 3, -1)]
    [InlineData(14, 0, 3)]
    [InlineData(14, 1, 2)]
    [InlineData(14, 2, 1)]
    [InlineData(16, 1, 2)]
    [InlineData(16, 2, 1)]
    [InlineData(16, 3, -1)]
    public void S2StartLevel_FromSl0_AsArmArm(int granuleShift, int sl0, int level)
    {
        Assert.Equal(level, ArmLpaeWalkConfig.S2StartLevel(sl0, granuleShift));
    }

    [Fact]
    public void TryCreate_Stage2_48BitIasWith40BitOas_Invalid()
    {
        // 4K, ias 48 → level-0 table of 512 entries; oas 40 makes concatenation mandatory: refused.
        Assert.Equal(PageTableStatus.Invalid, new PageTableHarness(PageTableHarness.S2(ias: 48, oas: 40)).Status);
    }

    [Fact]
    public void TryCreate_Stage2_TooManyConcatenatedTables_Invalid()
    {
        // 4K, ias 44 → level-0 table of 32 entries; oas 40 makes concatenation mandatory but 32 > 16.
        var h = new PageTableHarness(PageTableHarness.S2(ias: 44, oas: 40));
        Assert.Equal(PageTableStatus.Invalid, h.Status);
        Assert.Null(h.Table);
    }

    [Theory]
    [InlineData(true, 0x0000_0005_0000_3510UL)]
    [InlineData(false, 0x0000_0005_0000_2010UL)]
    public void TryCreate_Stage1_TcrAndMair(bool coherent, ulong tcrValue)
    {
        var h = new PageTableHarness(PageTableHarness.S1(ias: 48, oas: 48, coherent: coherent));
        ArmLpaeTcr tcr = h.T.Tcr;
        Assert.Equal(16, tcr.Tsz);
        Assert.Equal(coherent ? 3 : 2, tcr.Sh);
        Assert.Equal(coherent ? 1 : 0, tcr.Irgn);
        Assert.Equal(coherent ? 1 : 0, tcr.Orgn);
        Assert.Equal(0, tcr.Tg);
        Assert.Equal(5, tcr.Ips);
        Assert.Equal(tcrValue, tcr.Value);
        Assert.Equal(0xF404FF44UL, h.T.Mair);
        Assert.Equal(h.T.PgdPa, h.T.Ttbr);
    }

    [Theory]
    [InlineData(Sizes.Arm4K, ArmLpaeQuirks.None, 0)]
    [InlineData(Sizes.Arm16K, ArmLpaeQuirks.None, 2)]
    [InlineData(Sizes.Arm64K, ArmLpaeQuirks.None, 1)]
    [InlineData(Sizes.Arm4K, ArmLpaeQuirks.ArmTtbr1, 2)]
    [InlineData(Sizes.Arm16K, ArmLpaeQuirks.ArmTtbr1, 1)]
    [InlineData(Sizes.Arm64K, ArmLpaeQuirks.ArmTtbr1, 3)]
    public void TryCreate_Stage1_TgEncoding(ulong pgsizes, ArmLpaeQuirks quirks, int tg)
    {
        var h = new PageTableHarness(PageTableHarness.S1(pgsizes: pgsizes, quirks: quirks));
        Assert.Equal(tg, h.T.Tcr.Tg);
    }

    [Fact]
    public void TryCreate_OuterWbwa_NonCoherentOnly()
    {
        var ok = new PageTableHarness(PageTableHarness.S1(coherent: false, quirks: ArmLpaeQuirks.ArmOuterWbwa));
        Assert.Equal(1, ok.T.Tcr.Orgn);
        Assert.Equal(0, ok.T.Tcr.Irgn);
        var bad = new PageTableHarness(PageTableHarness.S1(coherent: true, quirks: ArmLpaeQuirks.ArmOuterWbwa));
        Assert.Equal(PageTableStatus.Invalid, bad.Status);
    }

    [Fact]
    public void TryCreate_Stage2_Vtcr()
    {
        var h = new PageTableHarness(PageTableHarness.S2(ias: 40, oas: 44, pgsizes: Sizes.Arm64K, coherent: false));
        ArmLpaeVtcr v = h.T.Vtcr;
        Assert.Equal(new ArmLpaeVtcr(24, 1, 0, 0, 2, 1, 4), v);
        Assert.Equal(24UL | (1UL << 6) | (2UL << 12) | (1UL << 14) | (4UL << 16), v.Value);
        Assert.Equal(0UL, h.T.Mair);
        Assert.Equal(default, h.T.Tcr);
    }

    [Theory]
    [InlineData(32, 0)]
    [InlineData(36, 1)]
    [InlineData(40, 2)]
    [InlineData(42, 3)]
    [InlineData(44, 4)]
    [InlineData(48, 5)]
    public void TryCreate_IpsEncoding(int oas, int ips)
    {
        Assert.Equal(ips, new PageTableHarness(PageTableHarness.S1(oas: oas)).T.Tcr.Ips);
        Assert.Equal(ips, new PageTableHarness(PageTableHarness.S2(ias: oas, oas: oas)).T.Vtcr.Ps);
    }

    [Fact]
    public void TryCreate_52BitOas_Only64K()
    {
        var h64 = new PageTableHarness(PageTableHarness.S1(ias: 52, oas: 52, pgsizes: Sizes.Arm64K | Sizes.T4));
        Assert.Equal(6, h64.T.Tcr.Ips);
        Assert.Equal(52, h64.T.Config.Ias);
        Assert.Equal(Sizes.Arm64K | Sizes.T4, h64.T.PgsizeBitmap); // 4TB blocks only with oas > 48

        var h4 = new PageTableHarness(PageTableHarness.S1(ias: 52, oas: 52, pgsizes: Sizes.Arm4K));
        Assert.Equal(48, h4.T.Config.Ias);
        Assert.Equal(48, h4.T.Config.Oas);
        Assert.Equal(5, h4.T.Tcr.Ips);

        var h64Small = new PageTableHarness(PageTableHarness.S1(ias: 48, oas: 48, pgsizes: Sizes.Arm64K | Sizes.T4));
        Assert.Equal(Sizes.Arm64K, h64Small.T.PgsizeBitmap);
    }

    [Theory]
    [InlineData(Sizes.All, 4096UL, Sizes.Arm4K)]
    [InlineData(Sizes.All, 16384UL, Sizes.Arm16K)]
    [InlineData(Sizes.All, 65536UL, Sizes.Arm64K)]
    [InlineData(Sizes.Arm16K | Sizes.Arm64K, 4096UL, Sizes.Arm16K)] // smallest larger granule
    [InlineData(Sizes.Arm4K | Sizes.Arm16K, 65536UL, Sizes.Arm16K)] // largest smaller granule
    [InlineData(Sizes.K4 | Sizes.M32, 4096UL, Sizes.K4)] // blocks of another granule dropped
    [InlineData(Sizes.M2 | Sizes.G1, 4096UL, 0UL)] // no granule left
    public void RestrictPgsizes_PicksGranuleLikeLinux(ulong bitmap, ulong cpuPage, ulong expected)
    {
        IoPageTableConfig cfg = PageTableHarness.S1(pgsizes: bitmap) with { CpuPageSize = cpuPage };
        Assert.Equal(expected, ArmLpaeIoPageTable.RestrictPgsizes(cfg).PgsizeBitmap);
    }

    public static TheoryData<IoPageTableConfig> InvalidConfigs() => new()
    {
        PageTableHarness.S1(pgsizes: Sizes.M2 | Sizes.G1),
        PageTableHarness.S1(oas: 34),
        PageTableHarness.S1(oas: 50, pgsizes: Sizes.Arm64K),
        PageTableHarness.S1(quirks: ArmLpaeQuirks.ArmS2Fwb),
        PageTableHarness.S2(quirks: ArmLpaeQuirks.ArmNs),
        PageTableHarness.S2(quirks: ArmLpaeQuirks.ArmTtbr1),
        PageTableHarness.S2(quirks: ArmLpaeQuirks.ArmHd),
        PageTableHarness.S1(ias: 12),
        PageTableHarness.S1() with { Format = ArmLpaeFormat.Arm32LpaeS1, Ias = 33, Oas = 40 },
        PageTableHarness.S1() with { Format = ArmLpaeFormat.Arm32LpaeS1, Ias = 32, Oas = 42 },
        PageTableHarness.S2() with { Format = ArmLpaeFormat.Arm32LpaeS2, Ias = 42, Oas = 40 },
        PageTableHarness.S1() with { Format = ArmLpaeFormat.Arm32LpaeS1, Ias = 32, Oas = 40, PgsizeBitmap = Sizes.Arm64K },
        PageTableHarness.S1() with { Format = (ArmLpaeFormat)17 },
    };

    [Theory]
    [MemberData(nameof(InvalidConfigs))]
    public void TryCreate_UnsupportedConfig_InvalidAndNothingAllocated(IoPageTableConfig cfg)
    {
        var h = new PageTableHarness(cfg);
        Assert.Equal(PageTableStatus.Invalid, h.Status);
        Assert.Null(h.Table);
        Assert.Equal(0, h.Allocator.AllocatedCount);
    }

    [Fact]
    public void TryCreate_Arm32Formats_Restricted()
    {
        var s1 = new PageTableHarness(PageTableHarness.S1(ias: 32, oas: 40, pgsizes: Sizes.All) with { Format = ArmLpaeFormat.Arm32LpaeS1 });
        Assert.Equal(Sizes.Arm4K, s1.T.PgsizeBitmap);
        Assert.Equal(1, s1.T.StartLevel);
        Assert.False(s1.T.CreateWalkConfig(default).Aarch64);

        var s2 = new PageTableHarness(PageTableHarness.S2(ias: 40, oas: 40, pgsizes: Sizes.All) with { Format = ArmLpaeFormat.Arm32LpaeS2 });
        Assert.Equal(1, s2.T.StartLevel);
        Assert.Equal(1024, 1 << s2.T.PgdBits);
    }

    [Fact]
    public void TryCreate_NoMemoryForPgd_NoMemory()
    {
        // A 64K-granule ias-42 table needs a 64 KiB PGD; give the allocator 4 KiB.
        var h = new PageTableHarness(PageTableHarness.S1(ias: 42, pgsizes: Sizes.Arm64K), poolSize: 4096);
        Assert.Equal(PageTableStatus.NoMemory, h.Status);
    }

    [Fact]
    public void Free_ReturnsEveryTable()
    {
        var h = new PageTableHarness(PageTableHarness.S2(ias: 40, oas: 40));
        Assert.Equal(PageTableStatus.Ok, h.MapRange(0x10_0000_0000 & ((1UL << 40) - 1), 0x4000_0000, 8UL << 20, Sizes.K4, IommuProt.Read));
        Assert.Equal(PageTableStatus.Ok, h.MapRange(0x80_0000_0000 - (4UL << 20), 0x4000_0000, 4UL << 20, Sizes.M2, IommuProt.Read));
        Assert.True(h.Allocator.AllocatedCount > 1);
        h.T.Free();
        Assert.Equal(0, h.Allocator.AllocatedCount);
        Assert.Throws<ObjectDisposedException>(() => h.T.IovaToPhys(0));
    }
}
