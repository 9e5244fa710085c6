namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>How the MSI controller and DeviceID of a requester were found.</summary>
public enum MsiResolutionStatus
{
    /// <summary>An <c>msi-map</c> entry on the host bridge or an ancestor mapped the ID.</summary>
    MsiMap,

    /// <summary>No <c>msi-map</c> translated the ID; the host bridge's <c>msi-parent</c> receives it with the RID as DeviceID.</summary>
    MsiParent,

    /// <summary>Neither an <c>msi-map</c> match nor an <c>msi-parent</c>: no MSI controller in the tree.</summary>
    None,
}
