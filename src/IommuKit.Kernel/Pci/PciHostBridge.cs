using IommuKit.Hardware.Memory;
using IommuKit.Kernel.Printk;
using static IommuKit.Kernel.Pci.PciRegs;

namespace IommuKit.Kernel.Pci;

/// <summary>
/// A PCI host bridge as the kernel drives it (struct pci_host_bridge with a generic ECAM host
/// driver): <see cref="Probe"/> enumerates the hierarchy purely through ECAM configuration reads
/// and writes, the way drivers/pci/probe.c does (pci_scan_child_bus, pci_scan_slot,
/// pci_scan_bridge, pci_setup_device, pci_device_add), assigning bus numbers where firmware left
/// none, setting trust, applying header quirks, and enabling ACS (pci_acs_init).
/// </summary>
public sealed class PciHostBridge
{
    private readonly List<PciDevice> _devices = [];

    private PciHostBridge(PciEcamConfig config, int segment, PciOptions options, KernelLog log)
    {
        Config = config;
        Segment = segment;
        Options = options;
        Log = log;
        RootBus = new PciBus(this, null, null, config.BusStart);
    }

    /// <summary>PCI segment (domain).</summary>
    public int Segment { get; }

    /// <summary>Configuration accessors.</summary>
    public PciEcamConfig Config { get; }

    public PciOptions Options { get; }

    public KernelLog Log { get; }

    /// <summary>The root bus.</summary>
    public PciBus RootBus { get; }

    /// <summary>Every device in the order it was added to the PCI bus (for_each_pci_dev order).</summary>
    public IReadOnlyList<PciDevice> Devices => _devices;

    /// <summary>
    /// Enumerates the hierarchy behind an ECAM window at <paramref name="ecamBase"/> decoding buses
    /// <paramref name="busStart"/>–<paramref name="busEnd"/>.
    /// </summary>
    public static PciHostBridge Probe(PhysicalMemory memory, ulong ecamBase, int segment, int busStart, int busEnd, PciOptions options, KernelLog log)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        var host = new PciHostBridge(new PciEcamConfig(memory, ecamBase, busStart, busEnd), segment, options, log);
        log.Print(KernelLogLevel.Info, $"pci_bus {host.RootBus.Name}: root bus resource [bus {busStart:x2}-{busEnd:x2}]");
        host.RootBus.BusnEnd = host.ScanChildBus(host.RootBus);
        return host;
    }

    /// <summary>pci_get_domain_bus_and_slot(): the device at bus/devfn, or null.</summary>
    public PciDevice? GetDevice(int bus, int devfn)
    {
        foreach (PciDevice d in _devices)
        {
            if (d.Bus.Number == bus && d.Devfn == devfn)
            {
                return d;
            }
        }

        return null;
    }

    /// <summary>The device named "dddd:bb:dd.f", or null.</summary>
    public PciDevice? GetDevice(string name) => _devices.FirstOrDefault(d => d.Name == name);

    /// <summary>pci_scan_child_bus(): scans every slot, then the bridges (firmware-numbered first, then unnumbered).</summary>
    private int ScanChildBus(PciBus bus)
    {
        int max = bus.Number;
        for (int devfn = 0; devfn < 256; devfn += 8)
        {
            ScanSlot(bus, devfn);
        }

        for (int pass = 0; pass < 2; pass++)
        {
            foreach (PciDevice dev in bus.Devices.ToArray())
            {
                if (dev.IsBridge)
                {
                    max = ScanBridge(bus, dev, max, pass);
                }
            }
        }

        return max;
    }

    /// <summary>pci_scan_slot(): function 0 is required; more functions only for a multi-function device.</summary>
    private void ScanSlot(PciBus bus, int devfn)
    {
        if (OnlyOneChild(bus) && devfn > 0)
        {
            return;
        }

        int fn = 0;
        do
        {
            PciDevice? dev = ScanDevice(bus, devfn + fn);
            if (dev is not null)
            {
                if (fn > 0)
                {
                    dev.IsMultifunction = true;
                }
            }
            else if (fn == 0)
            {
                break;
            }

            // next_fn(): only a multi-function device has functions 1-7.
            fn = fn >= 7 || (dev is not null && !dev.IsMultifunction) ? -1 : fn + 1;
        }
        while (fn >= 0);
    }

    /// <summary>only_one_child(): the link below a root port, downstream port or PCI-to-PCIe bridge has device 0 only.</summary>
    private static bool OnlyOneChild(PciBus bus)
    {
        PciDevice? bridge = bus.Self;
        return bridge is not null && bridge.IsPcie
            && bridge.PcieType is PciExpType.RootPort or PciExpType.Downstream or PciExpType.PcieBridge;
    }

    /// <summary>pci_scan_device() + pci_setup_device() + pci_device_add().</summary>
    private PciDevice? ScanDevice(PciBus bus, int devfn)
    {
        Config.Read(bus.Number, devfn, PCI_VENDOR_ID, 4, out uint l);
        if (l is 0xFFFFFFFF or 0x00000000 or 0x0000FFFF or 0xFFFF0000)
        {
            return null;
        }

        var dev = new PciDevice(bus, (byte)devfn, $"{Segment:x4}:{bus.Number:x2}:{PCI_SLOT(devfn):x2}.{PCI_FUNC(devfn)}")
        {
            Vendor = (ushort)l,
            DeviceId = (ushort)(l >> 16),
        };

        // pci_setup_device()
        byte hdrType = dev.ReadConfig8(PCI_HEADER_TYPE);
        dev.HdrType = (byte)(hdrType & PCI_HEADER_TYPE_MASK);
        dev.IsMultifunction = (hdrType & PCI_HEADER_TYPE_MFD) != 0;
        int pcie = dev.FindCapability(PCI_CAP_ID_EXP);
        if (pcie != 0)
        {
            dev.PcieCap = pcie;
            dev.PcieFlagsReg = dev.ReadConfig16(pcie + PCI_EXP_FLAGS);
        }

        dev.CfgSize = CfgSpaceSize(dev);
        uint classRev = dev.ReadConfig32(PCI_CLASS_REVISION);
        dev.Revision = (byte)classRev;
        dev.Class = classRev >> 8;
        Log.DevPrint(KernelLogLevel.Info, dev, $"[{dev.Vendor:x4}:{dev.DeviceId:x4}] type {dev.HdrType:x2} class 0x{dev.Class:x6} {TypeString(dev)}");

        dev.ExternalFacing = Options.ExternalFacingPorts.Contains(dev.Rid)
            && dev.IsPcie && dev.PcieType is PciExpType.RootPort or PciExpType.Downstream;

        // set_pcie_untrusted(): below an external-facing port, or below an untrusted bridge.
        PciDevice? parent = dev.UpstreamBridge;
        dev.Untrusted = parent is not null && (parent.Untrusted || parent.ExternalFacing);

        PciQuirks.FixupHeader(dev);

        // pci_device_add() -> pci_init_capabilities() -> pci_acs_init()
        bus.AddDevice(dev);
        dev.AcsCap = dev.FindExtCapability(PCI_EXT_CAP_ID_ACS);
        EnableAcs(dev);
        _devices.Add(dev);
        return dev;
    }

    /// <summary>pci_cfg_space_size(): 4096 for PCI Express functions whose offset 100h decodes.</summary>
    private static int CfgSpaceSize(PciDevice dev)
    {
        if (!dev.IsPcie)
        {
            return PCI_CFG_SPACE_SIZE;
        }

        uint status = dev.ReadConfig32(PCI_CFG_SPACE_SIZE);
        return status == 0xFFFFFFFF ? PCI_CFG_SPACE_SIZE : PCI_CFG_SPACE_EXP_SIZE;
    }

    /// <summary>
    /// pci_enable_acs(): with an IOMMU present (pci_acs_enable), turn on every isolation feature the
    /// capability implements (pci_std_enable_acs): SV, RR, CR, UF, and TB for external-facing or
    /// untrusted devices or with ATS disabled. Otherwise the firmware setting stays.
    /// </summary>
    private void EnableAcs(PciDevice dev)
    {
        if (dev.AcsCap == 0)
        {
            return;
        }

        var cap = (PciAcs)dev.ReadConfig16(dev.AcsCap + PCI_ACS_CAP);
        var ctrl = (PciAcs)dev.ReadConfig16(dev.AcsCap + PCI_ACS_CTRL);
        if (Options.AcsEnable)
        {
            ctrl |= cap & (PciAcs.SV | PciAcs.RR | PciAcs.CR | PciAcs.UF);
            if (Options.AtsDisabled || dev.ExternalFacing || dev.Untrusted)
            {
                ctrl |= cap & PciAcs.TB;
            }
        }

        dev.WriteConfig16(dev.AcsCap + PCI_ACS_CTRL, (ushort)ctrl);
    }

    /// <summary>
    /// pci_scan_bridge(): pass 0 descends into bridges firmware numbered; pass 1 numbers the rest
    /// (secondary = max + 1, subordinate = what the scan below found).
    /// </summary>
    private int ScanBridge(PciBus bus, PciDevice dev, int max, int pass)
    {
        uint buses = dev.ReadConfig32(PCI_PRIMARY_BUS);
        int primary = (int)(buses & 0xFF);
        int secondary = (int)((buses >> 8) & 0xFF);
        int subordinate = (int)((buses >> 16) & 0xFF);
        bool valid = secondary > bus.Number && subordinate >= secondary && subordinate <= Config.BusEnd && primary == bus.Number;

        if (valid && dev.Subordinate is null)
        {
            if (pass != 0)
            {
                return max;
            }

            var child = new PciBus(this, bus, dev, secondary) { BusnEnd = subordinate };
            bus.AddChild(child);
            dev.Subordinate = child;
            int cmax = ScanChildBus(child);
            if (cmax > subordinate)
            {
                Log.DevPrint(KernelLogLevel.Warning, dev, $"bridge has subordinate {subordinate:x2} but max busn {cmax:x2}");
            }

            return Math.Max(max, Math.Max(subordinate, cmax));
        }

        if (pass == 0 || dev.Subordinate is not null)
        {
            return max;
        }

        if ((secondary | subordinate) != 0)
        {
            Log.DevPrint(KernelLogLevel.Info, dev, "bridge configuration invalid ([bus " + $"{secondary:x2}-{subordinate:x2}]), reconfiguring");
        }

        if (max + 1 > Config.BusEnd)
        {
            Log.DevPrint(KernelLogLevel.Warning, dev, $"can't allocate child bus {max + 1:x2} from [bus {Config.BusStart:x2}-{Config.BusEnd:x2}]");
            return max;
        }

        int newSecondary = max + 1;
        buses = (buses & 0xFF00_0000) | (uint)bus.Number | ((uint)newSecondary << 8) | (0xFFu << 16);
        dev.WriteConfig32(PCI_PRIMARY_BUS, buses);
        var newChild = new PciBus(this, bus, dev, newSecondary);
        bus.AddChild(newChild);
        dev.Subordinate = newChild;
        max = ScanChildBus(newChild);
        newChild.BusnEnd = max;
        dev.WriteConfig8(PCI_SUBORDINATE_BUS, (byte)max);
        return max;
    }

    /// <summary>pci_type_str().</summary>
    private static string TypeString(PciDevice dev)
    {
        if (!dev.IsPcie)
        {
            return dev.HdrType switch
            {
                PCI_HEADER_TYPE_NORMAL => "conventional PCI endpoint",
                PCI_HEADER_TYPE_BRIDGE => "conventional PCI bridge",
                _ => "conventional PCI",
            };
        }

        return dev.PcieType switch
        {
            PciExpType.Endpoint => "PCIe Endpoint",
            PciExpType.LegEnd => "PCIe Legacy Endpoint",
            PciExpType.RootPort => "PCIe Root Port",
            PciExpType.Upstream => "PCIe Switch Upstream Port",
            PciExpType.Downstream => "PCIe Switch Downstream Port",
            PciExpType.PciBridge => "PCIe to PCI/PCI-X bridge",
            PciExpType.PcieBridge => "PCI/PCI-X to PCIe bridge",
            PciExpType.RcEnd => "PCIe Root Complex Integrated Endpoint",
            PciExpType.RcEc => "PCIe Root Complex Event Collector",
            _ => "PCIe unknown",
        };
    }
}
