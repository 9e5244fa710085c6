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

    private long _pressure;

    private RamMapping(nint pointer, ulong length)
        : base(0, ownsHandle: true)
    {
        SetHandle(pointer);
        Length = length;
    }

    /// <summary>Bytes reserved.</summary>
    public ulong Length { get; }

    /// <inheritdoc/>
    public override bool IsInvalid => handle == 0;

    /// <summary>
    /// Reserves <paramref name="length"/> zeroed bytes.
    /// </summary>
    /// <exception cref="InsufficientMemoryException">The host refused the reservation (address space exhausted).</exception>
    public static RamMapping Reserve(ulong length)
    {
        nint p = Map(length);
        if (p == 0)
        {
            // Machines that were dropped still hold their reservations until their handles are
            // finalised: collect them and try once more before giving up.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            p = Map(length);
        }

        if (p == 0)
        {
            throw new InsufficientMemoryException(
                $"The host could not reserve {length} bytes of address space for simulated RAM (error {Marshal.GetLastPInvokeError()}).");
        }

        return new RamMapping(p, length);
    }

    private static nint Map(ulong length)
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
            p = Mmap(0, (nuint)length, ProtRead | ProtWrite, flags, -1, 0);
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
        bool ok = OperatingSystem.IsWindows() ? VirtualFree(handle, 0, MemRelease) : Munmap(handle, (nuint)Length) == 0;
        long pressure = Interlocked.Exchange(ref _pressure, 0);
        if (pressure != 0)
        {
            GC.RemoveMemoryPressure(pressure);
        }

        return ok;
    }

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int prot, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int Munmap(nint address, nuint length);

    [LibraryImport("kernel32", EntryPoint = "VirtualAlloc", SetLastError = true)]
    private static partial nint VirtualAlloc(nint address, nuint size, uint allocationType, uint protect);

    [LibraryImport("kernel32", EntryPoint = "VirtualFree", SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool VirtualFree(nint address, nuint size, uint freeType);
}
