namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>The MSI target of a requester.</summary>
/// <param name="Status">How it was found.</param>
/// <param name="Controller">The MSI controller node (GIC ITS, ...), or null.</param>
/// <param name="DeviceId">The MSI DeviceID presented to the controller.</param>
/// <param name="MapNode">The node whose <c>msi-map</c> decided, or null.</param>
public readonly record struct MsiResolution(MsiResolutionStatus Status, DtNode? Controller, uint DeviceId, DtNode? MapNode);
