using IommuKit.Hardware.Memory;

namespace IommuKit.Hardware.Tests.Memory;

/// <summary>
/// Random sequences (fixed seed) of CPU, snooping and non-snooping reads and writes of every size
/// and alignment, compare-and-exchange, and cache maintenance, run against PhysicalMemory and
/// against <see cref="Oracle"/>, a byte-at-a-time model written for clarity. Every read, every
/// status and the final RAM and cache state must agree.
/// </summary>
public sealed class MemoryOracleTests
{
    private const ulong RamA = 0x1_0000;
    private const ulong RamASize = 0x2_0000; // a 64 KiB chunk boundary at 0x2_0000
    private const ulong Mmio = 0x3_0000;
    private const ulong MmioSize = 0x40; // then a hole up to RamB
    private const ulong RamB = 0x3_1000;
    private const ulong RamBSize = 0x1000;
    private const ulong RamTop = 0xFFFF_FFFF_FFFF_F000;

    private static readonly ulong[] HotSpots =
        [RamA, RamA + 0x1_0000, Mmio, Mmio + MmioSize, RamB, RamB + RamBSize, RamTop, 0, RamA + 0x1_0000 - 0x40];

    private static readonly BusAccess[] Accesses = [BusAccess.Cpu, BusAccess.Snoop, BusAccess.NoSnoop];

    [Theory]
    [InlineData(0, 0x5EED_0001UL)]
    [InlineData(1, 0x5EED_0002UL)]
    [InlineData(5, 0x5EED_0003UL)]
    [InlineData(1024, 0x5EED_0004UL)]
    public void RandomAccessesAndMaintenance_AgreeWithOracle(int cacheLines, ulong seed)
    {
        PhysicalMemory mem = cacheLines == 0 ? new PhysicalMemory() : new PhysicalMemory(new CpuCacheOptions { CapacityLines = cacheLines });
        var dev = new RegisterFileDevice((int)MmioSize);
        mem.AddRam(RamA, RamASize);
        mem.AddMmio(Mmio, MmioSize, dev);
        mem.AddRam(RamB, RamBSize);
        mem.AddRam(RamTop, 0x1000);
        var oracle = new Oracle(cacheLines);
        var rng = new Xorshift64(seed);
        var touched = new HashSet<ulong>();

        for (int step = 0; step < 20_000; step++)
        {
            ulong pa = HotSpots[rng.Below(HotSpots.Length)] + (ulong)(rng.Below(256) - 128);
            BusAccess access = Accesses[rng.Below(3)];
            string what = $"step {step}: {access} at 0x{pa:x}";
            switch (rng.Below(12))
            {
                case 0:
                case 1:
                    {
                        int size = 1 + rng.Below(8);
                        BusStatus s = mem.Read(pa, size, access, out ulong value);
                        BusStatus e = oracle.Read(pa, size, access, out byte[] bytes);
                        Assert.True(e == s, $"{what} read{size}: {s} vs oracle {e}");
                        Assert.True(ToValue(bytes) == value, $"{what} read{size}: 0x{value:x} vs oracle 0x{ToValue(bytes):x}");
                        break;
                    }

                case 2:
                case 3:
                    {
                        int size = 1 + rng.Below(8);
                        ulong value = rng.Next();
                        BusStatus s = mem.Write(pa, size, value, access);
                        BusStatus e = oracle.Write(pa, BitConverter.GetBytes(value)[..size], access);
                        Assert.True(e == s, $"{what} write{size}: {s} vs oracle {e}");
                        Touch(touched, pa, size);
                        break;
                    }

                case 4:
                    {
                        byte[] buffer = new byte[rng.Below(200)];
                        BusStatus s = mem.Read(pa, buffer, access);
                        BusStatus e = oracle.Read(pa, buffer.Length, access, out byte[] expected);
                        Assert.True(e == s, $"{what} span read {buffer.Length}: {s} vs oracle {e}");
                        Assert.Equal(expected, buffer);
                        break;
                    }

                case 5:
                    {
                        byte[] data = new byte[rng.Below(200)];
                        for (int i = 0; i < data.Length; i++)
                        {
                            data[i] = (byte)rng.Next();
                        }

                        BusStatus s = mem.Write(pa, data, access);
                        BusStatus e = oracle.Write(pa, data, access);
                        Assert.True(e == s, $"{what} span write {data.Length}: {s} vs oracle {e}");
                        Touch(touched, pa, data.Length);
                        break;
                    }

                case 6:
                    {
                        ulong aligned = pa & ~7UL;
                        oracle.Read(aligned, 8, BusAccess.Snoop, out byte[] current);
                        ulong expected = rng.Below(2) == 0 ? ToValue(current) : rng.Next();
                        ulong desired = rng.Next();
                        BusStatus s = mem.CompareExchange64(aligned, expected, desired, access, out ulong original);
                        BusStatus e = oracle.CompareExchange64(aligned, expected, desired, access, out ulong oracleOriginal);
                        Assert.True(e == s, $"{what} cmpxchg: {s} vs oracle {e}");
                        Assert.True(oracleOriginal == original, $"{what} cmpxchg: 0x{original:x} vs oracle 0x{oracleOriginal:x}");
                        Touch(touched, aligned, 8);
                        break;
                    }

                case 7 when mem.Cache is not null:
                    {
                        ulong length = (ulong)rng.Below(300);
                        mem.Cache.Clean(pa, length);
                        oracle.Maintain(pa, length, clean: true, invalidate: false);
                        break;
                    }

                case 8 when mem.Cache is not null:
                    {
                        ulong length = (ulong)rng.Below(300);
                        mem.Cache.Invalidate(pa, length);
                        oracle.Maintain(pa, length, clean: false, invalidate: true);
                        break;
                    }

                case 9 when mem.Cache is not null:
                    {
                        ulong length = (ulong)rng.Below(300);
                        mem.Cache.CleanInvalidate(pa, length);
                        oracle.Maintain(pa, length, clean: true, invalidate: true);
                        break;
                    }

                case 10 when mem.Cache is not null:
                    {
                        ulong length = (ulong)rng.Below(300);
                        mem.Cache.Prefetch(pa, length);
                        oracle.Prefetch(pa, length);
                        break;
                    }

                case 11 when mem.Cache is not null && rng.Below(20) == 0:
                    mem.Cache.WriteBackInvalidateAll();
                    oracle.WriteBackInvalidateAll();
                    break;
                default:
                    break;
            }

            if (mem.Cache is not null)
            {
                Assert.True(oracle.LineCount == mem.Cache.LineCount, $"{what}: {mem.Cache.LineCount} lines vs oracle {oracle.LineCount}");
                Assert.Equal(oracle.DirtyLineCount, mem.Cache.DirtyLineCount);
            }
        }

        foreach (ulong a in touched)
        {
            Assert.Equal(oracle.Decode(a) == Region.Mmio ? oracle.MmioByte(a) : oracle.RamByte(a), ReadRamOrMmioByte(mem, a));
            if (mem.Cache is not null && oracle.Decode(a) == Region.Ram)
            {
                Assert.Equal(oracle.IsCached(a), mem.Cache.Contains(a));
                Assert.Equal(oracle.IsDirty(a), mem.Cache.IsDirty(a));
            }
        }

        Assert.True(touched.Count > 1000);
    }

    private static byte ReadRamOrMmioByte(PhysicalMemory mem, ulong a)
    {
        Assert.Equal(BusStatus.Ok, mem.Read8(a, BusAccess.NoSnoop, out byte b));
        return b;
    }

    private static void Touch(HashSet<ulong> touched, ulong pa, int length)
    {
        for (int i = 0; i < length; i++)
        {
            ulong a = pa + (ulong)i;
            if (a >= pa && a is (>= RamA and < Mmio + MmioSize) or (>= RamB and < RamB + RamBSize) or >= RamTop)
            {
                touched.Add(a);
            }
        }
    }

    private static ulong ToValue(byte[] bytes)
    {
        ulong v = 0;
        for (int i = 0; i < bytes.Length; i++)
        {
            v |= (ulong)bytes[i] << (8 * i);
        }

        return v;
    }

    private enum Region
    {
        None,
        Ram,
        Mmio,
    }

    /// <summary>
    /// The reference: RAM and MMIO as dictionaries of bytes, the cache as a dictionary of lines plus
    /// a fill-order list, every access done one byte at a time in ascending address order.
    /// </summary>
    private sealed class Oracle(int capacity)
    {
        private readonly Dictionary<ulong, byte> _ram = [];
        private readonly Dictionary<ulong, byte> _mmio = [];
        private readonly Dictionary<ulong, (byte[] Data, bool Dirty)> _lines = [];
        private readonly List<ulong> _fillOrder = [];

        public int LineCount => _lines.Count;

        public int DirtyLineCount => _lines.Values.Count(l => l.Dirty);

        public Region Decode(ulong a) => a switch
        {
            >= RamA and < RamA + RamASize => Region.Ram,
            >= Mmio and < Mmio + MmioSize => Region.Mmio,
            >= RamB and < RamB + RamBSize => Region.Ram,
            >= RamTop => Region.Ram,
            _ => Region.None,
        };

        public byte RamByte(ulong a) => _ram.GetValueOrDefault(a);

        public byte MmioByte(ulong a) => _mmio.GetValueOrDefault(a);

        public bool IsCached(ulong a) => _lines.ContainsKey(a & ~63UL);

        public bool IsDirty(ulong a) => _lines.TryGetValue(a & ~63UL, out var line) && line.Dirty;

        public BusStatus Read(ulong pa, int length, BusAccess access, out byte[] bytes)
        {
            bytes = new byte[length];
            if (!Decodes(pa, length))
            {
                return BusStatus.DecodeError;
            }

            for (int i = 0; i < length; i++)
            {
                bytes[i] = ReadByte(pa + (ulong)i, access);
            }

            return BusStatus.Ok;
        }

        public BusStatus Write(ulong pa, byte[] bytes, BusAccess access)
        {
            if (!Decodes(pa, bytes.Length))
            {
                return BusStatus.DecodeError;
            }

            for (int i = 0; i < bytes.Length; i++)
            {
                WriteByte(pa + (ulong)i, bytes[i], access);
            }

            return BusStatus.Ok;
        }

        public BusStatus CompareExchange64(ulong pa, ulong expected, ulong desired, BusAccess access, out ulong original)
        {
            original = 0;
            bool allRam = Decodes(pa, 8) && Enumerable.Range(0, 8).All(i => Decode(pa + (ulong)i) == Region.Ram)
                && (pa & ~0xFFFUL) == ((pa + 7) & ~0xFFFUL);
            if (!allRam)
            {
                return Decode(pa) == Region.Mmio && Decode(pa + 7) == Region.Mmio ? BusStatus.SlaveError : BusStatus.DecodeError;
            }

            Read(pa, 8, access, out byte[] current);
            original = ToValue(current);
            if (original == expected)
            {
                Write(pa, BitConverter.GetBytes(desired), access);
            }

            return BusStatus.Ok;
        }

        public void Maintain(ulong pa, ulong length, bool clean, bool invalidate)
        {
            if (length == 0)
            {
                return;
            }

            ulong last = length - 1 > ulong.MaxValue - pa ? ulong.MaxValue : pa + length - 1;
            foreach (ulong line in _fillOrder.Where(l => l >= (pa & ~63UL) && l <= (last & ~63UL)).ToList())
            {
                if (clean && _lines[line].Dirty)
                {
                    WriteBack(line);
                }

                if (invalidate)
                {
                    Drop(line);
                }
            }
        }

        public void Prefetch(ulong pa, ulong length)
        {
            if (length == 0)
            {
                return;
            }

            ulong first = pa & ~63UL;
            ulong last = (length - 1 > ulong.MaxValue - pa ? ulong.MaxValue : pa + length - 1) & ~63UL;
            if ((last - first) / 64 >= (ulong)capacity)
            {
                first = last - ((ulong)(capacity - 1) * 64);
            }

            for (ulong line = first; ; line += 64)
            {
                if (Decode(line) == Region.Ram)
                {
                    Fill(line);
                }

                if (line == last)
                {
                    break;
                }
            }
        }

        public void WriteBackInvalidateAll() => Maintain(0, ulong.MaxValue, clean: true, invalidate: true);

        private bool Decodes(ulong pa, int length)
        {
            if (length == 0)
            {
                return true;
            }

            if ((ulong)(length - 1) > ulong.MaxValue - pa)
            {
                return false;
            }

            for (int i = 0; i < length; i++)
            {
                if (Decode(pa + (ulong)i) == Region.None)
                {
                    return false;
                }
            }

            return true;
        }

        private byte ReadByte(ulong a, BusAccess access)
        {
            if (Decode(a) == Region.Mmio)
            {
                return _mmio.GetValueOrDefault(a);
            }

            if (capacity == 0 || access == BusAccess.NoSnoop)
            {
                return _ram.GetValueOrDefault(a);
            }

            ulong line = a & ~63UL;
            if (access == BusAccess.Cpu)
            {
                return Fill(line).Data[a & 63];
            }

            return _lines.TryGetValue(line, out var cached) && cached.Dirty ? cached.Data[a & 63] : _ram.GetValueOrDefault(a);
        }

        private void WriteByte(ulong a, byte value, BusAccess access)
        {
            if (Decode(a) == Region.Mmio)
            {
                _mmio[a] = value;
                return;
            }

            ulong line = a & ~63UL;
            if (capacity == 0 || access == BusAccess.NoSnoop)
            {
                _ram[a] = value;
            }
            else if (access == BusAccess.Cpu)
            {
                byte[] data = Fill(line).Data;
                data[a & 63] = value;
                _lines[line] = (data, true);
            }
            else
            {
                if (_lines.TryGetValue(line, out var cached))
                {
                    if (cached.Dirty)
                    {
                        WriteBack(line);
                    }

                    Drop(line);
                }

                _ram[a] = value;
            }
        }

        private (byte[] Data, bool Dirty) Fill(ulong line)
        {
            if (_lines.TryGetValue(line, out var cached))
            {
                return cached;
            }

            if (_lines.Count == capacity)
            {
                ulong victim = _fillOrder[0];
                if (_lines[victim].Dirty)
                {
                    WriteBack(victim);
                }

                Drop(victim);
            }

            byte[] data = new byte[64];
            for (int i = 0; i < 64; i++)
            {
                data[i] = _ram.GetValueOrDefault(line + (ulong)i);
            }

            _lines[line] = (data, false);
            _fillOrder.Add(line);
            return _lines[line];
        }

        private void WriteBack(ulong line)
        {
            byte[] data = _lines[line].Data;
            for (int i = 0; i < 64; i++)
            {
                _ram[line + (ulong)i] = data[i];
            }

            _lines[line] = (data, false);
        }

        private void Drop(ulong line)
        {
            _lines.Remove(line);
            _fillOrder.Remove(line);
        }
    }
}
