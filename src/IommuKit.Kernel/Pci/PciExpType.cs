namespace IommuKit.Kernel.Pci;

/// <summary>PCI Express device/port types (PCI_EXP_TYPE_* in pci_regs.h).</summary>
public enum PciExpType : byte
{
    /// <summary>PCI_EXP_TYPE_ENDPOINT.</summary>
    Endpoint = 0x0,

    /// <summary>PCI_EXP_TYPE_LEG_END: legacy endpoint.</summary>
    LegEnd = 0x1,

    /// <summary>PCI_EXP_TYPE_ROOT_PORT.</summary>
    RootPort = 0x4,

    /// <summary>PCI_EXP_TYPE_UPSTREAM: switch upstream port.</summary>
    Upstream = 0x5,

    /// <summary>PCI_EXP_TYPE_DOWNSTREAM: switch downstream port.</summary>
    Downstream = 0x6,

    /// <summary>PCI_EXP_TYPE_PCI_BRIDGE: PCIe to PCI/PCI-X bridge.</summary>
    PciBridge = 0x7,

    /// <summary>PCI_EXP_TYPE_PCIE_BRIDGE: PCI/PCI-X to PCIe bridge.</summary>
    PcieBridge = 0x8,

    /// <summary>PCI_EXP_TYPE_RC_END: root complex integrated endpoint.</summary>
    RcEnd = 0x9,

    /// <summary>PCI_EXP_TYPE_RC_EC: root complex event collector.</summary>
    RcEc = 0xA,
}
