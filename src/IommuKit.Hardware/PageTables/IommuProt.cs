namespace IommuKit.Hardware.PageTables;

/// <summary>
/// Protection flags of an IOMMU mapping, with the values of Linux's <c>IOMMU_*</c> prot bits
/// (<c>include/linux/iommu.h</c>). Page-table formats translate them into descriptor bits.
/// </summary>
[Flags]
public enum IommuProt
{
    /// <summary>No access.</summary>
    None = 0,

    /// <summary><c>IOMMU_READ</c>: the device may read.</summary>
    Read = 1,

    /// <summary><c>IOMMU_WRITE</c>: the device may write.</summary>
    Write = 2,

    /// <summary><c>IOMMU_CACHE</c>: cacheable, coherent memory attributes (DMA snoops CPU caches).</summary>
    Cache = 4,

    /// <summary><c>IOMMU_NOEXEC</c>: no instruction fetch.</summary>
    NoExec = 8,

    /// <summary><c>IOMMU_MMIO</c>: device (MMIO) memory type, e.g. an MSI doorbell.</summary>
    Mmio = 16,

    /// <summary><c>IOMMU_PRIV</c>: the permissions apply to privileged accesses only.</summary>
    Priv = 32,
}
