namespace IommuKit.Kernel.Pci;

/// <summary>
/// A PCI bus as the kernel sees it (struct pci_bus): its number, the bridge leading to it
/// (<see cref="Self"/>, null on a root bus), its parent bus, and the devices found on it in scan order.
/// </summary>
public sealed class PciBus
{
    private readonly List<PciDevice> _devices = [];
    private readonly List<PciBus> _children = [];

    internal PciBus(PciHostBridge host, PciBus? parent, PciDevice? self, int number)
    {
        Host = host;
        Parent = parent;
        Self = self;
        Number = number;
        BusnEnd = number;
    }

    public PciHostBridge Host { get; }

    /// <summary>The parent bus; null for the root bus.</summary>
    public PciBus? Parent { get; }

    /// <summary>The bridge device whose secondary bus this is; null for the root bus.</summary>
    public PciDevice? Self { get; }

    /// <summary>bus->number.</summary>
    public int Number { get; }

    /// <summary>Highest bus number below this bus (the bridge's subordinate bus number).</summary>
    public int BusnEnd { get; internal set; }

    /// <summary>pci_is_root_bus().</summary>
    public bool IsRoot => Parent is null;

    /// <summary>Devices on this bus (bus->devices) in scan order.</summary>
    public IReadOnlyList<PciDevice> Devices => _devices;

    /// <summary>Child buses (bus->children).</summary>
    public IReadOnlyList<PciBus> Children => _children;

    /// <summary>"dddd:bb", as the pci_bus device is named.</summary>
    public string Name => $"{Host.Segment:x4}:{Number:x2}";

    internal void AddDevice(PciDevice device) => _devices.Add(device);

    internal void AddChild(PciBus child) => _children.Add(child);

    public override string ToString() => Name;
}
