using IommuKit.Hardware.PageTables;

namespace IommuKit.Kernel.Iommu;

/// <summary>
/// struct iommu_resv_region: a reserved IOVA range of a device, with the protection used when the
/// core maps it 1:1 (DIRECT types).
/// </summary>
public readonly record struct IommuResvRegion(ulong Start, ulong Length, IommuProt Prot, IommuResvType Type)
{
    /// <summary>Last address of the region (inclusive).</summary>
    public ulong End => Start + Length - 1;

    /// <summary>The name sysfs prints for the type (iommu_group_resv_type_string).</summary>
    public string TypeString => Type switch
    {
        IommuResvType.Direct => "direct",
        IommuResvType.DirectRelaxable => "direct-relaxable",
        IommuResvType.Reserved => "reserved",
        _ => "msi",
    };
}
