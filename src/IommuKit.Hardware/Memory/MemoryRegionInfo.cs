namespace IommuKit.Hardware.Memory;

/// <summary>One region of a physical memory map: RAM when <paramref name="Device"/> is null, else MMIO.</summary>
public sealed record MemoryRegionInfo(ulong Base, ulong Size, IMmioDevice? Device)
{
    public bool IsRam => Device is null;
}
