namespace IommuKit.Hardware.Pci;

/// <summary>
/// Configuration-space register offsets and field values used by the model (PCI Local Bus Spec 3.0
/// §6.1, PCI-to-PCI Bridge Arch. Spec 1.2 §3.2, PCI Express Base Spec §7.5.3 and §7.7.8). Names
/// follow the specifications' register and field names.
/// </summary>
public static class PciConfigRegisters
{
    /// <summary>Size of one function's configuration space as seen through ECAM.</summary>
    public const int ConfigSpaceSize = 4096;

    /// <summary>Size of the conventional (PCI-compatible) configuration space.</summary>
    public const int CompatibleSpaceSize = 256;

    public const int VendorID = 0x00;
    public const int DeviceID = 0x02;
    public const int Command = 0x04;
    public const int Status = 0x06;
    public const int RevisionID = 0x08;
    public const int ClassCode = 0x09;
    public const int CacheLineSize = 0x0C;
    public const int HeaderType = 0x0E;
    public const int CapabilitiesPointer = 0x34;
    public const int InterruptLine = 0x3C;

    /// <summary>Type 1 header: Primary Bus Number.</summary>
    public const int PrimaryBusNumber = 0x18;

    /// <summary>Type 1 header: Secondary Bus Number.</summary>
    public const int SecondaryBusNumber = 0x19;

    /// <summary>Type 1 header: Subordinate Bus Number.</summary>
    public const int SubordinateBusNumber = 0x1A;

    /// <summary>Type 1 header: Bridge Control.</summary>
    public const int BridgeControl = 0x3E;

    /// <summary>Status register: Capabilities List.</summary>
    public const ushort StatusCapabilitiesList = 0x0010;

    /// <summary>Header Type: Multi-Function Device bit.</summary>
    public const byte HeaderTypeMultiFunction = 0x80;

    public const byte HeaderLayoutType0 = 0x00;
    public const byte HeaderLayoutType1 = 0x01;

    /// <summary>Capability ID of the PCI Express Capability structure.</summary>
    public const byte CapabilityIdPciExpress = 0x10;

    /// <summary>PCI Express Capability: offset of the PCI Express Capabilities Register.</summary>
    public const int PcieCapabilitiesRegister = 0x02;

    /// <summary>PCI Express Capability: Device Capabilities Register.</summary>
    public const int PcieDeviceCapabilities = 0x04;

    /// <summary>PCI Express Capability: Device Control Register.</summary>
    public const int PcieDeviceControl = 0x08;

    /// <summary>PCI Express Capability: Link Capabilities Register.</summary>
    public const int PcieLinkCapabilities = 0x0C;

    /// <summary>PCI Express Capability: Link Control Register.</summary>
    public const int PcieLinkControl = 0x10;

    /// <summary>PCI Express Capability: Slot Control Register.</summary>
    public const int PcieSlotControl = 0x18;

    /// <summary>Length of a version 2 PCI Express Capability structure.</summary>
    public const int PcieCapabilityLength = 0x3C;

    /// <summary>PCI Express Capabilities Register: Slot Implemented bit.</summary>
    public const ushort PcieSlotImplemented = 0x0100;

    /// <summary>First extended capability header (PCIe §7.6).</summary>
    public const int ExtendedCapabilitiesStart = 0x100;

    /// <summary>Extended capability ID of Access Control Services (PCIe §7.7.8).</summary>
    public const ushort ExtendedCapabilityIdAcs = 0x000D;

    /// <summary>ACS Extended Capability: ACS Capability Register (16 bits).</summary>
    public const int AcsCapabilityRegister = 0x04;

    /// <summary>ACS Extended Capability: ACS Control Register (16 bits).</summary>
    public const int AcsControlRegister = 0x06;

    /// <summary>ACS Extended Capability: first Egress Control Vector dword.</summary>
    public const int AcsEgressControlVector = 0x08;

    /// <summary>Class code of a PCI-to-PCI bridge (base 06h, sub 04h, interface 00h).</summary>
    public const uint ClassPciToPciBridge = 0x060400;

    /// <summary>Class code of a host bridge (base 06h, sub 00h).</summary>
    public const uint ClassHostBridge = 0x060000;
}
