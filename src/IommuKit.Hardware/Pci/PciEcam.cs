using IommuKit.Hardware.Memory;

namespace IommuKit.Hardware.Pci;

/// <summary>
/// The Enhanced Configuration Access Mechanism window of a root complex (PCIe §7.2.2): offset
/// (bus - BusStart) &lt;&lt; 20 | device &lt;&lt; 15 | function &lt;&lt; 12 | register selects one byte of a
/// function's configuration space. Reads of a function that does not exist return all ones (the
/// root complex completes the Unsupported Request that way); writes to it are dropped. Accesses
/// are 1, 2 or 4 bytes, naturally aligned; anything else is refused with a slave error.
/// </summary>
public sealed class PciEcam : IMmioDevice
{
    private readonly PciRootComplex _root;

    internal PciEcam(PciRootComplex root)
    {
        _root = root;
    }

    public BusStatus MmioRead(ulong offset, int size, out ulong value)
    {
        value = 0;
        if (!Decode(offset, size, out PciFunction? function, out int register))
        {
            return BusStatus.SlaveError;
        }

        value = function is null ? (size == 4 ? uint.MaxValue : (1u << (size * 8)) - 1) : function.Config.Read(register, size);
        return BusStatus.Ok;
    }

    public BusStatus MmioWrite(ulong offset, int size, ulong value)
    {
        if (!Decode(offset, size, out PciFunction? function, out int register))
        {
            return BusStatus.SlaveError;
        }

        function?.Config.Write(register, size, (uint)value);
        return BusStatus.Ok;
    }

    private bool Decode(ulong offset, int size, out PciFunction? function, out int register)
    {
        function = null;
        register = (int)(offset & 0xFFF);
        if (size is not (1 or 2 or 4) || (offset & (ulong)(size - 1)) != 0 || offset >= _root.EcamSize)
        {
            return false;
        }

        int bus = _root.BusStart + (int)(offset >> 20);
        int devfn = (int)((offset >> 12) & 0xFF);
        function = _root.Find(bus, devfn);
        return true;
    }
}
