namespace IommuKit.Kernel.Iommu;

/// <summary>
/// How a machine's kernel was built and booted, as far as the IOMMU core cares: the Kconfig default
/// domain, the command line, whether the platform encrypts memory (cc_platform_has
/// CC_ATTR_MEM_ENCRYPT), and whether the IOMMU DMA layer is built (CONFIG_IOMMU_DMA).
/// </summary>
public sealed record IommuSubsystemOptions
{
    public IommuDefaultDomainConfig DefaultDomain { get; init; } = IommuDefaultDomainConfig.DmaStrict;

    public KernelCommandLine CommandLine { get; init; } = KernelCommandLine.Empty;

    /// <summary>Confidential-computing memory encryption: default passthrough is turned off unless the command line asks for it.</summary>
    public bool MemoryEncryption { get; init; }

    /// <summary>CONFIG_IOMMU_DMA: without it DMA domains cannot be used and the default becomes identity.</summary>
    public bool IommuDma { get; init; } = true;
}
