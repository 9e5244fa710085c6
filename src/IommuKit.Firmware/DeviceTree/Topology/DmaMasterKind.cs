namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>How a master names its IOMMU.</summary>
public enum DmaMasterKind
{
    /// <summary>An <c>iommus</c> list of (phandle, specifier) entries on the device's own node.</summary>
    Iommus,

    /// <summary>An <c>iommu-map</c> on a bus node mapping requester IDs of devices below it.</summary>
    IommuMap,
}
