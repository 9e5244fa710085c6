using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace IommuKit.Hardware.Memory;

/// <summary>
/// One RAM region whose backing store is allocated in 64 KiB chunks on first write, so a large
/// address space costs only what was touched. Untouched bytes read as zero. Chunk allocation is
/// lock-free (compare-and-exchange), so concurrent writers never lose a chunk.
/// </summary>
internal sealed class SparseRam
{
    internal const int ChunkShift = 16;
    internal const int ChunkSize = 1 << ChunkShift;
    internal const int ChunkMask = ChunkSize - 1;
    private const int LeafShift = 10; // 1024 chunks (64 MiB) per directory leaf
    private const int LeafMask = (1 << LeafShift) - 1;

    /// <summary>Largest region (64 TiB): its directory of leaf pointers is 8 MiB, allocated up front.</summary>
    internal const ulong MaxSize = 1UL << 46;

    private readonly byte[]?[]?[] _directory;
    private long _chunks;

    public SparseRam(ulong baseAddress, ulong size)
    {
        if (size == 0 || size > MaxSize)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "A RAM region holds 1 byte to 64 TiB.");
        }

        Base = baseAddress;
        Size = size;
        ulong leaves = ((size - 1) >> (ChunkShift + LeafShift)) + 1;
        _directory = new byte[]?[]?[(int)leaves];
    }

    public ulong Base { get; }

    public ulong Size { get; }

    /// <summary>Bytes of host memory backing this region (64 KiB per touched chunk).</summary>
    public long BackedBytes => Interlocked.Read(ref _chunks) * ChunkSize;

    /// <summary>
    /// The two-level chunk directory (leaf pointers, each leaf 1024 chunk pointers). The array
    /// itself never changes, so <see cref="PhysicalMemory"/> keeps it to reach a chunk with one
    /// dependent load less on its fast path.
    /// </summary>
    public byte[]?[]?[] Directory => _directory;

    /// <summary>The chunk holding <paramref name="offset"/>, or null if nothing was ever written there.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte[]? ChunkForRead(ulong offset) => ChunkForRead(_directory, offset);

    /// <summary>The chunk of <paramref name="directory"/> holding <paramref name="offset"/>, or null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte[]? ChunkForRead(byte[]?[]?[] directory, ulong offset)
    {
        byte[]?[]? leaf = directory[(int)(offset >> (ChunkShift + LeafShift))];
        return leaf is null ? null : LeafEntry(leaf, offset);
    }

    /// <summary>The chunk holding <paramref name="offset"/>, allocating it (zeroed) on first use.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte[] ChunkForWrite(ulong offset)
    {
        byte[]?[]? leaf = _directory[(int)(offset >> (ChunkShift + LeafShift))];
        byte[]? chunk = leaf is null ? null : LeafEntry(leaf, offset);
        return chunk ?? AllocateChunk(offset);
    }

    /// <summary>
    /// The chunk slot of <paramref name="offset"/> in its leaf. Every leaf has exactly 1024 slots and
    /// the index is masked to 0..1023, so the access needs no bounds check.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte[]? LeafEntry(byte[]?[] leaf, ulong offset)
    {
        Debug.Assert(leaf.Length == 1 << LeafShift);
        return Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(leaf), (int)(offset >> ChunkShift) & LeafMask);
    }

    /// <summary>Allocates (zeroed) the chunk holding <paramref name="offset"/>, or returns the one another thread installed first.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public byte[] AllocateChunk(ulong offset)
    {
        ref byte[]?[]? leafSlot = ref _directory[(int)(offset >> (ChunkShift + LeafShift))];
        byte[]?[] leaf = leafSlot ?? Interlocked.CompareExchange(ref leafSlot, new byte[]?[1 << LeafShift], null) ?? leafSlot!;
        ref byte[]? slot = ref leaf[(int)(offset >> ChunkShift) & LeafMask];
        byte[]? existing = slot;
        if (existing is not null)
        {
            return existing;
        }

        byte[] fresh = GC.AllocateArray<byte>(ChunkSize, pinned: false);
        existing = Interlocked.CompareExchange(ref slot, fresh, null);
        if (existing is not null)
        {
            return existing;
        }

        Interlocked.Increment(ref _chunks);
        return fresh;
    }

    /// <summary>
    /// Copies the 64-byte line at <paramref name="offset"/> (64-byte aligned) into <paramref name="line"/>
    /// as eight single-copy-atomic 8-byte loads, as a cache line fill does.
    /// </summary>
    public void ReadLine(ulong offset, Span<byte> line)
    {
        Debug.Assert((offset & 63) == 0 && line.Length == 64);
        byte[]? chunk = ChunkForRead(offset);
        if (chunk is null)
        {
            line.Clear();
            return;
        }

        ref ulong source = ref Unsafe.As<byte, ulong>(ref chunk[(int)(offset & ChunkMask)]);
        ref byte destination = ref MemoryMarshal.GetReference(line);
        for (int i = 0; i < 8; i++)
        {
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, i * 8), Volatile.Read(ref Unsafe.Add(ref source, i)));
        }
    }

    /// <summary>
    /// Stores the 64-byte line at <paramref name="offset"/> (64-byte aligned) as eight single-copy-atomic
    /// 8-byte stores, as a cache line write-back does.
    /// </summary>
    public void WriteLine(ulong offset, ReadOnlySpan<byte> line)
    {
        Debug.Assert((offset & 63) == 0 && line.Length == 64);
        ref ulong destination = ref Unsafe.As<byte, ulong>(ref ChunkForWrite(offset)[(int)(offset & ChunkMask)]);
        ref byte source = ref MemoryMarshal.GetReference(line);
        for (int i = 0; i < 8; i++)
        {
            Volatile.Write(ref Unsafe.Add(ref destination, i), Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, i * 8)));
        }
    }

    /// <summary>Reads a naturally aligned value of 1, 2, 4 or 8 bytes (single-copy atomic).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong ReadAligned(byte[] chunk, int index, int size)
    {
        Debug.Assert((index & (size - 1)) == 0 && index <= ChunkSize - size);
        ref byte p = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(chunk), index);
        ulong value = size switch
        {
            8 => Volatile.Read(ref Unsafe.As<byte, ulong>(ref p)),
            4 => Volatile.Read(ref Unsafe.As<byte, uint>(ref p)),
            2 => Volatile.Read(ref Unsafe.As<byte, ushort>(ref p)),
            _ => Volatile.Read(ref p),
        };
        return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value) >> (64 - (8 * size));
    }

    /// <summary>Writes a naturally aligned value of 1, 2, 4 or 8 bytes (single-copy atomic).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteAligned(byte[] chunk, int index, int size, ulong value)
    {
        Debug.Assert((index & (size - 1)) == 0 && index <= ChunkSize - size);
        ref byte p = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(chunk), index);
        if (!BitConverter.IsLittleEndian)
        {
            value = BinaryPrimitives.ReverseEndianness(value) >> (64 - (8 * size));
        }

        switch (size)
        {
            case 8:
                Volatile.Write(ref Unsafe.As<byte, ulong>(ref p), value);
                break;
            case 4:
                Volatile.Write(ref Unsafe.As<byte, uint>(ref p), (uint)value);
                break;
            case 2:
                Volatile.Write(ref Unsafe.As<byte, ushort>(ref p), (ushort)value);
                break;
            default:
                Volatile.Write(ref p, (byte)value);
                break;
        }
    }

    /// <summary>Reads an aligned or unaligned value of 1–8 bytes that lies inside one chunk.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong ReadInChunk(byte[] chunk, int index, int size)
    {
        ref byte p = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(chunk), index);
        ulong value = size switch
        {
            8 => (index & 7) == 0 ? Volatile.Read(ref Unsafe.As<byte, ulong>(ref p)) : Unsafe.ReadUnaligned<ulong>(ref p),
            4 => Unsafe.ReadUnaligned<uint>(ref p),
            2 => Unsafe.ReadUnaligned<ushort>(ref p),
            _ => p,
        };

        // Simulated memory is little-endian; the JIT removes this on little-endian hosts.
        return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value) >> (64 - (8 * size));
    }

    /// <summary>Writes a value of 1–8 bytes that lies inside one chunk.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteInChunk(byte[] chunk, int index, int size, ulong value)
    {
        ref byte p = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(chunk), index);
        if (!BitConverter.IsLittleEndian)
        {
            value = BinaryPrimitives.ReverseEndianness(value) >> (64 - (8 * size));
        }

        switch (size)
        {
            case 8:
                if ((index & 7) == 0)
                {
                    Volatile.Write(ref Unsafe.As<byte, ulong>(ref p), value);
                }
                else
                {
                    Unsafe.WriteUnaligned(ref p, value);
                }

                break;
            case 4:
                Unsafe.WriteUnaligned(ref p, (uint)value);
                break;
            case 2:
                Unsafe.WriteUnaligned(ref p, (ushort)value);
                break;
            default:
                p = (byte)value;
                break;
        }
    }
}
