using System.Runtime.CompilerServices;

namespace IommuKit.Hardware.Memory;

/// <summary>
/// A machine's physical address space: sparse RAM regions and MMIO register blocks, seen by the
/// CPU (through <see cref="CpuCache"/> when the machine models one) and by devices (snooping or
/// not). Values are little-endian. Accesses outside the map return <see cref="BusStatus.DecodeError"/>.
/// </summary>
/// <remarks>
/// Threading: accesses may come from several threads (a device DMAs while the CPU edits page
/// tables). Aligned accesses of 8 bytes or less are single-copy atomic; chunk allocation is
/// lock-free; the cache model serialises itself. The map itself (<see cref="AddRam"/>,
/// <see cref="AddMmio"/>) is built before the machine runs.
/// A machine without non-coherent agents passes no cache model: coherent DMA cannot observe
/// the CPU's caches, so leaving them out changes nothing a program can see, and costs nothing.
/// </remarks>
public sealed class PhysicalMemory
{
    private SparseRam[] _ram = [];
    private MmioRegion[] _mmio = [];
    private readonly CpuCache? _cache;

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

    /// <summary>Adds a RAM region. Base and size must be 4 KiB aligned and must not overlap another region.</summary>
    public void AddRam(ulong baseAddress, ulong size)
    {
        if (size == 0 || ((baseAddress | size) & 0xFFF) != 0)
        {
            throw new ArgumentException("RAM regions must be non-empty and 4 KiB aligned.");
        }

        CheckFree(baseAddress, size);
        _ram = [.. _ram, new SparseRam(baseAddress, size)];
    }

    /// <summary>Adds an MMIO region dispatching to <paramref name="device"/>.</summary>
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

    /// <summary>True if a RAM region holds the whole range.</summary>
    public bool IsRam(ulong pa, ulong length) => FindRam(pa, length) is not null;

    /// <summary>Reads 1–8 bytes as a little-endian value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public BusStatus Read(ulong pa, int size, BusAccess access, out ulong value)
    {
        if ((uint)(size - 1) > 7)
        {
            ThrowBadSize(size);
        }

        SparseRam[] ram = _ram;
        for (int i = 0; i < ram.Length; i++)
        {
            SparseRam r = ram[i];
            ulong off = pa - r.Base;
            if (off < r.Size && r.Size - off >= (ulong)size)
            {
                int index = (int)(off & SparseRam.ChunkMask);
                if ((_cache is null || access == BusAccess.NoSnoop) && index <= SparseRam.ChunkSize - size && (size & (size - 1)) == 0)
                {
                    byte[]? chunk = r.ChunkForRead(off);
                    value = chunk is null ? 0 : SparseRam.ReadInChunk(chunk, index, size);
                    return BusStatus.Ok;
                }

                return ReadSmall(pa, size, access, out value);
            }
        }

        return ReadSmall(pa, size, access, out value);
    }

    /// <summary>Writes the low <paramref name="size"/> bytes (1–8) of <paramref name="value"/>, little-endian.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public BusStatus Write(ulong pa, int size, ulong value, BusAccess access)
    {
        if ((uint)(size - 1) > 7)
        {
            ThrowBadSize(size);
        }

        SparseRam[] ram = _ram;
        for (int i = 0; i < ram.Length; i++)
        {
            SparseRam r = ram[i];
            ulong off = pa - r.Base;
            if (off < r.Size && r.Size - off >= (ulong)size)
            {
                int index = (int)(off & SparseRam.ChunkMask);
                if ((_cache is null || access == BusAccess.NoSnoop) && index <= SparseRam.ChunkSize - size && (size & (size - 1)) == 0)
                {
                    SparseRam.WriteInChunk(r.ChunkForWrite(off), index, size, value);
                    return BusStatus.Ok;
                }

                return WriteSmall(pa, size, value, access);
            }
        }

        return WriteSmall(pa, size, value, access);
    }

    public BusStatus Read8(ulong pa, BusAccess access, out byte value)
    {
        BusStatus s = Read(pa, 1, access, out ulong v);
        value = (byte)v;
        return s;
    }

    public BusStatus Read16(ulong pa, BusAccess access, out ushort value)
    {
        BusStatus s = Read(pa, 2, access, out ulong v);
        value = (ushort)v;
        return s;
    }

    public BusStatus Read32(ulong pa, BusAccess access, out uint value)
    {
        BusStatus s = Read(pa, 4, access, out ulong v);
        value = (uint)v;
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public BusStatus Read64(ulong pa, BusAccess access, out ulong value) => Read(pa, 8, access, out value);

    public BusStatus Write8(ulong pa, byte value, BusAccess access) => Write(pa, 1, value, access);

    public BusStatus Write16(ulong pa, ushort value, BusAccess access) => Write(pa, 2, value, access);

    public BusStatus Write32(ulong pa, uint value, BusAccess access) => Write(pa, 4, value, access);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public BusStatus Write64(ulong pa, ulong value, BusAccess access) => Write(pa, 8, value, access);

    /// <summary>
    /// Atomically replaces the aligned 64-bit RAM word at <paramref name="pa"/> with
    /// <paramref name="desired"/> if it equals <paramref name="expected"/>; <paramref name="original"/>
    /// receives the value found. Used by page-table code to install tables without a lock.
    /// </summary>
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

        ulong off = pa - r.Base;
        byte[] chunk = r.ChunkForWrite(off);
        ref ulong word = ref Unsafe.As<byte, ulong>(ref chunk[(int)(off & SparseRam.ChunkMask)]);
        if (BitConverter.IsLittleEndian)
        {
            original = Interlocked.CompareExchange(ref word, desired, expected);
        }
        else
        {
            original = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(Interlocked.CompareExchange(
                ref word,
                System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(desired),
                System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(expected)));
        }

        return BusStatus.Ok;
    }

    /// <summary>
    /// Reads a span that may cross page, chunk and region boundaries. The whole range must decode,
    /// else nothing is read and <see cref="BusStatus.DecodeError"/> is returned. MMIO is accessed in
    /// naturally aligned pieces of up to 8 bytes.
    /// </summary>
    public BusStatus Read(ulong pa, Span<byte> destination, BusAccess access)
    {
        BusStatus check = CheckDecodes(pa, (ulong)destination.Length);
        if (check != BusStatus.Ok)
        {
            return check;
        }

        while (!destination.IsEmpty)
        {
            SparseRam? r = FindRam(pa, 1);
            int n;
            if (r is not null)
            {
                n = (int)Math.Min((ulong)destination.Length, r.Size - (pa - r.Base));
                if (_cache is not null && access != BusAccess.NoSnoop)
                {
                    _cache.Read(pa, destination[..n], access);
                }
                else
                {
                    ReadRam(r, pa, destination[..n]);
                }
            }
            else
            {
                n = MmioPiece(pa, destination.Length);
                BusStatus s = ReadMmio(pa, n, out ulong v);
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

    /// <summary>
    /// Writes a span that may cross page, chunk and region boundaries. The whole range must decode,
    /// else nothing is written and <see cref="BusStatus.DecodeError"/> is returned.
    /// </summary>
    public BusStatus Write(ulong pa, ReadOnlySpan<byte> source, BusAccess access)
    {
        BusStatus check = CheckDecodes(pa, (ulong)source.Length);
        if (check != BusStatus.Ok)
        {
            return check;
        }

        while (!source.IsEmpty)
        {
            SparseRam? r = FindRam(pa, 1);
            int n;
            if (r is not null)
            {
                n = (int)Math.Min((ulong)source.Length, r.Size - (pa - r.Base));
                if (_cache is not null && access != BusAccess.NoSnoop)
                {
                    _cache.Write(pa, source[..n], access);
                }
                else
                {
                    WriteRam(r, pa, source[..n]);
                }
            }
            else
            {
                n = MmioPiece(pa, source.Length);
                ulong v = 0;
                for (int i = 0; i < n; i++)
                {
                    v |= (ulong)source[i] << (8 * i);
                }

                BusStatus s = WriteMmio(pa, n, v);
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

    /// <summary>Reads RAM directly, bypassing any cache (the cache model's line fills).</summary>
    internal void ReadRamDirect(ulong pa, Span<byte> destination)
    {
        SparseRam r = FindRam(pa, (ulong)destination.Length) ?? throw new ArgumentOutOfRangeException(nameof(pa));
        ReadRam(r, pa, destination);
    }

    /// <summary>Writes RAM directly, bypassing any cache (the cache model's write-backs).</summary>
    internal void WriteRamDirect(ulong pa, ReadOnlySpan<byte> source)
    {
        SparseRam r = FindRam(pa, (ulong)source.Length) ?? throw new ArgumentOutOfRangeException(nameof(pa));
        WriteRam(r, pa, source);
    }

    private static void ReadRam(SparseRam r, ulong pa, Span<byte> destination)
    {
        ulong off = pa - r.Base;
        while (!destination.IsEmpty)
        {
            int index = (int)(off & SparseRam.ChunkMask);
            int n = Math.Min(destination.Length, SparseRam.ChunkSize - index);
            byte[]? chunk = r.ChunkForRead(off);
            if (chunk is null)
            {
                destination[..n].Clear();
            }
            else
            {
                chunk.AsSpan(index, n).CopyTo(destination);
            }

            destination = destination[n..];
            off += (ulong)n;
        }
    }

    private static void WriteRam(SparseRam r, ulong pa, ReadOnlySpan<byte> source)
    {
        ulong off = pa - r.Base;
        while (!source.IsEmpty)
        {
            int index = (int)(off & SparseRam.ChunkMask);
            int n = Math.Min(source.Length, SparseRam.ChunkSize - index);
            source[..n].CopyTo(r.ChunkForWrite(off).AsSpan(index, n));
            source = source[n..];
            off += (ulong)n;
        }
    }

    private BusStatus ReadSmall(ulong pa, int size, BusAccess access, out ulong value)
    {
        value = 0;
        if (FindRam(pa, (ulong)size) is null && FindMmio(pa, (ulong)size) is { } m)
        {
            return m.Device.MmioRead(pa - m.Base, size, out value);
        }

        Span<byte> buffer = stackalloc byte[8];
        BusStatus s = Read(pa, buffer[..size], access);
        if (s == BusStatus.Ok)
        {
            for (int i = 0; i < size; i++)
            {
                value |= (ulong)buffer[i] << (8 * i);
            }
        }

        return s;
    }

    private BusStatus WriteSmall(ulong pa, int size, ulong value, BusAccess access)
    {
        if (FindRam(pa, (ulong)size) is null && FindMmio(pa, (ulong)size) is { } m)
        {
            return m.Device.MmioWrite(pa - m.Base, size, value);
        }

        Span<byte> buffer = stackalloc byte[8];
        for (int i = 0; i < size; i++)
        {
            buffer[i] = (byte)(value >> (8 * i));
        }

        return Write(pa, buffer[..size], access);
    }

    private BusStatus ReadMmio(ulong pa, int size, out ulong value)
    {
        MmioRegion? m = FindMmio(pa, (ulong)size);
        if (m is null)
        {
            value = 0;
            return BusStatus.DecodeError;
        }

        return m.Device.MmioRead(pa - m.Base, size, out value);
    }

    private BusStatus WriteMmio(ulong pa, int size, ulong value)
    {
        MmioRegion? m = FindMmio(pa, (ulong)size);
        return m is null ? BusStatus.DecodeError : m.Device.MmioWrite(pa - m.Base, size, value);
    }

    /// <summary>Largest naturally aligned piece (1, 2, 4 or 8 bytes) at <paramref name="pa"/> within <paramref name="remaining"/>.</summary>
    private int MmioPiece(ulong pa, int remaining)
    {
        int n = 8;
        while (n > 1 && ((pa & (ulong)(n - 1)) != 0 || n > remaining || FindMmio(pa, (ulong)n) is null))
        {
            n >>= 1;
        }

        return n;
    }

    private BusStatus CheckDecodes(ulong pa, ulong length)
    {
        if (length == 0)
        {
            return BusStatus.Ok;
        }

        if (pa + length - 1 < pa)
        {
            return BusStatus.DecodeError; // wraps the 64-bit address space
        }

        ulong end = pa + length - 1;
        while (true)
        {
            ulong regionEnd;
            SparseRam? r = FindRam(pa, 1);
            if (r is not null)
            {
                regionEnd = r.Base + r.Size - 1;
            }
            else if (FindMmio(pa, 1) is { } m)
            {
                regionEnd = m.Base + m.Size - 1;
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
        if (baseAddress + size - 1 < baseAddress)
        {
            throw new ArgumentException("Region wraps the address space.");
        }

        foreach (MemoryRegionInfo region in Regions)
        {
            if (baseAddress <= region.Base + region.Size - 1 && region.Base <= baseAddress + size - 1)
            {
                throw new ArgumentException($"Region 0x{baseAddress:x}+0x{size:x} overlaps 0x{region.Base:x}+0x{region.Size:x}.");
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadSize(int size) =>
        throw new ArgumentOutOfRangeException(nameof(size), size, "Single accesses are 1 to 8 bytes.");

    private sealed record MmioRegion(ulong Base, ulong Size, IMmioDevice Device);
}
