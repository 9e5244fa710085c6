namespace IommuKit.Hardware.Pci;

/// <summary>What a modelled PCI function is; decides its header layout and capabilities.</summary>
public enum PciFunctionKind
{
    /// <summary>Host bridge (type 0 header, class 0600h), no PCI Express capability.</summary>
    HostBridge,

    /// <summary>PCI Express Endpoint below a Root Port or Switch Downstream Port.</summary>
    Endpoint,

    /// <summary>Root Complex Integrated Endpoint on the root bus.</summary>
    RootComplexIntegratedEndpoint,

    /// <summary>Conventional PCI device (no PCI Express capability, 256-byte configuration space).</summary>
    ConventionalEndpoint,

    /// <summary>Root Port (type 1 header, PCI Express capability).</summary>
    RootPort,

    /// <summary>Switch Upstream Port (type 1 header, PCI Express capability).</summary>
    SwitchUpstreamPort,

    /// <summary>Switch Downstream Port (type 1 header, PCI Express capability).</summary>
    SwitchDownstreamPort,

    /// <summary>PCI Express to PCI/PCI-X bridge; its secondary bus is conventional PCI.</summary>
    PcieToPciBridge,

    /// <summary>Conventional PCI-to-PCI bridge on a conventional bus.</summary>
    ConventionalBridge,
}
