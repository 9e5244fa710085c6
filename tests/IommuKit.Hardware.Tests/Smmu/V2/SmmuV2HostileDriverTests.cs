using IommuKit.Hardware.Dma;
using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables;
using IommuKit.Hardware.PageTables.ArmLpae;
using IommuKit.Hardware.Smmu.V2;
using static IommuKit.Hardware.Smmu.V2.SmmuV2Registers;

namespace IommuKit.Hardware.Tests.Smmu.V2;

/// <summary>
/// A seeded random "driver" that writes registers and table memory at random while devices DMA:
/// whatever it does, the model answers with bus statuses, DMA statuses and fault records, never an
/// exception, and keeps answering.
/// </summary>
public sealed class SmmuV2HostileDriverTests
{
    private static readonly int[] CbRegisters =
    [
        SMMU_CBn_SCTLR, SMMU_CBn_ACTLR, SMMU_CBn_RESUME, SMMU_CBn_TCR2, SMMU_CBn_TTBR0, SMMU_CBn_TTBR0 + 4, SMMU_CBn_TTBR1,
        SMMU_CBn_TCR, SMMU_CBn_CONTEXTIDR, SMMU_CBn_MAIR0, SMMU_CBn_MAIR1, SMMU_CBn_PAR, SMMU_CBn_FSR, SMMU_CBn_FSRRESTORE,
        SMMU_CBn_FAR, SMMU_CBn_FSYNR0, SMMU_CBn_IPAFAR, SMMU_CBn_TLBIVA, SMMU_CBn_TLBIVAA, SMMU_CBn_TLBIASID,
        SMMU_CBn_TLBIALL, SMMU_CBn_TLBIVAL, SMMU_CBn_TLBIIPAS2, SMMU_CBn_TLBIIPAS2L, SMMU_CBn_TLBSYNC, SMMU_CBn_ATS1PR,
    ];

    private static readonly int[] Gr0Registers =
    [
        SMMU_sCR0, SMMU_sCR2, SMMU_sACR, SMMU_IDR0, SMMU_sGFAR, SMMU_sGFSR, SMMU_sGFSRRESTORE, SMMU_sGFSYNR0,
        SMMU_TLBIVMID, SMMU_TLBIALLNSNH, SMMU_TLBIALLH, SMMU_sTLBGSYNC, SMMU_SMR0, SMMU_SMR0 + 4, SMMU_S2CR0, SMMU_S2CR0 + 4,
    ];

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    public void RandomDriver_TwentyFiveThousandOperations_NeverThrows(int seed, bool extendedIds)
    {
        var features = SmmuV2Features.Mmu500 with
        {
            ContextBanks = 6,
            Stage2ContextBanks = 3,
            StreamMatchRegisterGroups = 8,
            ExtendedStreamIds = extendedIds,
            Granule16K = true,
            TlbEntries = 64,
        };
        var h = new SmmuV2Harness(features);
        var rng = new Random(seed);

        // Start from a working configuration so random changes mutate something meaningful.
        ArmLpaeIoPageTable s1 = h.CreateTable(ArmLpaeFormat.Arm64LpaeS1);
        ArmLpaeIoPageTable s2 = h.CreateTable(ArmLpaeFormat.Arm64LpaeS2, ias: 40);
        h.Map(s1, 0x1000_0000, SmmuV2Harness.DataBase, 0x10_0000, IommuProt.Read | IommuProt.Write | IommuProt.Cache);
        h.Map(s2, 0x1000_0000, SmmuV2Harness.DataBase, 0x10_0000, IommuProt.Read | IommuProt.Write);
        h.Map(s2, SmmuV2Harness.RamBase, SmmuV2Harness.RamBase, SmmuV2Harness.TablePool, IommuProt.Read, pgsize: 1UL << 21);
        h.ProgramStage1(4, s1);
        h.ProgramStage2(1, s2);
        h.MapStream(0, 0x10, 0xF, 4);
        h.MapStream(1, 0x20, 0x0, 1);
        h.Enable();

        ulong space = h.Smmu.RegisterSpaceSize;
        byte[] buffer = new byte[12_000];
        int ops = 25_000;
        int dmaOk = 0;
        int[] outcomes = new int[16];
        for (int i = 0; i < ops; i++)
        {
            if (i % 2500 == 0)
            {
                // The driver re-initialises now and then (arm_smmu_device_reset style), so faults and
                // translations keep coming.
                for (int smr = 2; smr < 8; smr++)
                {
                    h.Gr0(SMMU_SMR0 + (4 * smr), 0);
                }

                h.ProgramStage1(4, s1);
                h.ProgramStage2(1, s2);
                h.MapStream(0, 0x10, 0xF, 4);
                h.MapStream(1, 0x20, 0x0, 1);
                h.Gr0(SMMU_TLBIALLNSNH, 0);
                h.Enable();
                h.Smmu.Translate(0x13, 0x1000_0000 + (ulong)rng.Next(0x10_0000), default, false, out SmmuV2Translation check);
                outcomes[check.Status == SmmuV2TranslationStatus.Translated ? 15 : (int)check.Fault]++;
            }

            int op = rng.Next(100);
            if (op < 35)
            {
                ulong offset = RandomRegister(rng, h, space);
                int size = rng.Next(10) switch { 0 => 1, 1 => 2, < 6 => 4, _ => 8 };
                ulong value = RandomValue(rng);
                if (offset == SMMU_sCR0 && rng.Next(10) != 0)
                {
                    value &= ~(ulong)sCR0_CLIENTPD; // mostly keep translation on
                }

                BusStatus s = h.Smmu.MmioWrite(offset, size, value);
                Assert.True(s is BusStatus.Ok or BusStatus.SlaveError);
            }
            else if (op < 45)
            {
                ulong offset = RandomRegister(rng, h, space);
                BusStatus s = h.Smmu.MmioRead(offset, rng.Next(2) == 0 ? 4 : 8, out _);
                Assert.True(s is BusStatus.Ok or BusStatus.SlaveError);
            }
            else if (op < 60)
            {
                // Scribble on the table pool: random words, or plausible descriptors.
                ulong pa = SmmuV2Harness.RamBase + ((ulong)rng.NextInt64(0, (long)(SmmuV2Harness.TablePool / 8)) * 8);
                ulong value = rng.Next(2) == 0
                    ? RandomValue(rng)
                    : (SmmuV2Harness.RamBase + ((ulong)rng.NextInt64(0, (long)(SmmuV2Harness.RamSize >> 12)) << 12)) | ArmLpaePte.Af | (uint)rng.Next(4) | ((ulong)(uint)rng.Next(16) << 2);
                Assert.Equal(BusStatus.Ok, h.Memory.Write64(pa, value, BusAccess.Cpu));
            }
            else if (op < 95)
            {
                uint sid = (uint)rng.Next(8) switch { 0 => (uint)rng.Next(), < 4 => 0x10u + (uint)rng.Next(16), _ => 0x20 };
                ulong address = rng.Next(8) switch
                {
                    0 => (ulong)rng.NextInt64(),
                    1 => ulong.MaxValue - (ulong)rng.Next(100),
                    2 => SmmuV2Harness.SmmuBase + (ulong)rng.Next(0x10000),
                    _ => 0x1000_0000 + (ulong)rng.Next(0x20_0000),
                };
                int length = rng.Next(4) == 0 ? rng.Next(buffer.Length) : rng.Next(1, 64);
                var attrs = new DmaAttributes { NoSnoop = rng.Next(2) == 0, Privileged = rng.Next(2) == 0, Instruction = rng.Next(4) == 0 };
                DmaStatus d = rng.Next(2) == 0
                    ? h.Smmu.DmaRead(sid, address, buffer.AsSpan(0, length), attrs)
                    : h.Smmu.DmaWrite(sid, address, buffer.AsSpan(0, length), attrs);
                Assert.True(d is DmaStatus.Ok or DmaStatus.Fault or DmaStatus.BusError);
                dmaOk += d == DmaStatus.Ok ? 1 : 0;
            }
            else
            {
                ulong address = rng.Next(2) == 0 ? (ulong)rng.NextInt64() : 0x1000_0000 + (ulong)rng.Next(0x20_0000);
                h.Smmu.Translate((uint)rng.Next(0x40), address, default, rng.Next(2) == 0, out SmmuV2Translation t);
                Assert.True(t.Status <= SmmuV2TranslationStatus.FaultRazWi);
                Assert.True(t.ContextBank is >= -1 and < 6);
                outcomes[t.Status == SmmuV2TranslationStatus.Translated ? 15 : (int)t.Fault]++;
            }
        }

        // Still a working device: every global register reads, and a clean reprogramming translates again.
        for (int reg = 0; reg < 0x80; reg += 4)
        {
            Assert.Equal(BusStatus.Ok, h.Smmu.MmioRead((ulong)reg, 4, out _));
        }

        h.Smmu.Reset();
        ArmLpaeIoPageTable fresh = h.CreateTable(ArmLpaeFormat.Arm64LpaeS1);
        h.Map(fresh, 0x2000_0000, SmmuV2Harness.DataBase, 0x1000, IommuProt.Read);
        h.ProgramStage1(0, fresh);
        h.MapStream(0, 0x99, 0, 0);
        h.Enable();
        Assert.Equal(SmmuV2Harness.DataBase + 0x10, h.Translate(0x99, 0x2000_0010).OutputAddress);
        Assert.True(dmaOk > 0);
        Assert.True(outcomes[15] > 0, "no translation succeeded: " + string.Join(",", outcomes));
        Assert.True(outcomes[(int)SmmuV2Fault.Translation] > 0, "no context fault");
        Assert.True(outcomes[(int)SmmuV2Fault.UnidentifiedStream] + outcomes[(int)SmmuV2Fault.InvalidContext] > 0, "no global fault");
    }

    private static ulong RandomRegister(Random rng, SmmuV2Harness h, ulong space)
    {
        switch (rng.Next(6))
        {
            case 0:
                return (ulong)rng.NextInt64(0, (long)space + 64) & ~(ulong)rng.Next(2) & ~2UL;
            case 1:
                return (ulong)Gr0Registers[rng.Next(Gr0Registers.Length)] + (ulong)(4 * rng.Next(4) * (rng.Next(3) == 0 ? 1 : 0));
            case 2:
                return h.Smmu.Features.PageSize + (ulong)(rng.Next(3) * 0x400) + (ulong)(4 * rng.Next(8));
            default:
                return h.Smmu.ContextBankOffset(rng.Next(6)) + (ulong)CbRegisters[rng.Next(CbRegisters.Length)];
        }
    }

    private static ulong RandomValue(Random rng) => rng.Next(7) switch
    {
        0 => 0,
        1 => ulong.MaxValue,
        2 => (ulong)rng.Next(0x40),
        3 => (ulong)(uint)rng.Next() | ((ulong)(uint)rng.Next() << 32),
        4 => SmmuV2Harness.RamBase + ((ulong)rng.Next(0x4000) << 12),
        5 => SmmuV2Harness.SmmuBase + ((ulong)rng.Next(0x20) << 12), // tables inside the SMMU's own registers
        _ => (ulong)(uint)rng.Next(),
    };

    [Fact]
    public void TablesInsideTheSmmuRegisters_WalkReadsRegistersWithoutDeadlock()
    {
        // TTBR0 points at the bank's own register page: the level-0 descriptor the walker reads is
        // SCTLR | ACTLR << 32 (a "table" at 0x1000, which nothing decodes), read through the SMMU's
        // own MMIO handler while a translation holds the SMMU's lock.
        var h = new SmmuV2Harness();
        h.SetUpStage1(0x42);
        h.Cb64(0, SMMU_CBn_TTBR0, SmmuV2Harness.SmmuBase + h.Smmu.ContextBankOffset(0));
        SmmuV2Translation r = h.Translate(0x42, 0x1000);
        Assert.Equal((SmmuV2TranslationStatus.FaultAbort, SmmuV2Fault.External), (r.Status, r.Fault));
        Assert.Equal(1u, h.Cb(0, SMMU_CBn_FSYNR0) & FSYNR0_PLVL_Mask);
    }

    [Fact]
    public void Concurrent_DmaWhileDriverInvalidatesAndRewrites_AlwaysTheSameTranslation()
    {
        var h = new SmmuV2Harness();
        ArmLpaeIoPageTable t = h.SetUpStage1(0x42);
        h.Map(t, 0x1000_0000, SmmuV2Harness.DataBase, 0x4000, IommuProt.Read | IommuProt.Write | IommuProt.Cache);
        uint sctlr = h.Cb(0, SMMU_CBn_SCTLR);
        ulong ttbr0 = h.Cb64(0, SMMU_CBn_TTBR0);
        using var stop = new CancellationTokenSource();
        Exception? failure = null;

        var driver = new Thread(() =>
        {
            try
            {
                var rng = new Random(7);
                for (int i = 0; i < 20_000; i++)
                {
                    switch (rng.Next(5))
                    {
                        case 0: h.Cb(0, SMMU_CBn_TLBIALL, 0); break;
                        case 1: h.Cb64(0, SMMU_CBn_TLBIVA, (0x1000_0000UL + ((ulong)rng.Next(4) << 12)) >> 12); break;
                        case 2: h.Cb(0, SMMU_CBn_SCTLR, sctlr); break;
                        case 3: h.Cb64(0, SMMU_CBn_TTBR0, ttbr0); break;
                        default: h.Gr0(SMMU_TLBIALLNSNH, 0); break;
                    }
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                stop.Cancel();
            }
        });

        driver.Start();
        long translations = 0;
        var wrong = new List<string>();
        while ((!stop.IsCancellationRequested || translations < 1000) && wrong.Count == 0)
        {
            ulong page = (ulong)(translations & 3) << 12;
            if (!h.Smmu.Translate(0x42, 0x1000_0000 + page + 8, default, write: false, out SmmuV2Translation r)
                || r.OutputAddress != SmmuV2Harness.DataBase + page + 8)
            {
                wrong.Add($"translation {translations}: {r.Status} 0x{r.OutputAddress:x}");
            }

            translations++;
        }

        driver.Join(); // before any assertion, so the thread never outlives the test's objects
        Assert.Empty(wrong);
        Assert.Null(failure);
        Assert.Equal(0u, h.Cb(0, SMMU_CBn_FSR));
    }
}
