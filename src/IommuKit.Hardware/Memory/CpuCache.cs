using System.Buffers.Binary;
using System.Diagnostics;

namespace IommuKit.Hardware.Memory;

/// <summary>
/// A write-back, write-allocate CPU data cache with 64-byte lines, shared by all CPUs of a
/// machine (the point of coherency between CPUs is assumed; what is modelled is the CPU side
/// against DMA). CPU accesses fill and dirty lines; snooping device accesses see dirty data and
/// take lines away from the CPU; non-snooping device accesses see RAM only, so a device reads
/// stale data unless software cleaned the lines, and the CPU keeps reading its cached copy of
/// data a device wrote unless software invalidated it afterwards.
/// </summary>
/// <remarks>
/// <para>
/// Protocol, per line: a CPU read fills the line from RAM if absent; a CPU write fills it and marks
/// it dirty. A snooping read returns the line's data if the line is dirty, else RAM. A snooping
/// write writes a dirty line back, drops the line, then writes RAM (the CPU refetches on its next
/// access). Non-snooping accesses never reach this class.
/// </para>
/// <para>
/// Maintenance by range mirrors Arm DC CVAC / IVAC / CIVAC applied to every line the range
/// touches; <see cref="WriteBackInvalidateAll"/> mirrors x86 WBINVD. A write-back stores the whole
/// 64-byte line, so it overwrites whatever a non-snooping device wrote to those bytes of RAM.
/// </para>
/// <para>
/// Capacity evictions are FIFO (oldest fill first), so a run is reproducible. Lines are recycled,
/// so a full cache allocates nothing. All operations take one lock.
/// </para>
/// </remarks>
public sealed class CpuCache
{
    /// <summary>Bytes per cache line.</summary>
    public const int LineSize = 64;
    private const ulong LineMask = LineSize - 1;

    private readonly PhysicalMemory _memory;
    private readonly int _capacity;
    private readonly Dictionary<ulong, Line> _lines = [];
    private readonly Lock _lock = new();
    private Line? _oldest;
    private Line? _newest;
    private Line? _free;
    private int _dirtyCount;

    internal CpuCache(PhysicalMemory memory, CpuCacheOptions options)
    {
        if (options.CapacityLines < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "The cache needs at least one line.");
        }

        _memory = memory;
        _capacity = options.CapacityLines;
    }

    /// <summary>Capacity in lines; a fill beyond it evicts the oldest line.</summary>
    public int CapacityLines => _capacity;

    /// <summary>Lines currently held.</summary>
    public int LineCount
    {
        get
        {
            lock (_lock)
            {
                return _lines.Count;
            }
        }
    }

    /// <summary>Lines currently held whose data differs from RAM (dirty).</summary>
    public int DirtyLineCount
    {
        get
        {
            lock (_lock)
            {
                return _dirtyCount;
            }
        }
    }

    /// <summary>True if the line holding <paramref name="pa"/> is cached.</summary>
    public bool Contains(ulong pa)
    {
        lock (_lock)
        {
            return _lines.ContainsKey(pa & ~LineMask);
        }
    }

    /// <summary>True if the line holding <paramref name="pa"/> is cached and dirty.</summary>
    public bool IsDirty(ulong pa)
    {
        lock (_lock)
        {
            return _lines.TryGetValue(pa & ~LineMask, out Line? line) && line.Dirty;
        }
    }

    /// <summary>
    /// Fills the RAM lines of the range as a speculative or prefetching CPU read would: real CPUs
    /// may allocate lines of cacheable memory at any time, which is why a buffer a non-coherent
    /// device writes must be invalidated after the DMA, not only before. Lines that are not RAM are
    /// skipped. Only the last <see cref="CapacityLines"/> lines of a longer range can stay cached, so
    /// only those are filled.
    /// </summary>
    public void Prefetch(ulong pa, ulong length)
    {
        if (length == 0)
        {
            return;
        }

        (ulong first, ulong last) = LineRange(pa, length);
        ulong span = (ulong)(_capacity - 1) * LineSize;
        if (last - first > span)
        {
            first = last - span;
        }

        lock (_lock)
        {
            for (ulong address = first; ; address += LineSize)
            {
                if (_memory.IsRam(address, LineSize))
                {
                    Fill(address);
                }

                if (address == last)
                {
                    break;
                }
            }
        }
    }

    /// <summary>Writes back every dirty line the range touches (DC CVAC). Lines stay cached, now clean.</summary>
    public void Clean(ulong pa, ulong length) => ForRange(pa, length, clean: true, invalidate: false);

    /// <summary>Discards every line the range touches (DC IVAC); dirty data in them is lost.</summary>
    public void Invalidate(ulong pa, ulong length) => ForRange(pa, length, clean: false, invalidate: true);

    /// <summary>Writes back dirty lines the range touches, then discards them (DC CIVAC).</summary>
    public void CleanInvalidate(ulong pa, ulong length) => ForRange(pa, length, clean: true, invalidate: true);

    /// <summary>Writes back every dirty line and empties the cache (WBINVD).</summary>
    public void WriteBackInvalidateAll()
    {
        lock (_lock)
        {
            Line? line = _oldest;
            while (line is not null)
            {
                Line? next = line.Newer;
                Maintain(line, clean: true, invalidate: true);
                line = next;
            }

            Debug.Assert(_lines.Count == 0 && _dirtyCount == 0);
        }
    }

    /// <summary>A CPU or snooping read of RAM bytes that lie in one RAM region.</summary>
    internal void Read(ulong pa, Span<byte> destination, BusAccess access)
    {
        Debug.Assert(access != BusAccess.NoSnoop);
        lock (_lock)
        {
            while (!destination.IsEmpty)
            {
                ulong lineAddress = pa & ~LineMask;
                int index = (int)(pa & LineMask);
                int n = Math.Min(destination.Length, LineSize - index);
                if (access == BusAccess.Cpu)
                {
                    Fill(lineAddress).Data.AsSpan(index, n).CopyTo(destination);
                }
                else if (_lines.TryGetValue(lineAddress, out Line? line) && line.Dirty)
                {
                    // A snoop hits a dirty line: the cache supplies the data.
                    line.Data.AsSpan(index, n).CopyTo(destination);
                }
                else
                {
                    _memory.ReadRamDirect(pa, destination[..n]);
                }

                destination = destination[n..];
                pa += (ulong)n;
            }
        }
    }

    /// <summary>A CPU or snooping write of RAM bytes that lie in one RAM region.</summary>
    internal void Write(ulong pa, ReadOnlySpan<byte> source, BusAccess access)
    {
        Debug.Assert(access != BusAccess.NoSnoop);
        lock (_lock)
        {
            while (!source.IsEmpty)
            {
                ulong lineAddress = pa & ~LineMask;
                int index = (int)(pa & LineMask);
                int n = Math.Min(source.Length, LineSize - index);
                if (access == BusAccess.Cpu)
                {
                    Line line = Fill(lineAddress);
                    source[..n].CopyTo(line.Data.AsSpan(index));
                    MarkDirty(line);
                }
                else
                {
                    // A snooping write takes the line from the CPU: dirty data is written back
                    // first, the line is dropped, then the device's bytes land in RAM.
                    if (_lines.TryGetValue(lineAddress, out Line? line))
                    {
                        Maintain(line, clean: true, invalidate: true);
                    }

                    _memory.WriteRamDirect(pa, source[..n]);
                }

                source = source[n..];
                pa += (ulong)n;
            }
        }
    }

    /// <summary>An atomic compare-and-exchange of an aligned RAM word, as seen by a CPU or snooping agent.</summary>
    internal ulong CompareExchange64(ulong pa, ulong expected, ulong desired, BusAccess access)
    {
        Debug.Assert((pa & 7) == 0);
        Span<byte> bytes = stackalloc byte[8];
        lock (_lock)
        {
            Read(pa, bytes, access);
            ulong original = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            if (original == expected)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, desired);
                Write(pa, bytes, access);
            }

            return original;
        }
    }

    /// <summary>First and last line addresses of a non-empty range, clamped at the top of the address space.</summary>
    private static (ulong First, ulong Last) LineRange(ulong pa, ulong length)
    {
        ulong end = length - 1 > ulong.MaxValue - pa ? ulong.MaxValue : pa + length - 1;
        return (pa & ~LineMask, end & ~LineMask);
    }

    private Line Fill(ulong lineAddress)
    {
        if (_lines.TryGetValue(lineAddress, out Line? line))
        {
            return line;
        }

        if (_lines.Count >= _capacity)
        {
            Maintain(_oldest!, clean: true, invalidate: true);
        }

        if (_free is { } recycled)
        {
            line = recycled;
            _free = recycled.Newer;
        }
        else
        {
            line = new Line();
        }

        line.Address = lineAddress;
        line.Dirty = false;
        line.Older = _newest;
        line.Newer = null;
        if (_newest is null)
        {
            _oldest = line;
        }
        else
        {
            _newest.Newer = line;
        }

        _newest = line;
        _memory.ReadRamLine(lineAddress, line.Data);
        _lines.Add(lineAddress, line);
        return line;
    }

    private void MarkDirty(Line line)
    {
        if (!line.Dirty)
        {
            line.Dirty = true;
            _dirtyCount++;
        }
    }

    private void ForRange(ulong pa, ulong length, bool clean, bool invalidate)
    {
        if (length == 0)
        {
            return;
        }

        (ulong first, ulong last) = LineRange(pa, length);
        lock (_lock)
        {
            if ((last - first) / LineSize >= (ulong)_lines.Count)
            {
                // A range with more lines than the cache holds: visit the cached lines instead.
                Line? line = _oldest;
                while (line is not null)
                {
                    Line? next = line.Newer;
                    if (line.Address >= first && line.Address <= last)
                    {
                        Maintain(line, clean, invalidate);
                    }

                    line = next;
                }

                return;
            }

            for (ulong address = first; ; address += LineSize)
            {
                if (_lines.TryGetValue(address, out Line? line))
                {
                    Maintain(line, clean, invalidate);
                }

                if (address == last)
                {
                    break;
                }
            }
        }
    }

    private void Maintain(Line line, bool clean, bool invalidate)
    {
        if (clean && line.Dirty)
        {
            _memory.WriteRamLine(line.Address, line.Data);
            line.Dirty = false;
            _dirtyCount--;
        }

        if (!invalidate)
        {
            return;
        }

        if (line.Dirty)
        {
            _dirtyCount--;
        }

        _lines.Remove(line.Address);
        if (line.Older is null)
        {
            _oldest = line.Newer;
        }
        else
        {
            line.Older.Newer = line.Newer;
        }

        if (line.Newer is null)
        {
            _newest = line.Older;
        }
        else
        {
            line.Newer.Older = line.Older;
        }

        line.Older = null;
        line.Newer = _free;
        _free = line;
    }

    /// <summary>One cache line, linked in fill order (or in the free list through <see cref="Newer"/>).</summary>
    private sealed class Line
    {
        public byte[] Data { get; } = new byte[LineSize];

        public ulong Address { get; set; }

        public bool Dirty { get; set; }

        public Line? Older { get; set; }

        public Line? Newer { get; set; }
    }
}
