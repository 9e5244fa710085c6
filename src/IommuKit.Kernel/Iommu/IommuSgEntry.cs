namespace IommuKit.Kernel.Iommu;

/// <summary>One scatterlist segment for <see cref="IommuSubsystem.MapSg"/>: a physical range.</summary>
public readonly record struct IommuSgEntry(ulong Phys, ulong Length);
