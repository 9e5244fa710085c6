namespace IommuKit.Kernel.Pci;

/// <summary>Configuration register offsets and bits the kernel uses (include/uapi/linux/pci_regs.h names).</summary>
public static class PciRegs
{
    public const int PCI_VENDOR_ID = 0x00;
    public const int PCI_DEVICE_ID = 0x02;
    public const int PCI_COMMAND = 0x04;
    public const int PCI_STATUS = 0x06;
    public const ushort PCI_STATUS_CAP_LIST = 0x10;
    public const int PCI_CLASS_REVISION = 0x08;
    public const int PCI_HEADER_TYPE = 0x0E;
    public const byte PCI_HEADER_TYPE_MASK = 0x7F;
    public const byte PCI_HEADER_TYPE_MFD = 0x80;
    public const byte PCI_HEADER_TYPE_NORMAL = 0;
    public const byte PCI_HEADER_TYPE_BRIDGE = 1;
    public const int PCI_CAPABILITY_LIST = 0x34;
    public const int PCI_PRIMARY_BUS = 0x18;
    public const int PCI_SECONDARY_BUS = 0x19;
    public const int PCI_SUBORDINATE_BUS = 0x1A;

    public const byte PCI_CAP_ID_EXP = 0x10;
    public const int PCI_EXP_FLAGS = 0x02;
    public const ushort PCI_EXP_FLAGS_TYPE = 0x00F0;

    public const int PCI_CFG_SPACE_SIZE = 256;
    public const int PCI_CFG_SPACE_EXP_SIZE = 4096;
    public const ushort PCI_EXT_CAP_ID_ACS = 0x0D;
    public const int PCI_ACS_CAP = 0x04;
    public const int PCI_ACS_CTRL = 0x06;

    /// <summary>Bus-number-free requester ID of slot/function (PCI_DEVFN).</summary>
    public static byte PCI_DEVFN(int slot, int func) => (byte)(((slot & 0x1F) << 3) | (func & 0x07));

    public static int PCI_SLOT(int devfn) => (devfn >> 3) & 0x1F;

    public static int PCI_FUNC(int devfn) => devfn & 0x07;

    /// <summary>PCI_DEVID(bus, devfn).</summary>
    public static ushort PCI_DEVID(int bus, int devfn) => (ushort)(((bus & 0xFF) << 8) | (devfn & 0xFF));
}
