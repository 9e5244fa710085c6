namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>How the IOMMU itself is reached by the CPU.</summary>
public enum IommuTransport
{
    /// <summary>A platform device with memory-mapped registers.</summary>
    Platform,

    /// <summary>A PCI function (virtio-iommu as <c>virtio,pci-iommu</c> below a PCI host bridge).</summary>
    Pci,

    /// <summary>A virtio-mmio transport node whose device is a virtio-iommu.</summary>
    VirtioMmio,
}
