using IommuKit.Kernel.Base;

namespace IommuKit.Kernel.Iommu;

/// <summary>
/// struct iommu_device: one IOMMU hardware instance a driver registers with
/// <see cref="IommuSubsystem.IommuDeviceRegister"/>. Devices are matched to it through their fwspec's
/// firmware node (or, with no fwspec, by the first instance registered without a firmware node).
/// </summary>
public sealed class IommuInstance
{
    private readonly List<Device> _devices = [];

    /// <summary>An instance named <paramref name="name"/> (its sysfs name) supporting <paramref name="maxPasids"/> PASIDs.</summary>
    public IommuInstance(string name, uint maxPasids = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        MaxPasids = maxPasids;
    }

    public string Name { get; }

    /// <summary>iommu->max_pasids.</summary>
    public uint MaxPasids { get; }

    /// <summary>The driver operations given at registration.</summary>
    public IIommuOps? Ops { get; internal set; }

    /// <summary>The firmware node of the IOMMU's own device (hwdev), used to match fwspecs.</summary>
    public object? FwNode { get; internal set; }

    /// <summary>The IOMMU's own device (hwdev), if registered with one.</summary>
    public Device? HwDev { get; internal set; }

    /// <summary>True once registration finished probing existing devices (iommu->ready).</summary>
    public bool Ready { get; internal set; }

    /// <summary>The subsystem it is registered with.</summary>
    public IommuSubsystem? Subsystem { get; internal set; }

    /// <summary>Devices probed by this instance (iommu_device_link).</summary>
    public IReadOnlyList<Device> Devices => _devices;

    /// <summary>generic_single_device_group()'s one group for all devices of this instance.</summary>
    internal IommuGroup? SingletonGroup { get; set; }

    internal void Link(Device dev) => _devices.Add(dev);

    internal void Unlink(Device dev) => _devices.Remove(dev);

    public override string ToString() => Name;
}
