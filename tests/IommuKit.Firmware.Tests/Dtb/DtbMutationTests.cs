using System.Buffers.Binary;
using System.Diagnostics;
using IommuKit.Firmware.DeviceTree;

namespace IommuKit.Firmware.Tests.Dtb;

using DeviceTree = IommuKit.Firmware.DeviceTree.DeviceTree;

/// <summary>
/// Seeded mutated-input tests: every fixture blob is mutated many times (bit flips, byte sets,
/// token rewrites, truncation, corrupted header fields, offsets pointing into each other or into
/// other blocks, deep nesting, huge lengths and counts), at least 100,000 mutations per run in
/// total. For every input the reader and the walker must either succeed or throw
/// <see cref="DeviceTreeFormatException"/>, and finish; the walker must accept whatever the reader
/// accepts; on a sample (every 16th input) TryRead must agree with Read, and every 8th accepted tree
/// must write and read back to the same structure.
/// </summary>
public sealed class DtbMutationTests
{
    private const int TotalMutations = 100_000;

    /// <summary>A hang detector, not a performance check: one parse of a fixture takes well under a millisecond.</summary>
    private static readonly TimeSpan s_hangLimit = TimeSpan.FromSeconds(5);

    public static int MutationsPerBlob => (TotalMutations + Fixtures.BlobNames.Count - 1) / Fixtures.BlobNames.Count;

    [Fact]
    public void MutationsPerBlob_CoverTheTotal()
    {
        Assert.True(MutationsPerBlob * Fixtures.BlobNames.Count >= TotalMutations);
    }

    [Theory]
    [MemberData(nameof(Fixtures.Blobs), MemberType = typeof(Fixtures))]
    public void Read_MutatedFixture_SucceedsOrThrowsFormatException(string name)
    {
        byte[] original = Fixtures.ReadBlob(name);
        var mutator = new Mutator(original, Seed(name));
        int accepted = 0;
        int rejected = 0;
        for (int i = 0; i < MutationsPerBlob; i++)
        {
            int length = mutator.Mutate();
            ReadOnlyMemory<byte> input = mutator.Work.AsMemory(0, length);
            if (Check(input, name, i))
            {
                accepted++;
            }
            else
            {
                rejected++;
            }

            mutator.Restore();
        }

        Assert.Equal(original, mutator.Work);
        Assert.Equal(MutationsPerBlob, accepted + rejected);

        // Both outcomes must occur, or the mutations are not reaching the parser's decisions.
        Assert.True(accepted > 0, "no mutation was accepted");
        Assert.True(rejected > 0, "no mutation was rejected");
    }

    private static bool Check(ReadOnlyMemory<byte> input, string name, int iteration)
    {
        long start = Stopwatch.GetTimestamp();
        bool walkerOk = Walk(input.Span);
        DeviceTree? tree;
        try
        {
            tree = DtbReader.Read(input);
        }
        catch (DeviceTreeFormatException e)
        {
            Assert.InRange(e.Offset, 0, input.Length);
            tree = null;
        }
        catch (Exception e)
        {
            Assert.Fail($"{name} mutation {iteration}: {e.GetType().Name} escaped: {e}");
            throw;
        }

        if (iteration % 16 == 0)
        {
            bool ok = DtbReader.TryRead(input, out DeviceTree? again, out DeviceTreeFormatException? error);
            Assert.Equal(tree is not null, ok);
            Assert.Equal(ok, again is not null && error is null);
        }

        if (tree is not null)
        {
            // The reader checks everything the walker checks (and more).
            Assert.True(walkerOk, $"{name} mutation {iteration}: reader accepted what the walker rejected");
            if (iteration % 8 == 0)
            {
                DeviceTree reread = DtbReader.Read(DtbWriter.Write(tree));
                TreeAssert.SameStructure(tree, reread);
            }
        }

        Assert.True(Stopwatch.GetElapsedTime(start) < s_hangLimit, $"{name} mutation {iteration} took too long");
        return tree is not null;
    }

    private static bool Walk(ReadOnlySpan<byte> input)
    {
        try
        {
            var walker = new DtbWalker(input);
            while (walker.Read())
            {
                if (walker.Token == DtbToken.Property)
                {
                    _ = walker.PropertyName;
                }
            }

            return true;
        }
        catch (DeviceTreeFormatException)
        {
            return false;
        }
    }

    private static ulong Seed(string name)
    {
        // FNV-1a of the name: a fixed, different seed per fixture.
        ulong hash = 0xcbf29ce484222325;
        foreach (char c in name)
        {
            hash = (hash ^ c) * 0x100000001b3;
        }

        return hash | 1;
    }

    /// <summary>Applies one random mutation to a working copy and undoes it afterwards (no per-mutation copy of 1 MiB blobs).</summary>
    private sealed class Mutator
    {
        private static readonly uint[] s_tokens = [1, 2, 3, 4, 9, 0, 5, 0xffffffff];
        private readonly List<(int Offset, byte[] Saved)> _undo = [];
        private readonly int[] _tokenOffsets;
        private readonly int[] _propertyOffsets;
        private readonly int _structStart;
        private readonly int _structEnd;
        private readonly int _stringsStart;
        private readonly int _usedEnd;
        private ulong _state;

        public Mutator(byte[] original, ulong seed)
        {
            Work = (byte[])original.Clone();
            _state = seed;
            var tokens = new List<int>();
            var properties = new List<int>();
            var walker = new DtbWalker(original);
            while (walker.Read())
            {
                tokens.Add(walker.TokenOffset);
                if (walker.Token == DtbToken.Property)
                {
                    properties.Add(walker.TokenOffset);
                }
            }

            _tokenOffsets = [.. tokens];
            _propertyOffsets = [.. properties];
            DtbHeader header = walker.Header;
            _structStart = (int)header.StructureOffset;
            _structEnd = (int)(header.StructureOffset + header.StructureSize);
            _stringsStart = (int)header.StringsOffset;
            _usedEnd = (int)Math.Max(header.StringsOffset + header.StringsSize, header.StructureOffset + header.StructureSize);
        }

        public byte[] Work { get; }

        /// <summary>Mutates <see cref="Work"/>; returns the input length to parse.</summary>
        public int Mutate()
        {
            int length = Work.Length;
            int count = Next(8) == 0 ? 2 + Next(3) : 1;
            for (int i = 0; i < count; i++)
            {
                length = MutateOnce(length);
            }

            return length;
        }

        public void Restore()
        {
            for (int i = _undo.Count - 1; i >= 0; i--)
            {
                (int offset, byte[] saved) = _undo[i];
                saved.CopyTo(Work, offset);
            }

            _undo.Clear();
        }

        private int MutateOnce(int length)
        {
            switch (Next(12))
            {
                case 0:
                case 1:
                    {
                        // Bit flip, mostly inside the used part of the blob.
                        int offset = Next(_usedEnd);
                        Set(offset, [(byte)(Work[offset] ^ (1 << Next(8)))]);
                        return length;
                    }

                case 2:
                    {
                        int offset = Next(_usedEnd);
                        byte value = Next(3) switch { 0 => 0, 1 => 0xff, _ => (byte)Next(256) };
                        Set(offset, [value]);
                        return length;
                    }

                case 3:
                    {
                        // Rewrite a structure token.
                        int offset = _tokenOffsets[Next(_tokenOffsets.Length)];
                        SetWord(offset, s_tokens[Next(s_tokens.Length)]);
                        return length;
                    }

                case 4:
                    // Truncate.
                    return Next(4) == 0 ? Next(Math.Min(length, 64) + 1) : Next(Math.Min(length, _usedEnd) + 1);

                case 5:
                case 6:
                    {
                        // Corrupt a header field: random, extreme, or another field's value (blocks into each other).
                        int field = 1 + Next(9);
                        uint value = Next(6) switch
                        {
                            0 => NextUInt(),
                            1 => 0,
                            2 => 0xffffffff,
                            3 => BinaryPrimitives.ReadUInt32BigEndian(Work.AsSpan(4 * (1 + Next(9)))),
                            4 => (uint)(BinaryPrimitives.ReadUInt32BigEndian(Work.AsSpan(field * 4)) + Next(17) - 8),
                            _ => (uint)Next(_usedEnd + 64),
                        };
                        SetWord(field * 4, value);
                        return length;
                    }

                case 7:
                    {
                        // A property's len or nameoff: huge, off by a little, or into the middle of a name.
                        if (_propertyOffsets.Length == 0)
                        {
                            return length;
                        }

                        int prop = _propertyOffsets[Next(_propertyOffsets.Length)];
                        int field = prop + 4 + (4 * Next(2));
                        uint current = BinaryPrimitives.ReadUInt32BigEndian(Work.AsSpan(field));
                        uint value = Next(4) switch
                        {
                            0 => NextUInt(),
                            1 => 0x7fffffff + (uint)Next(3),
                            2 => current + (uint)Next(9) - 4,
                            _ => (uint)Next(64),
                        };
                        SetWord(field, value);
                        return length;
                    }

                case 8:
                    {
                        // Deep nesting: BEGIN_NODE "a" repeated over the structure block.
                        int depth = 1 + Next(200);
                        int offset = _tokenOffsets[Next(_tokenOffsets.Length)];
                        for (int i = 0; i < depth && offset + 8 <= _structEnd; i++, offset += 8)
                        {
                            SetWord(offset, 1);
                            SetWord(offset + 4, 0x61000000);
                        }

                        return length;
                    }

                case 9:
                    {
                        // Huge counts: many empty properties or NOPs, or a reservation map pointed at non-zero data.
                        int choice = Next(3);
                        if (choice == 2)
                        {
                            SetWord(16, (uint)(Next(2) == 0 ? _stringsStart : _structStart));
                            return length;
                        }

                        int offset = _tokenOffsets[Next(_tokenOffsets.Length)];
                        int n = Next(2000);
                        int step = choice == 0 ? 12 : 4;
                        for (int i = 0; i < n && offset + step <= _structEnd; i++, offset += step)
                        {
                            SetWord(offset, choice == 0 ? 3u : 4u);
                            if (choice == 0)
                            {
                                SetWord(offset + 4, 0);
                                SetWord(offset + 8, 0);
                            }
                        }

                        return length;
                    }

                case 10:
                    {
                        // Version fields.
                        SetWord(20 + (4 * Next(2)), (uint)Next(20));
                        return length;
                    }

                default:
                    {
                        // Random 4-byte word anywhere in the used part.
                        int offset = Next(_usedEnd - 3);
                        SetWord(offset, NextUInt());
                        return length;
                    }
            }
        }

        private void SetWord(int offset, uint value)
        {
            Span<byte> bytes = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
            Set(offset, bytes);
        }

        private void Set(int offset, ReadOnlySpan<byte> bytes)
        {
            _undo.Add((offset, Work.AsSpan(offset, bytes.Length).ToArray()));
            bytes.CopyTo(Work.AsSpan(offset));
        }

        private ulong NextRaw()
        {
            // xorshift64 (13/7/17), as in the benchmark definitions.
            ulong x = _state;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            _state = x;
            return x;
        }

        private int Next(int bound) => (int)(NextRaw() % (ulong)bound);

        private uint NextUInt() => (uint)(NextRaw() >> 32);
    }
}
