using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace IommuKit.Hardware.Memory;

/// <summary>
/// A machine's physical address space: sparse RAM regions and MMIO register blocks, seen by the
/// CPU (through <see cref="CpuCache"/> when the machine models one) and by devices (snooping or
/// not). Values are little-endian. An access that any byte of which no region decodes, or that
/// wraps past the top of the 64-bit address space, returns <see cref="BusStatus.DecodeError"/>
/// and changes nothing.
/// </summary>
/// <remarks>
/// <para>
/// MMIO: a device model only ever sees naturally aligned accesses of 1, 2, 4 or 8 bytes (aligned
/// relative to the start of its region) that lie inside its region. A single access of another
/// size or alignment, and every span, is split into the largest such pieces, in ascending
/// address order; a piece the device refuses ends the transfer with its status (earlier pieces
/// have happened, as on a real bus).
/// </para>
/// <para>
/// Threading: accesses may come from several threads (a device DMAs while the CPU edits page
/// tables). Naturally aligned accesses of 1, 2, 4 or 8 bytes to RAM are single-copy atomic,
/// whether made as values (<see cref="Read(ulong, int, BusAccess, out ulong)"/> and friends) or
/// as spans of that length, and so are cache line fills and write-backs per 8-byte word; longer
/// spans are not. RAM needs no locks (the host backs pages on first touch); the cache model serialises itself.
/// The map itself (<see cref="AddRam"/>, <see cref="AddMmio"/>) is built before the machine runs.
/// </para>
/// <para>
/// A machine without non-coherent agents passes no cache model: coherent DMA cannot observe
/// the CPU's caches, so leaving them out changes nothing a program can see, and costs one test.
/// </para>
/// </remarks>
public sealed unsafe class PhysicalMemory
{
    private const int PageSize = 4096;
    private const int PageMask = PageSize - 1;

    private readonly CpuCache? _cache;
    private SparseRam[] _ram = [];
    private MmioRegion[] _mmio = [];

    // The largest RAM region, unpacked for the inlined fast path (empty until RAM is added).
    // _fastSizeCached is its size for accesses that may go through the cache: 0 when there is a
    // cache model, so the fast path needs no separate test for one.
    private ulong _fastBase;
    private ulong _fastSize;
    private ulong _fastSizeCached;
    private byte* _fastPointer;
    private SparseRam? _fastRam;

    // The largest RAM region's walk view (see SparseRam.ViewSize), for table walkers; its size for
    // accesses that may go through the cache is 0 when there is a cache model, as above.
    private byte* _walkViewOrigin;
    private WalkViewSizes _walkViewSizes; // by BusAccess

    /// <summary>A physical address space without a CPU cache model (all DMA coherent).</summary>
    public PhysicalMemory()
    {
    }

    /// <summary>A physical address space whose CPU accesses go through a write-back cache model.</summary>
    public PhysicalMemory(CpuCacheOptions cacheOptions)
    {
        ArgumentNullException.ThrowIfNull(cacheOptions);
        _cache = new CpuCache(this, cacheOptions);
    }

    /// <summary>The CPU cache model, or null on a machine that does not model one.</summary>
    public CpuCache? Cache => _cache;

    /// <summary>Bytes of host memory backing all RAM regions.</summary>
    public long BackedBytes
    {
        get
        {
            long total = 0;
            foreach (SparseRam r in _ram)
            {
                total += r.BackedBytes;
            }

            return total;
        }
    }

    /// <summary>The regions of the map, RAM and MMIO, sorted by base address.</summary>
    public IReadOnlyList<MemoryRegionInfo> Regions
    {
        get
        {
            var list = new List<MemoryRegionInfo>();
            foreach (SparseRam r in _ram)
            {
                list.Add(new MemoryRegionInfo(r.Base, r.Size, null));
            }

            foreach (MmioRegion m in _mmio)
            {
                list.Add(new MemoryRegionInfo(m.Base, m.Size, m.Device));
            }

            list.Sort((a, b) => a.Base.CompareTo(b.Base));
            return list;
        }
    }

    /// <summary>
    /// Adds a RAM region of at most 64 TiB. Base and size must be 4 KiB aligned and the region must
    /// not overlap another one. Nothing is allocated until bytes are written.
    /// </summary>
    public void AddRam(ulong baseAddress, ulong size)
    {
        if (size == 0 || ((baseAddress | size) & 0xFFF) != 0)
        {
            throw new ArgumentException("RAM regions must be non-empty and 4 KiB aligned.");
        }

        if (size > SparseRam.MaxSize)
        {
            throw new ArgumentException("A RAM region holds at most 64 TiB; add several regions.", nameof(size));
        }

        CheckFree(baseAddress, size);
        var ram = new SparseRam(baseAddress, size);
        _ram = [.. _ram, ram];
        if (size > _fastSize)
        {
            _fastRam = ram;
            _fastPointer = ram.Pointer;
            _fastBase = baseAddress;
            _fastSize = size;
            _fastSizeCached = _cache is null ? size : 0;
            _walkViewOrigin = ram.ViewOrigin;
            ulong cached = _cache is null ? ram.ViewSize : 0;
            _walkViewSizes[(int)BusAccess.Cpu] = cached;
            _walkViewSizes[(int)BusAccess.Snoop] = cached;
            _walkViewSizes[(int)BusAccess.NoSnoop] = ram.ViewSize;
        }
    }

    /// <summary>Adds an MMIO region dispatching to <paramref name="device"/>; it must not overlap another region.</summary>
    public void AddMmio(ulong baseAddress, ulong size, IMmioDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (size == 0)
        {
            throw new ArgumentException("MMIO regions must be non-empty.", nameof(size));
        }

        CheckFree(baseAddress, size);
        _mmio = [.. _mmio, new MmioRegion(baseAddress, size, device)];
    }

    /// <summary>True if a single RAM region holds the whole range.</summary>
    public bool IsRam(ulong pa, ulong length) => FindRam(pa, length) is not null;

    /// <summary>
    /// Reads 1–8 bytes as a little-endian value. Naturally aligned accesses (1, 2, 4, 8 bytes) to
    /// the largest RAM region that do not go through the cache take an inlined fast path;
    /// everything else is handled out of line.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public BusStatus Read(ulong pa, int size, BusAccess access, out ulong value)
    {
        if ((uint)(size - 1) > 7)
        {
            ThrowBadSize(size);
        }

        // Regions are whole 4 KiB pages, so a naturally aligned access that starts
        // inside the region lies inside the region.
        ulong off = pa - _fastBase;
        if ((size & (size - 1)) == 0 && off < (access == BusAccess.NoSnoop ? _fastSize : _fastSizeCached)
            && ((int)off & (size - 1)) == 0)
        {
            value = SparseRam.ReadAligned(_fastPointer + off, size);
            GC.KeepAlive(this); // the mapping lives as long as this object: not before the load
            return BusStatus.Ok;
        }

        // The slow path returns its result by value: passing `out value` on would force the
        // caller's variable into memory on the fast path too.
        (value, BusStatus status) = ReadSlow(pa, size, access);
        return status;
    }

    /// <summary>Writes the low <paramref name="size"/> bytes (1–8) of <paramref name="value"/>, little-endian.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public BusStatus Write(ulong pa, int size, ulong value, BusAccess access)
    {
        if ((uint)(size - 1) > 7)
        {
            ThrowBadSize(size);
        }

        ulong off = pa - _fastBase;
        if ((size & (size - 1)) == 0 && off < (access == BusAccess.NoSnoop ? _fastSize : _fastSizeCached)
            && ((int)off & (size - 1)) == 0)
        {
            _fastRam!.NoteWrite(off, (ulong)size);
            SparseRam.WriteAligned(_fastPointer + off, size, value);
            GC.KeepAlive(this);
            return BusStatus.Ok;
        }

        return WriteSlow(pa, size, value, access);
    }

    /// <summary>
    /// The largest RAM region as one host range, for table walkers that read many descriptors:
    /// false if an access of kind <paramref name="access"/> to it must go through the cache model
    /// (or there is no RAM). Reads through the view are what <see cref="Read64"/> returns for an
    /// address inside it; the caller keeps this object alive while it uses the pointer.
    /// </summary>
    internal bool TryGetReadView(BusAccess access, out byte* pointer, out ulong baseAddress, out ulong size)
    {
        pointer = _fastPointer;
        baseAddress = _fastBase;
        size = access == BusAccess.NoSnoop ? _fastSize : _fastSizeCached;
        return size != 0;
    }

    /// <summary>
    /// The walk view for <paramref name="access"/>: physical addresses [0, <paramref name="viewSize"/>),
    /// a power of two, whose bytes a table walker may load at the returned origin + PA. The largest
    /// RAM region reads as <see cref="Read64"/> would return; anything else (a hole, another region,
    /// MMIO) reads as zero, which no walker takes for a valid descriptor, so it falls back to the
    /// bus. The size is 0 when there is no view for the access; the caller keeps this object alive
    /// while it uses the pointer.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal byte* GetWalkView(BusAccess access, out ulong viewSize)
    {
        viewSize = Unsafe.Add(ref _walkViewSizes[0], (nint)((uint)access & 3)); // one indexed load, no bounds check
        return _walkViewOrigin;
    }

    /// <summary>Reads one byte.</summary>
    public BusStatus Read8(ulong pa, BusAccess access, out byte value)
    {
        BusStatus s = Read(pa, 1, access, out ulong v);
        value = (byte)v;
        return s;
    }

    /// <summary>Reads a little-endian 16-bit value.</summary>
    public BusStatus Read16(ulong pa, BusAccess access, out ushort value)
    {
        BusStatus s = Read(pa, 2, access, out ulong v);
        value = (ushort)v;
        return s;
    }

    /// <summary>Reads a little-endian 32-bit value.</summary>
    public BusStatus Read32(ulong pa, BusAccess access, out uint value)
    {
        BusStatus s = Read(pa, 4, access, out ulong v);
        value = (uint)v;
        return s;
    }

    /// <summary>Reads a little-endian 64-bit value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public BusStatus Read64(ulong pa, BusAccess access, out ulong value) => Read(pa, 8, access, out value);

    /// <summary>Writes one byte.</summary>
    public BusStatus Write8(ulong pa, byte value, BusAccess access) => Write(pa, 1, value, access);

    /// <summary>Writes a little-endian 16-bit value.</summary>
    public BusStatus Write16(ulong pa, ushort value, BusAccess access) => Write(pa, 2, value, access);

    /// <summary>Writes a little-endian 32-bit value.</summary>
    public BusStatus Write32(ulong pa, uint value, BusAccess access) => Write(pa, 4, value, access);

    /// <summary>Writes a little-endian 64-bit value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public BusStatus Write64(ulong pa, ulong value, BusAccess access) => Write(pa, 8, value, access);

    /// <summary>
    /// Atomically replaces the aligned 64-bit RAM word at <paramref name="pa"/> with
    /// <paramref name="desired"/> if it equals <paramref name="expected"/>; <paramref name="original"/>
    /// receives the value found. Used by page-table code to install tables without a lock. A CPU or
    /// snooping access is atomic with respect to every other CPU or snooping access (it runs under
    /// the cache's lock when there is a cache); a non-snooping one is atomic in RAM.
    /// MMIO does not support atomics (<see cref="BusStatus.SlaveError"/>).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="pa"/> is not 8-byte aligned (a programming error).</exception>
    public BusStatus CompareExchange64(ulong pa, ulong expected, ulong desired, BusAccess access, out ulong original)
    {
        if ((pa & 7) != 0)
        {
            throw new ArgumentException("Atomic accesses must be 8-byte aligned.", nameof(pa));
        }

        SparseRam? r = FindRam(pa, 8);
        if (r is null)
        {
            original = 0;
            return FindMmio(pa, 8) is null ? BusStatus.DecodeError : BusStatus.SlaveError;
        }

        if (_cache is not null && access != BusAccess.NoSnoop)
        {
            original = _cache.CompareExchange64(pa, expected, desired, access);
            return BusStatus.Ok;
        }

        original = r.CompareExchange64(pa - r.Base, expected, desired);
        return BusStatus.Ok;
    }

    /// <summary>
    /// Reads a span that may cross page and region boundaries (RAM and MMIO alike). If any
    /// byte does not decode, nothing is read and <see cref="BusStatus.DecodeError"/> is returned.
    /// An empty span always succeeds.
    /// </summary>
    public BusStatus Read(ulong pa, Span<byte> destination, BusAccess access)
    {
        int length = destination.Length;
        if ((uint)(length - 1) < 8 && (length & (length - 1)) == 0)
        {
            // 1, 2, 4 or 8 bytes (a descriptor, a doorbell): one access, single-copy atomic when aligned.
            BusStatus status = Read(pa, length, access, out ulong value);
            if (status == BusStatus.Ok)
            {
                StoreLittleEndian(destination, value);
            }

            return status;
        }

        SparseRam? r = FindRam(pa, (ulong)destination.Length);
        if (r is not null)
        {
            ReadRam(r, pa, destination, access);
            return BusStatus.Ok;
        }

        return destination.IsEmpty ? BusStatus.Ok : ReadSpanSlow(pa, destination, access);
    }

    /// <summary>
    /// Writes a span that may cross page and region boundaries (RAM and MMIO alike). If any
    /// byte does not decode, nothing is written and <see cref="BusStatus.DecodeError"/> is returned.
    /// An empty span always succeeds.
    /// </summary>
    public BusStatus Write(ulong pa, ReadOnlySpan<byte> source, BusAccess access)
    {
        int length = source.Length;
        if ((uint)(length - 1) < 8 && (length & (length - 1)) == 0)
        {
            return Write(pa, length, LoadLittleEndian(source), access);
        }

        SparseRam? r = FindRam(pa, (ulong)source.Length);
        if (r is not null)
        {
            WriteRam(r, pa, source, access);
            return BusStatus.Ok;
        }

        return source.IsEmpty ? BusStatus.Ok : WriteSpanSlow(pa, source, access);
    }

    /// <summary>Reads RAM directly, bypassing any cache (a snoop that misses).</summary>
    internal void ReadRamDirect(ulong pa, Span<byte> destination)
    {
        SparseRam r = FindRam(pa, (ulong)destination.Length) ?? throw new ArgumentOutOfRangeException(nameof(pa));
        CopyFromRam(r, pa, destination);
    }

    /// <summary>Writes RAM directly, bypassing any cache (a snooping write after the line was taken).</summary>
    internal void WriteRamDirect(ulong pa, ReadOnlySpan<byte> source)
    {
        SparseRam r = FindRam(pa, (ulong)source.Length) ?? throw new ArgumentOutOfRangeException(nameof(pa));
        CopyToRam(r, pa, source);
    }

    /// <summary>A cache line fill: 64 bytes at a line-aligned RAM address, 8-byte atomic per word.</summary>
    internal void ReadRamLine(ulong lineAddress, Span<byte> line)
    {
        SparseRam r = FindRam(lineAddress, CpuCache.LineSize) ?? throw new ArgumentOutOfRangeException(nameof(lineAddress));
        r.ReadLine(lineAddress - r.Base, line);
    }

    /// <summary>A cache line write-back: 64 bytes at a line-aligned RAM address, 8-byte atomic per word.</summary>
    internal void WriteRamLine(ulong lineAddress, ReadOnlySpan<byte> line)
    {
        SparseRam r = FindRam(lineAddress, CpuCache.LineSize) ?? throw new ArgumentOutOfRangeException(nameof(lineAddress));
        r.WriteLine(lineAddress - r.Base, line);
    }

    private static void CopyFromRam(SparseRam r, ulong pa, Span<byte> destination) => r.Read(pa - r.Base, destination);

    private static void CopyToRam(SparseRam r, ulong pa, ReadOnlySpan<byte> source) => r.Write(pa - r.Base, source);

    /// <summary>Stores the low 1, 2, 4 or 8 bytes of <paramref name="value"/> (as many as <paramref name="destination"/> holds).</summary>
    private static void StoreLittleEndian(Span<byte> destination, ulong value)
    {
        switch (destination.Length)
        {
            case 8:
                BinaryPrimitives.WriteUInt64LittleEndian(destination, value);
                break;
            case 4:
                BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)value);
                break;
            case 2:
                BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)value);
                break;
            default:
                destination[0] = (byte)value;
                break;
        }
    }

    /// <summary>Loads a 1, 2, 4 or 8-byte little-endian value.</summary>
    private static ulong LoadLittleEndian(ReadOnlySpan<byte> source) => source.Length switch
    {
        8 => BinaryPrimitives.ReadUInt64LittleEndian(source),
        4 => BinaryPrimitives.ReadUInt32LittleEndian(source),
        2 => BinaryPrimitives.ReadUInt16LittleEndian(source),
        _ => source[0],
    };

    /// <summary>True if <paramref name="size"/> is 1, 2, 4 or 8 and <paramref name="offset"/> is a multiple of it.</summary>
    private static bool IsNaturalPiece(ulong offset, int size) =>
        (size & (size - 1)) == 0 && (offset & (ulong)(size - 1)) == 0;

    /// <summary>Largest naturally aligned piece (1, 2, 4 or 8 bytes) at <paramref name="offset"/> in the region.</summary>
    private static int MmioPiece(MmioRegion m, ulong offset, int remaining)
    {
        ulong room = m.Size - offset;
        int n = 8;
        while (n > 1 && ((offset & (ulong)(n - 1)) != 0 || n > remaining || (ulong)n > room))
        {
            n >>= 1;
        }

        return n;
    }

    /// <summary>The RAM bytes of one region, through the cache for CPU and snooping accesses.</summary>
    private void ReadRam(SparseRam r, ulong pa, Span<byte> destination, BusAccess access)
    {
        if (_cache is not null && access != BusAccess.NoSnoop)
        {
            _cache.Read(pa, destination, access);
        }
        else
        {
            CopyFromRam(r, pa, destination);
        }
    }

    private void WriteRam(SparseRam r, ulong pa, ReadOnlySpan<byte> source, BusAccess access)
    {
        if (_cache is not null && access != BusAccess.NoSnoop)
        {
            _cache.Write(pa, source, access);
        }
        else
        {
            CopyToRam(r, pa, source);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private (ulong Value, BusStatus Status) ReadSlow(ulong pa, int size, BusAccess access)
    {
        Span<byte> buffer = stackalloc byte[8];
        if (FindRam(pa, (ulong)size) is { } r)
        {
            ulong off = pa - r.Base;
            if ((_cache is null || access == BusAccess.NoSnoop) && IsNaturalPiece(0, size) && ((int)off & PageMask) <= PageSize - size)
            {
                // Another RAM region: still one single-copy-atomic access.
                return (r.ReadValue(off, size), BusStatus.Ok);
            }

            ReadRam(r, pa, buffer[..size], access);
            return (BinaryPrimitives.ReadUInt64LittleEndian(buffer), BusStatus.Ok);
        }

        if (FindMmio(pa, (ulong)size) is { } m && IsNaturalPiece(pa - m.Base, size))
        {
            BusStatus status = m.Device.MmioRead(pa - m.Base, size, out ulong value);
            return status != BusStatus.Ok ? (0, status) : (size == 8 ? value : value & ((1UL << (8 * size)) - 1), status);
        }

        BusStatus s = ReadSpanSlow(pa, buffer[..size], access);
        return (s == BusStatus.Ok ? BinaryPrimitives.ReadUInt64LittleEndian(buffer) : 0, s);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private BusStatus WriteSlow(ulong pa, int size, ulong value, BusAccess access)
    {
        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(buffer, value);
        if (FindRam(pa, (ulong)size) is { } r)
        {
            ulong off = pa - r.Base;
            if ((_cache is null || access == BusAccess.NoSnoop) && IsNaturalPiece(0, size) && ((int)off & PageMask) <= PageSize - size)
            {
                r.WriteValue(off, size, value);
                return BusStatus.Ok;
            }

            WriteRam(r, pa, buffer[..size], access);
            return BusStatus.Ok;
        }

        if (FindMmio(pa, (ulong)size) is { } m && IsNaturalPiece(pa - m.Base, size))
        {
            ulong masked = size == 8 ? value : value & ((1UL << (8 * size)) - 1);
            return m.Device.MmioWrite(pa - m.Base, size, masked);
        }

        return WriteSpanSlow(pa, buffer[..size], access);
    }

    private BusStatus ReadSpanSlow(ulong pa, Span<byte> destination, BusAccess access)
    {
        BusStatus check = CheckDecodes(pa, (ulong)destination.Length);
        if (check != BusStatus.Ok)
        {
            return check;
        }

        while (!destination.IsEmpty)
        {
            int n;
            if (FindRam(pa, 1) is { } r)
            {
                n = (int)Math.Min((ulong)destination.Length, r.Size - (pa - r.Base));
                ReadRam(r, pa, destination[..n], access);
            }
            else
            {
                MmioRegion m = FindMmio(pa, 1)!;
                ulong offset = pa - m.Base;
                n = MmioPiece(m, offset, destination.Length);
                BusStatus s = m.Device.MmioRead(offset, n, out ulong v);
                if (s != BusStatus.Ok)
                {
                    return s;
                }

                for (int i = 0; i < n; i++)
                {
                    destination[i] = (byte)(v >> (8 * i));
                }
            }

            destination = destination[n..];
            pa += (ulong)n;
        }

        return BusStatus.Ok;
    }

    private BusStatus WriteSpanSlow(ulong pa, ReadOnlySpan<byte> source, BusAccess access)
    {
        BusStatus check = CheckDecodes(pa, (ulong)source.Length);
        if (check != BusStatus.Ok)
        {
            return check;
        }

        while (!source.IsEmpty)
        {
            int n;
            if (FindRam(pa, 1) is { } r)
            {
                n = (int)Math.Min((ulong)source.Length, r.Size - (pa - r.Base));
                WriteRam(r, pa, source[..n], access);
            }
            else
            {
                MmioRegion m = FindMmio(pa, 1)!;
                ulong offset = pa - m.Base;
                n = MmioPiece(m, offset, source.Length);
                ulong v = 0;
                for (int i = 0; i < n; i++)
                {
                    v |= (ulong)source[i] << (8 * i);
                }

                BusStatus s = m.Device.MmioWrite(offset, n, v);
                if (s != BusStatus.Ok)
                {
                    return s;
                }
            }

            source = source[n..];
            pa += (ulong)n;
        }

        return BusStatus.Ok;
    }

    /// <summary>Ok if every byte of the non-empty range decodes to some region and the range does not wrap.</summary>
    private BusStatus CheckDecodes(ulong pa, ulong length)
    {
        if (length - 1 > ulong.MaxValue - pa)
        {
            return BusStatus.DecodeError; // wraps past the top of the 64-bit address space
        }

        ulong end = pa + length - 1;
        while (true)
        {
            ulong regionEnd;
            if (FindRam(pa, 1) is { } r)
            {
                regionEnd = r.Base + (r.Size - 1);
            }
            else if (FindMmio(pa, 1) is { } m)
            {
                regionEnd = m.Base + (m.Size - 1);
            }
            else
            {
                return BusStatus.DecodeError;
            }

            if (regionEnd >= end)
            {
                return BusStatus.Ok;
            }

            pa = regionEnd + 1;
        }
    }

    private SparseRam? FindRam(ulong pa, ulong length)
    {
        foreach (SparseRam r in _ram)
        {
            ulong off = pa - r.Base;
            if (off < r.Size && r.Size - off >= length)
            {
                return r;
            }
        }

        return null;
    }

    private MmioRegion? FindMmio(ulong pa, ulong length)
    {
        foreach (MmioRegion m in _mmio)
        {
            ulong off = pa - m.Base;
            if (off < m.Size && m.Size - off >= length)
            {
                return m;
            }
        }

        return null;
    }

    private void CheckFree(ulong baseAddress, ulong size)
    {
        if (size - 1 > ulong.MaxValue - baseAddress)
        {
            throw new ArgumentException("Region wraps the address space.");
        }

        foreach (MemoryRegionInfo region in Regions)
        {
            if (baseAddress <= region.Base + (region.Size - 1) && region.Base <= baseAddress + (size - 1))
            {
                throw new ArgumentException($"Region 0x{baseAddress:x}+0x{size:x} overlaps 0x{region.Base:x}+0x{region.Size:x}.");
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadSize(int size) =>
        throw new ArgumentOutOfRangeException(nameof(size), size, "Single accesses are 1 to 8 bytes.");

    private sealed record MmioRegion(ulong Base, ulong Size, IMmioDevice Device);

    /// <summary>The walk view's size for each <see cref="BusAccess"/> (and 0 for the unused fourth value).</summary>
    [InlineArray(4)]
    private struct WalkViewSizes
    {
        private ulong _element;
    }
}
