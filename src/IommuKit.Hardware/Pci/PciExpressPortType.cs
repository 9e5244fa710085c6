namespace IommuKit.Hardware.Pci;

/// <summary>Device/Port Type field of the PCI Express Capabilities Register (PCIe §7.5.3.2, bits 7:4).</summary>
public enum PciExpressPortType : byte
{
    /// <summary>PCI Express Endpoint.</summary>
    Endpoint = 0x0,

    /// <summary>Legacy PCI Express Endpoint.</summary>
    LegacyEndpoint = 0x1,

    /// <summary>Root Port of a PCI Express Root Complex.</summary>
    RootPort = 0x4,

    /// <summary>Upstream Port of a PCI Express Switch.</summary>
    UpstreamPort = 0x5,

    /// <summary>Downstream Port of a PCI Express Switch.</summary>
    DownstreamPort = 0x6,

    /// <summary>PCI Express to PCI/PCI-X Bridge.</summary>
    PcieToPciBridge = 0x7,

    /// <summary>PCI/PCI-X to PCI Express Bridge.</summary>
    PciToPcieBridge = 0x8,

    /// <summary>Root Complex Integrated Endpoint.</summary>
    RootComplexIntegratedEndpoint = 0x9,

    /// <summary>Root Complex Event Collector.</summary>
    RootComplexEventCollector = 0xA,
}
