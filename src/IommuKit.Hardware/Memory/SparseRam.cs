using System.Buffers.Binary;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace IommuKit.Hardware.Memory;

/// <summary>
/// One RAM region, stored contiguously in a <see cref="RamMapping"/>: the host kernel backs only the
/// pages that were written, so a large address space costs only what was touched, and an access is
/// one host load or store at <c>base + offset</c>. Untouched bytes read as zero.
/// </summary>
/// <remarks>
/// <see cref="BackedBytes"/> counts the accounting units (64 KiB, or larger in regions above 1 TiB
/// so the bitmap stays within 2 MiB) that were ever written, and reports them to the garbage
/// collector as memory pressure. Every method keeps the object alive until its last pointer access
/// (<see cref="GC.KeepAlive(object)"/>), so the mapping cannot be released under it.
/// </remarks>
internal sealed unsafe class SparseRam
{
    /// <summary>Smallest accounting unit (64 KiB).</summary>
    internal const int ChunkShift = 16;

    /// <summary>Largest region (64 TiB).</summary>
    internal const ulong MaxSize = 1UL << 46;

    private const int MaxAccountingUnits = 1 << 24;

    // The largest walk view (16 TiB of host address space, mostly read-only holes).
    private const int MaxViewShift = 44;

    private readonly RamMapping _mapping;
    private readonly byte* _base;
    private readonly ulong[] _touched;
    private readonly int _unitShift;
    private long _units;

    public SparseRam(ulong baseAddress, ulong size)
    {
        if (size == 0 || size > MaxSize)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "A RAM region holds 1 byte to 64 TiB.");
        }

        Base = baseAddress;
        Size = size;
        _unitShift = ChunkShift;
        while (((size - 1) >> _unitShift) >= MaxAccountingUnits)
        {
            _unitShift++;
        }

        _touched = new ulong[(int)((((size - 1) >> _unitShift) >> 6) + 1)];

        // The walk view: physical addresses 0 to the next power of two at or above the region's
        // end, the rest of it reading as zero, when that costs at most 2^MaxViewShift of address
        // space (and, where holes cannot be mapped, needs none); otherwise there is none.
        ulong top = baseAddress + size;
        int k = top == 0 ? 64 : 64 - BitOperations.LeadingZeroCount(top - 1);
        if (k <= MaxViewShift && (RamMapping.SupportsHoles || (baseAddress == 0 && top == 1UL << k)))
        {
            _mapping = RamMapping.Reserve(size, baseAddress, (1UL << k) - top);
            ViewSize = 1UL << k;
        }
        else
        {
            _mapping = RamMapping.Reserve(size);
        }

        _base = (byte*)_mapping.Start;
    }

    public ulong Base { get; }

    public ulong Size { get; }

    /// <summary>Host address of offset 0 (valid while this object is reachable).</summary>
    public byte* Pointer => _base;

    /// <summary>
    /// Size of the walk view: physical addresses [0, <see cref="ViewSize"/>), a power of two that
    /// holds the region, which a reader can load from at <see cref="ViewOrigin"/> + PA without a
    /// bounds check of its own; its bytes outside the region read as zero. 0 when there is none.
    /// </summary>
    public ulong ViewSize { get; }

    /// <summary>The host address that physical address 0 has in the walk view: <see cref="Pointer"/> − <see cref="Base"/>.</summary>
    public byte* ViewOrigin => _base - Base;

    /// <summary>Bytes of host memory backing this region (the accounting units ever written).</summary>
    public long BackedBytes => Interlocked.Read(ref _units) << _unitShift;

    /// <summary>Records a write of <paramref name="length"/> (≥ 1) bytes at <paramref name="offset"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void NoteWrite(ulong offset, ulong length)
    {
        ulong first = offset >> _unitShift;
        ulong last = (offset + length - 1) >> _unitShift;
        if (first != last || (Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_touched), (nint)(first >> 6)) & (1UL << (int)first)) == 0)
        {
            Touch(first, last);
        }
    }

    /// <summary>Marks units <paramref name="first"/>..<paramref name="last"/> written (lock-free).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Touch(ulong first, ulong last)
    {
        long added = 0;
        for (ulong u = first; u <= last; u++)
        {
            ulong bit = 1UL << (int)u;
            if ((Interlocked.Or(ref _touched[(int)(u >> 6)], bit) & bit) == 0)
            {
                added++;
            }
        }

        if (added != 0)
        {
            Interlocked.Add(ref _units, added);
            _mapping.AddPressure(added << _unitShift);
        }
    }

    /// <summary>Copies bytes out of the region.</summary>
    public void Read(ulong offset, Span<byte> destination)
    {
        Debug.Assert(offset <= Size && (ulong)destination.Length <= Size - offset);
        new ReadOnlySpan<byte>(_base + offset, destination.Length).CopyTo(destination);
        GC.KeepAlive(this);
    }

    /// <summary>Copies bytes into the region.</summary>
    public void Write(ulong offset, ReadOnlySpan<byte> source)
    {
        Debug.Assert(offset <= Size && (ulong)source.Length <= Size - offset);
        if (source.IsEmpty)
        {
            return;
        }

        NoteWrite(offset, (ulong)source.Length);
        source.CopyTo(new Span<byte>(_base + offset, source.Length));
        GC.KeepAlive(this);
    }

    /// <summary>
    /// Copies the 64-byte line at <paramref name="offset"/> (64-byte aligned) into <paramref name="line"/>
    /// as eight single-copy-atomic 8-byte loads, as a cache line fill does.
    /// </summary>
    public void ReadLine(ulong offset, Span<byte> line)
    {
        Debug.Assert((offset & 63) == 0 && line.Length == 64 && offset < Size);
        ulong* source = (ulong*)(_base + offset);
        ref byte destination = ref MemoryMarshal.GetReference(line);
        for (int i = 0; i < 8; i++)
        {
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, i * 8), Volatile.Read(ref source[i]));
        }

        GC.KeepAlive(this);
    }

    /// <summary>
    /// Stores the 64-byte line at <paramref name="offset"/> (64-byte aligned) as eight single-copy-atomic
    /// 8-byte stores, as a cache line write-back does.
    /// </summary>
    public void WriteLine(ulong offset, ReadOnlySpan<byte> line)
    {
        Debug.Assert((offset & 63) == 0 && line.Length == 64 && offset < Size);
        NoteWrite(offset, 64);
        ulong* destination = (ulong*)(_base + offset);
        ref byte source = ref MemoryMarshal.GetReference(line);
        for (int i = 0; i < 8; i++)
        {
            Volatile.Write(ref destination[i], Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, i * 8)));
        }

        GC.KeepAlive(this);
    }

    /// <summary>Reads 1–8 bytes at <paramref name="offset"/>; single-copy atomic when naturally aligned.</summary>
    public ulong ReadValue(ulong offset, int size)
    {
        Debug.Assert(offset < Size && (ulong)size <= Size - offset);
        ulong value = ReadAt(_base + offset, size);
        GC.KeepAlive(this);
        return value;
    }

    /// <summary>Writes the low 1–8 bytes of <paramref name="value"/>; single-copy atomic when naturally aligned.</summary>
    public void WriteValue(ulong offset, int size, ulong value)
    {
        Debug.Assert(offset < Size && (ulong)size <= Size - offset);
        NoteWrite(offset, (ulong)size);
        WriteAt(_base + offset, size, value);
        GC.KeepAlive(this);
    }

    /// <summary>Atomic compare-and-exchange of the aligned little-endian word at <paramref name="offset"/>.</summary>
    public ulong CompareExchange64(ulong offset, ulong expected, ulong desired)
    {
        Debug.Assert((offset & 7) == 0 && offset < Size);
        NoteWrite(offset, 8);
        ref ulong word = ref *(ulong*)(_base + offset);
        ulong original = BitConverter.IsLittleEndian
            ? Interlocked.CompareExchange(ref word, desired, expected)
            : BinaryPrimitives.ReverseEndianness(Interlocked.CompareExchange(
                ref word,
                BinaryPrimitives.ReverseEndianness(desired),
                BinaryPrimitives.ReverseEndianness(expected)));
        GC.KeepAlive(this);
        return original;
    }

    /// <summary>
    /// Reads a little-endian value of 1–8 bytes at <paramref name="p"/>: one single-copy-atomic load
    /// when it is 1, 2, 4 or 8 bytes naturally aligned, byte by byte otherwise.
    /// </summary>
    public static ulong ReadAt(byte* p, int size)
    {
        if ((size & (size - 1)) == 0 && ((nint)p & (size - 1)) == 0)
        {
            return ReadAligned(p, size);
        }

        ulong value = 0;
        for (int i = 0; i < size; i++)
        {
            value |= (ulong)p[i] << (8 * i);
        }

        return value;
    }

    /// <summary>Writes the low 1–8 bytes of <paramref name="value"/> little-endian at <paramref name="p"/> (atomic when naturally aligned).</summary>
    public static void WriteAt(byte* p, int size, ulong value)
    {
        if ((size & (size - 1)) == 0 && ((nint)p & (size - 1)) == 0)
        {
            WriteAligned(p, size, value);
            return;
        }

        for (int i = 0; i < size; i++)
        {
            p[i] = (byte)(value >> (8 * i));
        }
    }

    /// <summary>A naturally aligned single-copy-atomic load of 1, 2, 4 or 8 bytes (little-endian).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong ReadAligned(byte* p, int size)
    {
        ulong value = size switch
        {
            8 => Volatile.Read(ref *(ulong*)p),
            4 => Volatile.Read(ref *(uint*)p),
            2 => Volatile.Read(ref *(ushort*)p),
            _ => Volatile.Read(ref *p),
        };

        // Simulated memory is little-endian; the JIT removes this on little-endian hosts.
        return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value) >> (64 - (8 * size));
    }

    /// <summary>A naturally aligned single-copy-atomic store of 1, 2, 4 or 8 bytes (little-endian).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteAligned(byte* p, int size, ulong value)
    {
        if (!BitConverter.IsLittleEndian)
        {
            value = BinaryPrimitives.ReverseEndianness(value) >> (64 - (8 * size));
        }

        switch (size)
        {
            case 8:
                Volatile.Write(ref *(ulong*)p, value);
                break;
            case 4:
                Volatile.Write(ref *(uint*)p, (uint)value);
                break;
            case 2:
                Volatile.Write(ref *(ushort*)p, (ushort)value);
                break;
            default:
                Volatile.Write(ref *p, (byte)value);
                break;
        }
    }
}
