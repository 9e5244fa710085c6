namespace IommuKit.Hardware.Pci;

/// <summary>
/// Bits shared by the ACS Capability and ACS Control registers (PCIe §7.7.8.2, §7.7.8.3): in the
/// capability register a set bit means the feature is implemented; in the control register it
/// means the feature is enabled.
/// </summary>
[Flags]
public enum PciAcsFlags : ushort
{
    None = 0,

    /// <summary>ACS Source Validation.</summary>
    SV = 0x0001,

    /// <summary>ACS Translation Blocking.</summary>
    TB = 0x0002,

    /// <summary>ACS P2P Request Redirect.</summary>
    RR = 0x0004,

    /// <summary>ACS P2P Completion Redirect.</summary>
    CR = 0x0008,

    /// <summary>ACS Upstream Forwarding.</summary>
    UF = 0x0010,

    /// <summary>ACS P2P Egress Control.</summary>
    EC = 0x0020,

    /// <summary>ACS Direct Translated P2P.</summary>
    DT = 0x0040,

    /// <summary>The four features an OS needs for peer-to-peer isolation (SV, RR, CR, UF).</summary>
    Isolation = SV | RR | CR | UF,

    /// <summary>Every feature defined by the base ACS capability.</summary>
    All = SV | TB | RR | CR | UF | EC | DT,
}
