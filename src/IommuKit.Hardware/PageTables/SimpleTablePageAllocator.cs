using System.Numerics;
using IommuKit.Hardware.Memory;

namespace IommuKit.Hardware.PageTables;

/// <summary>
/// A table-page allocator over one RAM range: per-size free lists, then a bump pointer, then
/// splitting a larger free block. For tests and for machines without a kernel page allocator.
/// </summary>
/// <remarks>
/// Allocations are naturally aligned; alignment gaps left by the bump pointer go to the free lists.
/// Pages are zeroed through the CPU path (<see cref="BusAccess.Cpu"/>), as a kernel would clear
/// them. Thread-safe (one lock); after warm-up, allocating and freeing do not allocate host memory.
/// </remarks>
public sealed class SimpleTablePageAllocator : ITablePageAllocator
{
    private const int MinShift = 6;
    private const int MaxShift = 30;

    private readonly PhysicalMemory _memory;
    private readonly ulong _base;
    private readonly ulong _end;
    private readonly Stack<ulong>[] _free = new Stack<ulong>[MaxShift + 1];
    private readonly Lock _lock = new();
    private ulong _bump;
    private long _allocatedBytes;
    private int _allocatedCount;

    /// <summary>Creates an allocator over [<paramref name="basePa"/>, +<paramref name="size"/>), which must be RAM and 64-byte aligned.</summary>
    public SimpleTablePageAllocator(PhysicalMemory memory, ulong basePa, ulong size)
    {
        ArgumentNullException.ThrowIfNull(memory);
        if (size == 0 || ((basePa | size) & 63) != 0)
        {
            throw new ArgumentException("The range must be non-empty and 64-byte aligned.");
        }

        if (!memory.IsRam(basePa, size))
        {
            throw new ArgumentException($"0x{basePa:x}+0x{size:x} is not RAM.");
        }

        _memory = memory;
        _base = basePa;
        _end = basePa + size;
        _bump = basePa;
        for (int i = MinShift; i <= MaxShift; i++)
        {
            _free[i] = new Stack<ulong>();
        }
    }

    /// <summary>Bytes currently allocated.</summary>
    public long AllocatedBytes
    {
        get
        {
            lock (_lock)
            {
                return _allocatedBytes;
            }
        }
    }

    /// <summary>Allocations currently outstanding.</summary>
    public int AllocatedCount
    {
        get
        {
            lock (_lock)
            {
                return _allocatedCount;
            }
        }
    }

    /// <inheritdoc/>
    public bool TryAllocate(int bytes, out ulong pa)
    {
        int shift = CheckSize(bytes);
        lock (_lock)
        {
            if (!TryTake(shift, out pa))
            {
                return false;
            }

            _allocatedBytes += bytes;
            _allocatedCount++;
        }

        Zero(pa, bytes);
        return true;
    }

    /// <inheritdoc/>
    public void Free(ulong pa, int bytes)
    {
        int shift = CheckSize(bytes);
        if (pa < _base || pa >= _end || _end - pa < (ulong)bytes || (pa & (ulong)(bytes - 1)) != 0)
        {
            throw new ArgumentException($"0x{pa:x} (+{bytes}) was not allocated here.", nameof(pa));
        }

        lock (_lock)
        {
            _free[shift].Push(pa);
            _allocatedBytes -= bytes;
            _allocatedCount--;
        }
    }

    private static int CheckSize(int bytes)
    {
        if (bytes < (1 << MinShift) || bytes > (1 << MaxShift) || !BitOperations.IsPow2(bytes))
        {
            throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "Table allocations are powers of two from 64 bytes to 1 GiB.");
        }

        return BitOperations.Log2((uint)bytes);
    }

    private bool TryTake(int shift, out ulong pa)
    {
        if (_free[shift].TryPop(out pa))
        {
            return true;
        }

        ulong size = 1UL << shift;
        ulong aligned = (_bump + size - 1) & ~(size - 1);
        if (aligned >= _bump && aligned <= _end && _end - aligned >= size)
        {
            // Give the alignment gap to the free lists in naturally aligned pieces.
            while (_bump < aligned)
            {
                ulong piece = _bump & (0UL - _bump);
                while (_bump + piece > aligned)
                {
                    piece >>= 1;
                }

                _free[BitOperations.Log2(piece)].Push(_bump);
                _bump += piece;
            }

            pa = aligned;
            _bump = aligned + size;
            return true;
        }

        // Split the smallest larger free block.
        for (int s = shift + 1; s <= MaxShift; s++)
        {
            if (_free[s].TryPop(out ulong block))
            {
                for (int t = s - 1; t >= shift; t--)
                {
                    _free[t].Push(block + (1UL << t));
                }

                pa = block;
                return true;
            }
        }

        pa = 0;
        return false;
    }

    private void Zero(ulong pa, int bytes)
    {
        Span<byte> zeros = stackalloc byte[Math.Min(bytes, 4096)];
        zeros.Clear();
        for (int off = 0; off < bytes; off += zeros.Length)
        {
            BusStatus s = _memory.Write(pa + (ulong)off, zeros, BusAccess.Cpu);
            if (s != BusStatus.Ok)
            {
                throw new InvalidOperationException($"Table page 0x{pa:x} is not writable RAM ({s}).");
            }
        }
    }
}
