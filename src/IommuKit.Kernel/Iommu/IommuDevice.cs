using IommuKit.Kernel.Base;

namespace IommuKit.Kernel.Iommu;

/// <summary>
/// struct dev_iommu: the IOMMU core's per-device data, reached as <see cref="Device.Iommu"/>: which
/// IOMMU instance (and so which driver) probed the device, its fwspec, and the driver's private data.
/// </summary>
public sealed class IommuDevice
{
    internal IommuDevice(Device device)
    {
        Device = device;
    }

    /// <summary>The device this data belongs to.</summary>
    public Device Device { get; }

    /// <summary>iommu_dev: the instance that probed the device; null until probed.</summary>
    public IommuInstance? IommuDev { get; internal set; }

    /// <summary>dev_iommu_ops(): the driver that probed the device.</summary>
    public IIommuOps? Ops => IommuDev?.Ops;

    /// <summary>The firmware description of the device's IOMMU and IDs.</summary>
    public IommuFwspec? Fwspec { get; internal set; }

    /// <summary>Driver private data (dev_iommu_priv_get/set).</summary>
    public object? Priv { get; set; }

    /// <summary>max_pasids: PASIDs usable on this device (0: no PASID support).</summary>
    public uint MaxPasids { get; internal set; }

    /// <summary>require_direct: the device has an IOMMU_RESV_DIRECT region, so it must never be blocked.</summary>
    public bool RequireDirect { get; internal set; }

    /// <summary>attach_deferred: the first attach waits for the first DMA mapping (kdump); never set by the model.</summary>
    public bool AttachDeferred { get; internal set; }

    /// <summary>pci_32bit_workaround: try IOVAs below 4 GiB first (PCI devices unless iommu.forcedac).</summary>
    public bool Pci32BitWorkaround { get; set; }

    /// <summary>shadow_on_flush: the IOMMU shadows page tables on flush (virtualised IOMMUs); selects large flush queues.</summary>
    public bool ShadowOnFlush { get; set; }
}
