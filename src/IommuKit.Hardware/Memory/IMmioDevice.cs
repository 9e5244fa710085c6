namespace IommuKit.Hardware.Memory;

/// <summary>
/// A register block mapped into the physical address space. Offsets are relative to the start of
/// the region. <see cref="PhysicalMemory"/> only ever calls a handler with a size of 1, 2, 4 or 8
/// bytes, an offset that is a multiple of that size, and an access that lies inside the region;
/// other accesses are split into such pieces before they reach the device. A write passes the
/// value in the low <c>size</c> bytes (higher bytes zero); a read's value above the low
/// <c>size</c> bytes is ignored. A handler reports a refused access (e.g. a width the register
/// does not support) as <see cref="BusStatus.SlaveError"/>; reads of unimplemented registers
/// follow the model's specification (typically RAZ/WI).
/// </summary>
public interface IMmioDevice
{
    /// <summary>Reads <paramref name="size"/> bytes of registers at <paramref name="offset"/>.</summary>
    BusStatus MmioRead(ulong offset, int size, out ulong value);

    /// <summary>Writes the low <paramref name="size"/> bytes of <paramref name="value"/> at <paramref name="offset"/>.</summary>
    BusStatus MmioWrite(ulong offset, int size, ulong value);
}
