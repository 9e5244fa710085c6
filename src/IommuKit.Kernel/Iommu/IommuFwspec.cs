namespace IommuKit.Kernel.Iommu;

/// <summary>
/// struct iommu_fwspec: what firmware says about a device's IOMMU: the IOMMU's firmware node and the
/// IDs (stream IDs, requester IDs, endpoint IDs) the device uses on it.
/// </summary>
public sealed class IommuFwspec
{
    private readonly List<uint> _ids = [];

    internal IommuFwspec(object iommuFwnode)
    {
        IommuFwnode = iommuFwnode;
    }

    /// <summary>The IOMMU's firmware node.</summary>
    public object IommuFwnode { get; }

    /// <summary>IDs the device emits (fwspec->ids).</summary>
    public IReadOnlyList<uint> Ids => _ids;

    /// <summary>fwspec->flags (e.g. IOMMU_FWSPEC_PCI_RC_ATS = 1).</summary>
    public uint Flags { get; set; }

    internal void AddIds(ReadOnlySpan<uint> ids)
    {
        foreach (uint id in ids)
        {
            _ids.Add(id);
        }
    }
}
