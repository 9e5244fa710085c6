namespace IommuKit.Kernel.Iommu;

/// <summary>enum iommu_resv_type: what a reserved IOVA region is for.</summary>
public enum IommuResvType
{
    /// <summary>IOMMU_RESV_DIRECT: must be identity mapped at all times (RMRR, IORT RMR).</summary>
    Direct = 0,

    /// <summary>IOMMU_RESV_DIRECT_RELAXABLE: identity mapped for the DMA API, may be dropped for device assignment.</summary>
    DirectRelaxable = 1,

    /// <summary>IOMMU_RESV_RESERVED: never mapped, never given to a device.</summary>
    Reserved = 2,

    /// <summary>IOMMU_RESV_MSI: hardware MSI window, untranslated.</summary>
    Msi = 3,

    /// <summary>IOMMU_RESV_SW_MSI: software-managed MSI window the domain owner maps.</summary>
    SwMsi = 4,
}
