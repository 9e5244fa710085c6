using IommuKit.Kernel.Base;

namespace IommuKit.Kernel.Iommu;

/// <summary>
/// struct iommu_group: the smallest set of devices the IOMMU can isolate from each other, and the
/// unit of attachment. IDs come from a per-subsystem allocator, lowest free first, from 0.
/// A group lives while it has devices or references (<see cref="IommuSubsystem.IommuGroupGet"/>).
/// </summary>
public sealed class IommuGroup
{
    private readonly List<Device> _devices = [];

    internal IommuGroup(IommuSubsystem subsystem, int id)
    {
        Subsystem = subsystem;
        Id = id;
        RefCount = 1;
    }

    /// <summary>iommu_group_id(): the number under /sys/kernel/iommu_groups.</summary>
    public int Id { get; }

    public IommuSubsystem Subsystem { get; }

    /// <summary>Member devices, in the order they joined.</summary>
    public IReadOnlyList<Device> Devices => _devices;

    /// <summary>The domain the kernel uses for the group when nobody else owns it.</summary>
    public IommuDomain? DefaultDomain { get; internal set; }

    /// <summary>The domain installed while DMA ownership is claimed (driver blocked domain, or an empty paging domain).</summary>
    public IommuDomain? BlockingDomain { get; internal set; }

    /// <summary>The domain currently attached.</summary>
    public IommuDomain? Domain { get; internal set; }

    /// <summary>The DMA owner cookie (VFIO / iommufd), or null.</summary>
    public object? Owner { get; internal set; }

    /// <summary>owner_cnt: DMA-API drivers using the default domain, or claims by the owner.</summary>
    public int OwnerCount { get; internal set; }

    /// <summary>True once the last reference went away and the ID was released.</summary>
    public bool IsReleased { get; internal set; }

    internal int RefCount { get; set; }

    internal object Mutex { get; } = new();

    internal List<Device> DeviceList => _devices;

    public override string ToString() => $"iommu group {Id}";
}
