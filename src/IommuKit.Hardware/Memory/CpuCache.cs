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
/// Maintenance by range mirrors Arm DC CVAC / IVAC / CIVAC applied to every line of the range;
/// <see cref="WriteBackInvalidateAll"/> mirrors x86 WBINVD. Capacity evictions are FIFO, so a run
/// is reproducible. All operations take one lock.
/// </remarks>
public sealed class CpuCache
{
    public const int LineSize = 64;
    private const ulong LineMask = LineSize - 1;

    private readonly PhysicalMemory _memory;
    private readonly int _capacity;
    private readonly Dictionary<ulong, Line> _lines = [];
    private readonly Queue<(ulong Address, long Sequence)> _fifo = new();
    private readonly Lock _lock = new();
    private long _sequence;

    internal CpuCache(PhysicalMemory memory, CpuCacheOptions options)
    {
        if (options.CapacityLines < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "The cache needs at least one line.");
        }

        _memory = memory;
        _capacity = options.CapacityLines;
    }

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
                return _lines.Values.Count(l => l.Dirty);
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

    /// <summary>Writes back every dirty line in the range (DC CVAC). Lines stay cached, now clean.</summary>
    public void Clean(ulong pa, ulong length) => ForRange(pa, length, clean: true, invalidate: false);

    /// <summary>Discards every line in the range (DC IVAC); dirty data in them is lost.</summary>
    public void Invalidate(ulong pa, ulong length) => ForRange(pa, length, clean: false, invalidate: true);

    /// <summary>Writes back dirty lines in the range, then discards them (DC CIVAC).</summary>
    public void CleanInvalidate(ulong pa, ulong length) => ForRange(pa, length, clean: true, invalidate: true);

    /// <summary>Writes back every dirty line and empties the cache (WBINVD).</summary>
    public void WriteBackInvalidateAll()
    {
        lock (_lock)
        {
            foreach ((ulong address, Line line) in _lines)
            {
                if (line.Dirty)
                {
                    _memory.WriteRamDirect(address, line.Data);
                }
            }

            _lines.Clear();
            _fifo.Clear();
        }
    }

    internal void Read(ulong pa, Span<byte> destination, BusAccess access)
    {
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

    internal void Write(ulong pa, ReadOnlySpan<byte> source, BusAccess access)
    {
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
                    line.Dirty = true;
                }
                else
                {
                    // A snooping write takes the line from the CPU: dirty data is written back
                    // first, the line is dropped, then the device's bytes land in RAM.
                    if (_lines.Remove(lineAddress, out Line? line) && line.Dirty)
                    {
                        _memory.WriteRamDirect(lineAddress, line.Data);
                    }

                    _memory.WriteRamDirect(pa, source[..n]);
                }

                source = source[n..];
                pa += (ulong)n;
            }
        }
    }

    internal ulong CompareExchange64(ulong pa, ulong expected, ulong desired, BusAccess access)
    {
        lock (_lock)
        {
            Span<byte> bytes = stackalloc byte[8];
            Read(pa, bytes, access);
            ulong original = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            if (original == expected)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes, desired);
                Write(pa, bytes, access);
            }

            return original;
        }
    }

    private Line Fill(ulong lineAddress)
    {
        if (_lines.TryGetValue(lineAddress, out Line? line))
        {
            return line;
        }

        while (_lines.Count >= _capacity && _fifo.TryDequeue(out (ulong Address, long Sequence) victim))
        {
            if (_lines.TryGetValue(victim.Address, out Line? old) && old.Sequence == victim.Sequence)
            {
                if (old.Dirty)
                {
                    _memory.WriteRamDirect(victim.Address, old.Data);
                }

                _lines.Remove(victim.Address);
            }
        }

        line = new Line(++_sequence);
        _memory.ReadRamDirect(lineAddress, line.Data);
        _lines.Add(lineAddress, line);
        _fifo.Enqueue((lineAddress, line.Sequence));
        return line;
    }

    private void ForRange(ulong pa, ulong length, bool clean, bool invalidate)
    {
        if (length == 0)
        {
            return;
        }

        ulong first = pa & ~LineMask;
        ulong last = (pa + length - 1) & ~LineMask;
        lock (_lock)
        {
            ulong lineCount = ((last - first) / LineSize) + 1;
            if (lineCount > (ulong)_lines.Count)
            {
                // Large range: visit the cached lines instead of every address.
                foreach (ulong address in _lines.Keys.Where(a => a >= first && a <= last).ToList())
                {
                    Maintain(address, clean, invalidate);
                }
            }
            else
            {
                for (ulong address = first; ; address += LineSize)
                {
                    Maintain(address, clean, invalidate);
                    if (address == last)
                    {
                        break;
                    }
                }
            }
        }
    }

    private void Maintain(ulong address, bool clean, bool invalidate)
    {
        if (!_lines.TryGetValue(address, out Line? line))
        {
            return;
        }

        if (clean && line.Dirty)
        {
            _memory.WriteRamDirect(address, line.Data);
            line.Dirty = false;
        }

        if (invalidate)
        {
            _lines.Remove(address);
        }
    }

    private sealed class Line(long sequence)
    {
        public byte[] Data { get; } = new byte[LineSize];

        public bool Dirty { get; set; }

        public long Sequence { get; } = sequence;
    }
}
