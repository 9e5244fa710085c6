using IommuKit.Hardware.Memory;

namespace IommuKit.Kernel.Pci;

/// <summary>
/// Configuration accessors over an ECAM window (drivers/pci/ecam.c pci_ecam_map_bus plus
/// pci_generic_config_read/write): plain CPU loads and stores at
/// base + ((bus - bus_start) &lt;&lt; 20 | devfn &lt;&lt; 12 | where). A failed access reads all ones, as
/// PCI_SET_ERROR_RESPONSE does.
/// </summary>
public sealed class PciEcamConfig
{
    private readonly PhysicalMemory _memory;

    public PciEcamConfig(PhysicalMemory memory, ulong ecamBase, int busStart, int busEnd)
    {
        ArgumentNullException.ThrowIfNull(memory);
        if (busStart < 0 || busEnd > 255 || busEnd < busStart)
        {
            throw new ArgumentOutOfRangeException(nameof(busEnd), "Bus range must lie within 0-255.");
        }

        _memory = memory;
        EcamBase = ecamBase;
        BusStart = busStart;
        BusEnd = busEnd;
    }

    public ulong EcamBase { get; }

    public int BusStart { get; }

    public int BusEnd { get; }

    /// <summary>Reads 1, 2 or 4 bytes; false (and all ones) if the bus is outside the window or the access fails.</summary>
    public bool Read(int bus, int devfn, int where, int size, out uint value)
    {
        if (!MapBus(bus, devfn, where, size, out ulong address))
        {
            value = size == 4 ? uint.MaxValue : (1u << (size * 8)) - 1;
            return false;
        }

        BusStatus status = _memory.Read(address, size, BusAccess.Cpu, out ulong v);
        if (status != BusStatus.Ok)
        {
            value = size == 4 ? uint.MaxValue : (1u << (size * 8)) - 1;
            return false;
        }

        value = (uint)v;
        return true;
    }

    /// <summary>Writes 1, 2 or 4 bytes; false if the bus is outside the window or the access fails.</summary>
    public bool Write(int bus, int devfn, int where, int size, uint value)
    {
        return MapBus(bus, devfn, where, size, out ulong address)
            && _memory.Write(address, size, value, BusAccess.Cpu) == BusStatus.Ok;
    }

    private bool MapBus(int bus, int devfn, int where, int size, out ulong address)
    {
        address = 0;
        if (size is not (1 or 2 or 4))
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "Configuration accesses are 1, 2 or 4 bytes.");
        }

        if (bus < BusStart || bus > BusEnd || (uint)devfn > 0xFF || (uint)where > 0xFFF || (where & (size - 1)) != 0)
        {
            return false;
        }

        address = EcamBase + ((ulong)(bus - BusStart) << 20) + ((ulong)devfn << 12) + (ulong)where;
        return true;
    }
}
