namespace IommuKit.Hardware.Memory;

/// <summary>
/// A register block mapped into the physical address space. Offsets are relative to the start of
/// the region; <paramref name="size"/> is 1, 2, 4 or 8 bytes. A handler reports a refused access
/// as <see cref="BusStatus.SlaveError"/>; reads of unimplemented registers follow the model's
/// specification (typically RAZ/WI).
/// </summary>
public interface IMmioDevice
{
    BusStatus MmioRead(ulong offset, int size, out ulong value);

    BusStatus MmioWrite(ulong offset, int size, ulong value);
}
