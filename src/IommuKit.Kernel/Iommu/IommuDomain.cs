namespace IommuKit.Kernel.Iommu;

/// <summary>
/// struct iommu_domain: a translation context. A driver creates it (its per-domain state lives in
/// the <see cref="Ops"/> object, as container_of does in C); the core fills in
/// <see cref="Type"/> and <see cref="Owner"/> when it allocates through the driver, and defaults
/// <see cref="PgsizeBitmap"/> from the driver's ops when left zero.
/// </summary>
public sealed class IommuDomain
{
    /// <summary>A domain driven by <paramref name="ops"/>. Static identity/blocked domains pass their type; paging domains get theirs from the core.</summary>
    public IommuDomain(IIommuDomainOps ops, IommuDomainType type = IommuDomainType.Unmanaged)
    {
        ArgumentNullException.ThrowIfNull(ops);
        Ops = ops;
        Type = type;
    }

    /// <summary>domain->type. DMA_FQ can be downgraded to DMA at DMA-API setup (no deferred flush).</summary>
    public IommuDomainType Type { get; internal set; }

    /// <summary>domain->ops: the driver's operations and state for this domain.</summary>
    public IIommuDomainOps Ops { get; }

    /// <summary>domain->owner: the driver that allocated it (null for static domains).</summary>
    public IIommuOps? Owner { get; internal set; }

    /// <summary>domain->pgsize_bitmap: page sizes map/unmap may use (bit n set: 2^n bytes).</summary>
    public ulong PgsizeBitmap { get; set; }

    /// <summary>domain->geometry.</summary>
    public IommuDomainGeometry Geometry { get; set; } = new(0, ulong.MaxValue, false);

    /// <summary>Private data of the DMA layer (dma-iommu's IOVA cookie) or another domain user.</summary>
    public object? Cookie { get; set; }

    /// <summary>True once the core or its owner freed the domain; using it then is a programming error.</summary>
    public bool IsFreed { get; internal set; }

    /// <summary>True for a driver's static domain (identity, blocked or release domain): never freed.</summary>
    public bool IsStatic { get; internal set; }

    /// <summary>True if the domain supports map/unmap.</summary>
    public bool IsPaging => Type.IsPaging();

    public override string ToString() => $"{Type} domain ({Owner?.Name ?? "static"})";
}
