namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>What the input IDs of an <c>iommu-map</c> are.</summary>
public enum MappedIdSpace
{
    /// <summary>Not an ID-mapped master.</summary>
    None,

    /// <summary>PCI requester IDs (bus[15:8], device[7:3], function[2:0]) of a PCI host bridge.</summary>
    PciRequesterId,

    /// <summary>NXP fsl-mc isolation context IDs (ICIDs) of the management-complex bus.</summary>
    FslMcIcid,

    /// <summary>IDs of some other bus.</summary>
    Other,
}
