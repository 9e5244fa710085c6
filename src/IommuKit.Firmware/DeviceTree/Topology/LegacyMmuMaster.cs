namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>
/// One entry of the deprecated Arm SMMU <c>mmu-masters</c> binding: the SMMU node lists its
/// masters (phandle followed by the master's <c>#stream-id-cells</c> stream IDs).
/// </summary>
/// <param name="Smmu">The SMMU holding the list.</param>
/// <param name="Phandle">The master's phandle.</param>
/// <param name="Master">The master node, or null when the phandle dangles.</param>
/// <param name="StreamIds">The stream IDs.</param>
/// <param name="Valid">False when the entry could not be read (dangling, no <c>#stream-id-cells</c>, truncated).</param>
public sealed record LegacyMmuMaster(IommuInstance Smmu, uint Phandle, DtNode? Master, IReadOnlyList<uint> StreamIds, bool Valid);
