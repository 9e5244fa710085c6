namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>What kind of problem the topology found.</summary>
public enum TopologyProblemCode
{
    /// <summary>A phandle in <c>iommus</c>, a map or <c>mmu-masters</c> names no node.</summary>
    DanglingPhandle,

    /// <summary>A list or map does not split into whole entries (length, truncated specifier).</summary>
    WrongCellCount,

    /// <summary>A property the topology reads has the wrong form (e.g. <c>#iommu-cells</c> not one cell).</summary>
    MalformedProperty,

    /// <summary>An <c>iommus</c> or map entry names a node without <c>#iommu-cells</c>.</summary>
    NotAnIommu,

    /// <summary>A map entry of length 0, which can never match.</summary>
    ZeroLengthMapEntry,

    /// <summary>A map entry's base has bits outside the map mask: Linux fails the lookup (-EFAULT).</summary>
    MapMaskIgnoresBase,

    /// <summary>An enabled master references a disabled IOMMU: Linux leaves it without IOMMU.</summary>
    DisabledIommuReference,

    /// <summary><c>#iommu-cells</c> has a value the family's binding or Linux driver does not accept.</summary>
    InvalidIommuCells,

    /// <summary>An <c>iommu-map</c> targets an IOMMU with more than one specifier cell; only one cell is mapped.</summary>
    MultiCellMapTarget,

    /// <summary>The deprecated <c>mmu-masters</c> binding is used.</summary>
    LegacyMmuMasters,

    /// <summary>Two nodes claim the same phandle; the first in tree order wins.</summary>
    DuplicatePhandle,

    /// <summary>A node with <c>#iommu-cells</c> whose compatible no known IOMMU driver matches.</summary>
    UnknownIommuFamily,

    /// <summary>A PCI device node carries <c>iommus</c>; Linux uses the host bridge's <c>iommu-map</c> instead.</summary>
    IommusOnPciDevice,
}
