namespace IommuKit.Kernel.Iommu;

/// <summary>
/// IOMMU domain types (IOMMU_DOMAIN_* in include/linux/iommu.h). Each value is a combination of
/// the feature bits in <see cref="IommuDomainTypeBits"/>: e.g. DMA = PAGING | DMA_API.
/// </summary>
public enum IommuDomainType : uint
{
    /// <summary>IOMMU_DOMAIN_BLOCKED: all DMA is blocked.</summary>
    Blocked = 0,

    /// <summary>IOMMU_DOMAIN_UNMANAGED (PAGING): mappings owned by an IOMMU-API user such as VFIO or iommufd.</summary>
    Unmanaged = IommuDomainTypeBits.Paging,

    /// <summary>IOMMU_DOMAIN_DMA (PAGING | DMA_API): kernel DMA API, strict invalidation.</summary>
    Dma = IommuDomainTypeBits.Paging | IommuDomainTypeBits.DmaApi,

    /// <summary>IOMMU_DOMAIN_IDENTITY (PT): IOVA equals physical address (passthrough).</summary>
    Identity = IommuDomainTypeBits.Pt,

    /// <summary>IOMMU_DOMAIN_DMA_FQ (PAGING | DMA_API | DMA_FQ): DMA API with a flush queue (lazy invalidation).</summary>
    DmaFq = IommuDomainTypeBits.Paging | IommuDomainTypeBits.DmaApi | IommuDomainTypeBits.DmaFq,

    /// <summary>IOMMU_DOMAIN_SVA: shares a process address space.</summary>
    Sva = IommuDomainTypeBits.Sva,

    /// <summary>IOMMU_DOMAIN_PLATFORM: legacy driver-owned DMA ops.</summary>
    Platform = IommuDomainTypeBits.Platform,

    /// <summary>IOMMU_DOMAIN_NESTED: user-managed stage 1 on a stage-2 parent.</summary>
    Nested = IommuDomainTypeBits.Nested,
}

/// <summary>The __IOMMU_DOMAIN_* feature bits domain types are built from.</summary>
public static class IommuDomainTypeBits
{
    /// <summary>__IOMMU_DOMAIN_PAGING: supports map/unmap.</summary>
    public const uint Paging = 1u << 0;

    /// <summary>__IOMMU_DOMAIN_DMA_API: owned by the DMA API.</summary>
    public const uint DmaApi = 1u << 1;

    /// <summary>__IOMMU_DOMAIN_PT: identity mapped.</summary>
    public const uint Pt = 1u << 2;

    /// <summary>__IOMMU_DOMAIN_DMA_FQ: DMA API uses a flush queue.</summary>
    public const uint DmaFq = 1u << 3;

    /// <summary>__IOMMU_DOMAIN_SVA.</summary>
    public const uint Sva = 1u << 4;

    /// <summary>__IOMMU_DOMAIN_PLATFORM.</summary>
    public const uint Platform = 1u << 5;

    /// <summary>__IOMMU_DOMAIN_NESTED.</summary>
    public const uint Nested = 1u << 6;

    /// <summary>IOMMU_DOMAIN_ALLOC_FLAGS: every bit except DMA_FQ (a runtime attribute, not an allocation type).</summary>
    public const uint AllocFlags = ~DmaFq;
}

/// <summary>Predicates over <see cref="IommuDomainType"/>.</summary>
public static class IommuDomainTypeExtensions
{
    /// <summary>The type supports map/unmap (__IOMMU_DOMAIN_PAGING).</summary>
    public static bool IsPaging(this IommuDomainType type) => ((uint)type & IommuDomainTypeBits.Paging) != 0;

    /// <summary>iommu_is_dma_domain(): the type belongs to the DMA API.</summary>
    public static bool IsDmaApi(this IommuDomainType type) => ((uint)type & IommuDomainTypeBits.DmaApi) != 0;

    /// <summary>The type uses a flush queue (__IOMMU_DOMAIN_DMA_FQ).</summary>
    public static bool IsFlushQueue(this IommuDomainType type) => ((uint)type & IommuDomainTypeBits.DmaFq) != 0;

    /// <summary>iommu_domain_type_str(): the name the core prints in messages.</summary>
    public static string ToKernelString(this IommuDomainType type) => type switch
    {
        IommuDomainType.Blocked => "Blocked",
        IommuDomainType.Identity => "Passthrough",
        IommuDomainType.Unmanaged => "Unmanaged",
        IommuDomainType.Dma or IommuDomainType.DmaFq => "Translated",
        IommuDomainType.Platform => "Platform",
        _ => "Unknown",
    };
}
