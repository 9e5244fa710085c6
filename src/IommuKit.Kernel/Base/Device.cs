using IommuKit.Kernel.Iommu;

namespace IommuKit.Kernel.Base;

/// <summary>
/// The parts of Linux's struct device that the IOMMU core, IOMMU drivers and the DMA layer use:
/// its name, bus, firmware node, DMA coherency, and the IOMMU state the core attaches to it
/// (<see cref="Iommu"/> is dev->iommu, <see cref="IommuGroup"/> is dev->iommu_group). PCI devices
/// are <see cref="Pci.PciDevice"/>; platform devices from firmware use this class directly.
/// </summary>
public class Device
{
    /// <summary>A device named <paramref name="name"/> (dev_name) on bus <paramref name="busName"/>.</summary>
    public Device(string name, string busName = "platform")
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(busName);
        Name = name;
        BusName = busName;
    }

    /// <summary>dev_name(dev), e.g. "0000:01:00.0" or "2b500000.dma".</summary>
    public string Name { get; }

    /// <summary>Name of the bus type ("platform", "pci"); dev_driver_string when no driver is bound.</summary>
    public string BusName { get; }

    /// <summary>Name of the bound driver, if any (used in message prefixes).</summary>
    public string? DriverName { get; set; }

    /// <summary>The device's firmware node (devicetree node or ACPI handle), compared by reference.</summary>
    public object? FwNode { get; init; }

    /// <summary>True if firmware describes the device as DMA-coherent (device_get_dma_attr == DEV_DMA_COHERENT).</summary>
    public bool DmaCoherent { get; init; }

    /// <summary>dev->iommu: per-device IOMMU data, present while the device is probed by an IOMMU driver (or has a fwspec).</summary>
    public IommuDevice? Iommu { get; internal set; }

    /// <summary>dev->iommu_group.</summary>
    public IommuGroup? IommuGroup { get; internal set; }

    /// <summary>dev->dma_iommu: the DMA API maps through the IOMMU (default domain is a DMA domain).</summary>
    public bool DmaIommu { get; internal set; }

    public override string ToString() => Name;
}
