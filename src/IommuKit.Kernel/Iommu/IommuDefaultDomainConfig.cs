namespace IommuKit.Kernel.Iommu;

/// <summary>The build-time default (Kconfig choice "IOMMU default domain type").</summary>
public enum IommuDefaultDomainConfig
{
    /// <summary>CONFIG_IOMMU_DEFAULT_PASSTHROUGH: identity domains.</summary>
    Passthrough,

    /// <summary>CONFIG_IOMMU_DEFAULT_DMA_STRICT: translated, IOTLB invalidated on every unmap.</summary>
    DmaStrict,

    /// <summary>CONFIG_IOMMU_DEFAULT_DMA_LAZY: translated with a flush queue.</summary>
    DmaLazy,
}
