namespace IommuKit.Kernel.Pci;

/// <summary>ACS capability/control bits (PCI_ACS_* in pci_regs.h).</summary>
[Flags]
public enum PciAcs : ushort
{
    None = 0,

    /// <summary>PCI_ACS_SV: Source Validation.</summary>
    SV = 0x0001,

    /// <summary>PCI_ACS_TB: Translation Blocking.</summary>
    TB = 0x0002,

    /// <summary>PCI_ACS_RR: P2P Request Redirect.</summary>
    RR = 0x0004,

    /// <summary>PCI_ACS_CR: P2P Completion Redirect.</summary>
    CR = 0x0008,

    /// <summary>PCI_ACS_UF: Upstream Forwarding.</summary>
    UF = 0x0010,

    /// <summary>PCI_ACS_EC: P2P Egress Control.</summary>
    EC = 0x0020,

    /// <summary>PCI_ACS_DT: Direct Translated P2P.</summary>
    DT = 0x0040,
}
