using IommuKit.Hardware.Dma;
using IommuKit.Hardware.Memory;
using IommuKit.Hardware.Smmu.V3;
using static IommuKit.Hardware.Tests.Smmu.V3.SmmuV3Spec;

namespace IommuKit.Hardware.Tests.Smmu.V3;

/// <summary>
/// A seeded random driver programs registers, queues and in-memory structures at random and
/// issues DMA: the model must never throw, and must only answer with architected outcomes.
/// </summary>
public sealed class SmmuV3HostileDriverTests
{
    private static readonly ulong[] Registers =
    [
        IDR0, IDR1, IDR5, CR0, CR0ACK, CR1, CR2, GBPA, IRQ_CTRL, GERROR, GERRORN, STRTAB_BASE, STRTAB_BASE + 4,
        STRTAB_BASE_CFG, CMDQ_BASE, CMDQ_BASE + 4, CMDQ_PROD, CMDQ_CONS, EVTQ_BASE, EVTQ_BASE + 4, EVTQ_PROD, EVTQ_CONS,
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RandomDriver_NeverThrows_AndKeepsArchitectedState(int seed)
    {
        var random = new Random(seed);
        var features = seed switch
        {
            2 => new SmmuV3Features { Stage2 = false, Asid16 = false, SubstreamIdBits = 0, TwoLevelStreamTable = false, TlbEntries = 64, ConfigCacheEntries = 16 },
            3 => new SmmuV3Features { Stage1 = false, Vmid16 = false, Httu = SmmuV3Httu.None, Hyp = true, RangeInvalidation = false, OutputAddressBits = 40 },
            _ => new SmmuV3Features { Hyp = true, TerminateAbortOnly = true },
        };
        var rig = new SmmuV3Rig(features, coherentWalk: seed != 2, streamLog2: 10, cmdqLog2: 5, evtqLog2: 4);
        ulong arena = SmmuV3Rig.RamBase;
        const ulong arenaSize = 16 << 20;

        // A few sane streams so that translation paths, not only errors, are exercised.
        for (uint sid = 0; sid < 8; sid++)
        {
            (_, ulong root) = rig.AddS1Stream(sid, (ushort)sid);
            for (int p = 0; p < 4; p++)
            {
                rig.Map(root, (ulong)p << 12, S1Leaf(arena + ((ulong)random.Next(4096) << 12), page: true, attrIndx: random.Next(4)));
            }
        }

        int operations = 0;
        int translated = 0;
        int commandErrors = 0;
        uint lastGerror = 0;
        for (; operations < 25_000; operations++)
        {
            switch (random.Next(10))
            {
                case 0:
                case 1:
                    MmioWrite(rig.Smmu, random);
                    break;
                case 2:
                    rig.Smmu.MmioRead(RandomOffset(random), RandomSize(random), out _);
                    break;
                case 3:
                case 4:
                    ScribbleMemory(rig, random, arena, arenaSize);
                    break;
                case 5:
                    SubmitRandomCommands(rig, random);
                    break;
                default:
                    translated += Dma(rig.Smmu, random, arena) ? 1 : 0;
                    break;
            }

            CheckInvariants(rig);
            rig.Smmu.MmioRead(GERROR, 4, out ulong gerror);
            commandErrors += ((uint)gerror & 1) != (lastGerror & 1) ? 1 : 0;
            lastGerror = (uint)gerror;
        }

        Assert.Equal(25_000, operations);
        Assert.True(translated > 100, $"translated {translated}");
        Assert.True(commandErrors > 10, $"command errors {commandErrors}");
        Assert.True(rig.Events().Count > 0 || rig.R32(EVTQ_PROD) != 0);
    }

    private static ulong RandomOffset(Random random) => random.Next(4) switch
    {
        0 => (ulong)random.Next(0x20000) & ~3UL,
        1 => (ulong)random.Next(0x30000),
        _ => Registers[random.Next(Registers.Length)],
    };

    private static int RandomSize(Random random) => random.Next(8) switch
    {
        0 => 1,
        1 => 2,
        2 => 8,
        _ => 4,
    };

    private static ulong RandomValue(Random random) => random.Next(4) switch
    {
        0 => (ulong)random.NextInt64(),
        1 => (ulong)random.Next(64),
        2 => SmmuV3Rig.RamBase + ((ulong)random.Next(1 << 24) & ~0xFFFUL) + (ulong)random.Next(20),
        _ => (uint)random.Next(),
    };

    private static void MmioWrite(SmmuV3 smmu, Random random)
    {
        ulong offset = RandomOffset(random);
        ulong value = RandomValue(random);
        if (offset == CR0 && random.Next(3) != 0)
        {
            value |= CR0_SMMUEN | CR0_CMDQEN | CR0_EVTQEN; // keep the SMMU mostly enabled
        }

        smmu.MmioWrite(offset, RandomSize(random), value);
    }

    private static void ScribbleMemory(SmmuV3Rig rig, Random random, ulong arena, ulong size)
    {
        ulong target = random.Next(3) switch
        {
            0 => rig.StrtabBase + ((ulong)random.Next(1024) * 64),
            1 => rig.CmdqBase + ((ulong)random.Next(32) * 16),
            _ => arena + ((ulong)random.NextInt64((long)size) & ~7UL),
        };
        ulong[] words = random.Next(4) switch
        {
            0 => SteS1(arena + ((ulong)random.Next(1 << 18) << 6), random.Next(24), random.Next(4), random.Next(4), (ushort)random.Next(), random.Next(4)),
            1 => SteNested(arena + ((ulong)random.Next(1 << 18) << 6), arena + ((ulong)random.Next(4096) << 12), (ushort)random.Next()),
            2 => Cd(arena + ((ulong)random.Next(4096) << 12), (ushort)random.Next(), random.Next(2) == 0, random.Next(2) == 0, (ulong)random.NextInt64(), random.Next(2) == 0, random.Next(2) == 0),
            _ => [(ulong)random.NextInt64(), (ulong)random.NextInt64()],
        };
        if (random.Next(3) == 0)
        {
            words[random.Next(words.Length)] ^= 1UL << random.Next(64); // a flipped bit
        }

        for (int i = 0; i < words.Length; i++)
        {
            rig.Memory.Write64(target + ((ulong)i * 8), words[i], BusAccess.Cpu);
        }
    }

    private static void SubmitRandomCommands(SmmuV3Rig rig, Random random)
    {
        int n = random.Next(1, 5);
        var commands = new (ulong, ulong)[n];
        for (int i = 0; i < n; i++)
        {
            ulong w0 = (ulong)random.NextInt64();
            ulong w1 = (ulong)random.NextInt64();
            byte op = random.Next(3) == 0 ? (byte)random.Next(256) : (byte)new[] { 0x01, 0x03, 0x04, 0x05, 0x06, 0x10, 0x11, 0x12, 0x13, 0x20, 0x21, 0x22, 0x23, 0x28, 0x2A, 0x30, 0x46 }[random.Next(17)];
            commands[i] = ((w0 & ~0xFFUL & (random.Next(2) == 0 ? 0xFFFF_FFFF_0000_0000 : ~0UL)) | op, w1);
        }

        // Write them at the hardware's current PROD, as a real (buggy) driver would.
        uint entries = 32;
        rig.Smmu.MmioRead(CMDQ_PROD, 4, out ulong prod);
        for (int i = 0; i < n; i++)
        {
            ulong slot = rig.CmdqBase + ((ulong)(((uint)prod + (uint)i) & (entries - 1)) * 16);
            rig.Memory.Write64(slot, commands[i].Item1, BusAccess.Cpu);
            rig.Memory.Write64(slot + 8, commands[i].Item2, BusAccess.Cpu);
        }

        rig.Smmu.MmioWrite(CMDQ_PROD, 4, ((uint)prod + (uint)n) & 63);
        if (random.Next(4) == 0)
        {
            rig.Smmu.MmioRead(GERROR, 4, out ulong gerror);
            rig.Smmu.MmioWrite(GERRORN, 4, gerror);
        }
    }

    private static bool Dma(SmmuV3 smmu, Random random, ulong arena)
    {
        uint sid = random.Next(4) == 0 ? (uint)random.Next() : (uint)random.Next(16);
        ulong address = random.Next(3) switch
        {
            0 => ((ulong)random.Next(4) << 12) | (uint)random.Next(4096),
            1 => arena + (ulong)random.Next(1 << 24),
            _ => (ulong)random.NextInt64() * (random.Next(2) == 0 ? 1UL : 0x100UL),
        };
        var attrs = new DmaAttributes
        {
            NoSnoop = random.Next(2) == 0,
            Privileged = random.Next(2) == 0,
            Instruction = random.Next(4) == 0,
            SubstreamValid = random.Next(4) == 0,
            SubstreamId = (uint)random.Next(4) == 0 ? (uint)random.Next() : (uint)random.Next(8),
        };
        switch (random.Next(3))
        {
            case 0:
                bool ok = smmu.Translate(sid, address, attrs, random.Next(2) == 0, out SmmuV3Translation t);
                Assert.Equal(ok, t.Status is SmmuV3TranslationStatus.Translated or SmmuV3TranslationStatus.Bypassed);
                Assert.True(t.Length > 0);
                return ok;
            case 1:
                return smmu.DmaRead(sid, address, new byte[random.Next(1, 64)], attrs) == DmaStatus.Ok;
            default:
                return smmu.DmaWrite(sid, address, new byte[random.Next(1, 64)], attrs) == DmaStatus.Ok;
        }
    }

    private static void CheckInvariants(SmmuV3Rig rig)
    {
        rig.Smmu.MmioRead(CMDQ_CONS, 4, out ulong cons);
        Assert.InRange((cons >> 24) & 0x7F, 0UL, 2UL); // NONE, ILL or ABT
        rig.Smmu.MmioRead(GERROR, 4, out ulong gerror);
        Assert.Equal(0UL, gerror & ~0x105UL);
        rig.Smmu.MmioRead(CR0ACK, 4, out ulong ack);
        rig.Smmu.MmioRead(CR0, 4, out ulong cr0);
        Assert.Equal(cr0, ack);
    }

    [Fact]
    public void ConcurrentDmaAndInvalidation_SeesOldOrNewTranslationOnly()
    {
        var rig = new SmmuV3Rig();
        (_, ulong root) = rig.AddS1Stream(1, asid: 1);
        ulong paA = rig.Alloc(4096);
        ulong paB = rig.Alloc(4096);
        const ulong iova = 0x5000;
        rig.Map(root, iova, S1Leaf(paA, page: true));
        Exception? failure = null;
        int bad = 0;
        using var stop = new CancellationTokenSource();
        var reader = new Thread(() =>
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    if (rig.Smmu.Translate(1, iova, default, false, out SmmuV3Translation t) && t.OutputAddress != paA && t.OutputAddress != paB)
                    {
                        Interlocked.Increment(ref bad);
                    }
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        reader.Start();
        for (int i = 0; i < 2000; i++)
        {
            ulong leaf = S1Leaf(i % 2 == 0 ? paB : paA, page: true);
            rig.Memory.Write64(rig.LeafSlot(root, iova), leaf, BusAccess.Cpu);
            rig.Submit(TlbiNhVa(0, 1, iova), Sync());
        }

        stop.Cancel();
        reader.Join();
        Assert.Null(failure);
        Assert.Equal(0, bad);
    }
}
