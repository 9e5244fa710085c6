namespace IommuKit.Firmware.DeviceTree.Properties;

/// <summary>
/// One <c>ranges</c> or <c>dma-ranges</c> entry (Devicetree Specification v0.4 §2.3.8, §2.3.9): a
/// child-bus address, the parent-bus address it corresponds to, and the length of the window.
/// </summary>
/// <param name="ChildAddress">Address on the node's own (child) bus, with the node's <c>#address-cells</c>.</param>
/// <param name="ParentAddress">Address on the parent bus, with the parent's <c>#address-cells</c>.</param>
/// <param name="Size">Window length in bytes, with the node's <c>#size-cells</c>.</param>
public readonly record struct DtRangeEntry(UInt128 ChildAddress, UInt128 ParentAddress, ulong Size);
