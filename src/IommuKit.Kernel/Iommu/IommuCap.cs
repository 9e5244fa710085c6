namespace IommuKit.Kernel.Iommu;

/// <summary>enum iommu_cap (include/linux/iommu.h), in kernel order.</summary>
public enum IommuCap
{
    /// <summary>IOMMU_CAP_CACHE_COHERENCY: IOMMU_CACHE is supported (DMA can be made CPU-cache coherent).</summary>
    CacheCoherency = 0,

    /// <summary>IOMMU_CAP_NOEXEC: IOMMU_NOEXEC is honoured.</summary>
    NoExec = 1,

    /// <summary>IOMMU_CAP_PRE_BOOT_PROTECTION: firmware used the IOMMU for DMA protection before boot.</summary>
    PreBootProtection = 2,

    /// <summary>IOMMU_CAP_ENFORCE_CACHE_COHERENCY: enforce_cache_coherency() will succeed for a domain holding this device.</summary>
    EnforceCacheCoherency = 3,

    /// <summary>IOMMU_CAP_DEFERRED_FLUSH: unmap does not flush the IOTLB, so a flush queue (DMA_FQ) helps.</summary>
    DeferredFlush = 4,

    /// <summary>IOMMU_CAP_DIRTY_TRACKING: the IOMMU can track dirty IOPTEs.</summary>
    DirtyTracking = 5,
}
