using System.Runtime.InteropServices;

namespace IommuKit.Hardware.Memory;

/// <summary>
/// A range of host virtual memory reserved for one RAM region: zero-filled, and backed by host
/// pages only where it is written, because the host kernel allocates anonymous memory on first
/// touch (Linux and macOS: <c>mmap</c> with <c>MAP_NORESERVE</c>; Windows: <c>VirtualAlloc</c>,
/// whose commit is charged up front but whose pages are also demand-zero). Released when the
/// handle is finalised or disposed.
/// </summary>
internal sealed partial class RamMapping : SafeHandle
{
    private const int ProtRead = 1;
    private const int ProtWrite = 2;
    private const int MapPrivate = 0x02;
    private const int LinuxMapAnonymous = 0x20;
    private const int LinuxMapNoReserve = 0x4000;
    private const int MacMapAnonymous = 0x1000;
    private const int MacMapNoReserve = 0x40;
    private const uint MemCommit = 0x1000;
    private const uint MemReserve = 0x2000;
    private const uint MemRelease = 0x8000;
    private const uint PageReadWrite = 0x04;

    private const ulong HugePage = 2UL << 20;
    private const int MadvHugePage = 14;

    private readonly ulong _mappedLength;
    private long _pressure;

    private RamMapping(nint mapping, ulong mappedLength, nint start)
        : base(0, ownsHandle: true)
    {
        SetHandle(mapping);
        _mappedLength = mappedLength;
        Start = start;
    }

    /// <summary>Host address of the region's first byte (2 MiB aligned on Linux for regions of 2 MiB or more).</summary>
    public nint Start { get; private set; }

    /// <inheritdoc/>
    public override bool IsInvalid => handle == 0;

    /// <summary>True if <see cref="Reserve"/> can surround the RAM with read-only zero holes on this host.</summary>
    public static bool SupportsHoles => !OperatingSystem.IsWindows();

    /// <summary>
    /// Reserves <paramref name="length"/> zeroed bytes, preceded by <paramref name="holeBefore"/> and
    /// followed by <paramref name="holeAfter"/> bytes that read as zero and cannot be written (only
    /// where <see cref="SupportsHoles"/>): reading a hole maps the host's shared zero page, so holes
    /// cost address space only.
    /// </summary>
    /// <exception cref="InsufficientMemoryException">The host refused the reservation (address space exhausted).</exception>
    public static RamMapping Reserve(ulong length, ulong holeBefore = 0, ulong holeAfter = 0)
    {
        bool holes = (holeBefore | holeAfter) != 0;
        if (holes && !SupportsHoles)
        {
            throw new PlatformNotSupportedException("Read-only holes around simulated RAM need mmap.");
        }

        // On Linux, big regions start on a 2 MiB boundary and ask for transparent huge pages, as
        // QEMU does for guest RAM: the host then covers page tables a device walks at random with
        // few TLB entries. The slack before and after the aligned start is never touched.
        bool huge = OperatingSystem.IsLinux() && length >= HugePage;
        ulong mapped = holeBefore + length + holeAfter + (huge ? HugePage : 0);
        int prot = holes ? ProtRead : ProtRead | ProtWrite;
        nint p = Map(mapped, prot);
        if (p == 0)
        {
            // Machines that were dropped still hold their reservations until their handles are
            // finalised: collect them and try once more before giving up.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            p = Map(mapped, prot);
        }

        if (p == 0)
        {
            throw new InsufficientMemoryException(
                $"The host could not reserve {mapped} bytes of address space for simulated RAM (error {Marshal.GetLastPInvokeError()}).");
        }

        var mapping = new RamMapping(p, mapped, p + (nint)holeBefore);
        if (huge)
        {
            mapping.Start = (nint)(((ulong)mapping.Start + HugePage - 1) & ~(HugePage - 1));
        }

        if (holes && Mprotect(mapping.Start, (nuint)length, ProtRead | ProtWrite) != 0)
        {
            int error = Marshal.GetLastPInvokeError();
            mapping.Dispose();
            throw new InsufficientMemoryException($"The host could not make {length} bytes of simulated RAM writable (error {error}).");
        }

        if (huge)
        {
            _ = Madvise(mapping.Start, (nuint)length, MadvHugePage); // advice only: without THP the pages stay 4 KiB
        }

        return mapping;
    }

    private static nint Map(ulong length, int prot)
    {
        nint p;
        if (OperatingSystem.IsWindows())
        {
            p = VirtualAlloc(0, (nuint)length, MemReserve | MemCommit, PageReadWrite);
        }
        else
        {
            int flags = MapPrivate | (OperatingSystem.IsMacOS() || OperatingSystem.IsIOS() || OperatingSystem.IsFreeBSD()
                ? MacMapAnonymous | MacMapNoReserve
                : LinuxMapAnonymous | LinuxMapNoReserve);
            p = Mmap(0, (nuint)length, prot, flags, -1, 0);
            if (p == -1)
            {
                p = 0;
            }
        }

        return p;
    }

    /// <summary>Tells the garbage collector that <paramref name="bytes"/> more host memory now backs the region.</summary>
    public void AddPressure(long bytes)
    {
        GC.AddMemoryPressure(bytes);
        Interlocked.Add(ref _pressure, bytes);
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle()
    {
        bool ok = OperatingSystem.IsWindows() ? VirtualFree(handle, 0, MemRelease) : Munmap(handle, (nuint)_mappedLength) == 0;
        long pressure = Interlocked.Exchange(ref _pressure, 0);
        if (pressure != 0)
        {
            GC.RemoveMemoryPressure(pressure);
        }

        return ok;
    }

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int prot, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Madvise(nint address, nuint length, int advice);

    [LibraryImport("libc", EntryPoint = "mprotect", SetLastError = true)]
    private static partial int Mprotect(nint address, nuint length, int prot);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int Munmap(nint address, nuint length);

    [LibraryImport("kernel32", EntryPoint = "VirtualAlloc", SetLastError = true)]
    private static partial nint VirtualAlloc(nint address, nuint size, uint allocationType, uint protect);

    [LibraryImport("kernel32", EntryPoint = "VirtualFree", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool VirtualFree(nint address, nuint size, uint freeType);
}
