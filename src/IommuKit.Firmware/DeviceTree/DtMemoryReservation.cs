namespace IommuKit.Firmware.DeviceTree;

/// <summary>One entry of the memory reservation block (Devicetree Specification v0.4 §5.3).</summary>
/// <param name="Address">Physical address of the reserved region.</param>
/// <param name="Size">Size of the reserved region in bytes.</param>
public readonly record struct DtMemoryReservation(ulong Address, ulong Size);
