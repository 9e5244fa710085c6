namespace IommuKit.Firmware.DeviceTree.Properties;

/// <summary>
/// One <c>reg</c> entry: an address in the parent bus's address space (up to 4 cells, so PCI's
/// 3-cell addresses keep their <c>phys.hi</c> cell in bits 95:64) and a size.
/// </summary>
/// <param name="Address">The address, most significant cell first.</param>
/// <param name="Size">The size in bytes.</param>
public readonly record struct DtRegEntry(UInt128 Address, ulong Size);
