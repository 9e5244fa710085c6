using static IommuKit.Hardware.Pci.PciConfigRegisters;

namespace IommuKit.Hardware.Pci;

/// <summary>
/// One PCI function of a modelled topology: its configuration space (type 0 or type 1 header,
/// capability list with the PCI Express capability, optional ACS extended capability) and its
/// place in the hierarchy. Software reaches it only through ECAM (<see cref="PciEcam"/>); the
/// properties here are the model's view for machines and tests.
/// </summary>
public sealed class PciFunction
{
    private readonly List<PciFunction> _children = [];

    internal PciFunction(PciFunctionKind kind, int device, int function, PciFunctionSpec spec, bool externalFacing, bool multiFunction)
    {
        Kind = kind;
        DeviceNumber = device;
        FunctionNumber = function;
        Spec = spec;
        ExternalFacing = externalFacing;
        Config = new PciConfigSpace(IsPcie);
        InitialiseConfig(multiFunction);
    }

    public PciFunctionKind Kind { get; }

    /// <summary>Device number (0–31) on the function's bus.</summary>
    public int DeviceNumber { get; }

    /// <summary>Function number (0–7).</summary>
    public int FunctionNumber { get; }

    /// <summary>Device and function number as one byte (device &lt;&lt; 3 | function).</summary>
    public byte Devfn => (byte)((DeviceNumber << 3) | FunctionNumber);

    public PciFunctionSpec Spec { get; }

    /// <summary>The function's configuration space.</summary>
    public PciConfigSpace Config { get; }

    /// <summary>The bridge whose secondary bus holds this function; null on the root bus.</summary>
    public PciFunction? Parent { get; private set; }

    /// <summary>The root complex this function belongs to.</summary>
    public PciRootComplex Root { get; private set; } = null!;

    /// <summary>Functions on this bridge's secondary bus, in device/function order (empty for non-bridges).</summary>
    public IReadOnlyList<PciFunction> Children => _children;

    /// <summary>
    /// Firmware property of a port: devices below it are reachable from outside the chassis
    /// (ACPI "ExternalFacingPort", Thunderbolt / USB4). Not visible in configuration space.
    /// </summary>
    public bool ExternalFacing { get; }

    /// <summary>True for a type 1 (bridge) header.</summary>
    public bool IsBridge => Kind is PciFunctionKind.RootPort or PciFunctionKind.SwitchUpstreamPort
        or PciFunctionKind.SwitchDownstreamPort or PciFunctionKind.PcieToPciBridge or PciFunctionKind.ConventionalBridge;

    /// <summary>True if the function has a PCI Express capability (and extended configuration space).</summary>
    public bool IsPcie => Kind is not (PciFunctionKind.HostBridge or PciFunctionKind.ConventionalEndpoint or PciFunctionKind.ConventionalBridge);

    /// <summary>The Device/Port Type the PCI Express capability reports; null for conventional functions.</summary>
    public PciExpressPortType? PortType => Kind switch
    {
        PciFunctionKind.Endpoint => PciExpressPortType.Endpoint,
        PciFunctionKind.RootComplexIntegratedEndpoint => PciExpressPortType.RootComplexIntegratedEndpoint,
        PciFunctionKind.RootPort => PciExpressPortType.RootPort,
        PciFunctionKind.SwitchUpstreamPort => PciExpressPortType.UpstreamPort,
        PciFunctionKind.SwitchDownstreamPort => PciExpressPortType.DownstreamPort,
        PciFunctionKind.PcieToPciBridge => PciExpressPortType.PcieToPciBridge,
        _ => null,
    };

    /// <summary>Bus number of the bus this function sits on, as the upstream bridge's registers decode it.</summary>
    public int BusNumber => Parent is null ? Root.BusStart : Parent.SecondaryBus;

    /// <summary>Type 1 Primary Bus Number register.</summary>
    public int PrimaryBus => IsBridge ? (int)Config.Read(PrimaryBusNumber, 1) : 0;

    /// <summary>Type 1 Secondary Bus Number register.</summary>
    public int SecondaryBus => IsBridge ? (int)Config.Read(SecondaryBusNumber, 1) : 0;

    /// <summary>Type 1 Subordinate Bus Number register.</summary>
    public int SubordinateBus => IsBridge ? (int)Config.Read(SubordinateBusNumber, 1) : 0;

    /// <summary>The function's own Requester ID (bus &lt;&lt; 8 | devfn).</summary>
    public ushort RequesterId => (ushort)((BusNumber << 8) | Devfn);

    /// <summary>
    /// The Requester ID the root complex (and so the IOMMU) sees on this function's DMA. A device
    /// with <see cref="PciFunctionSpec.DmaSourceFunction"/> uses that function number. Below a PCI
    /// Express to PCI bridge the bridge takes ownership of conventional transactions and forwards
    /// them with its secondary bus number and device/function 0 (PCIe to PCI/PCI-X Bridge Spec 1.0
    /// §2.3); further bridges upstream of that are PCI Express ports that forward IDs unchanged.
    /// </summary>
    public ushort DmaRequesterId
    {
        get
        {
            int devfn = Spec.DmaSourceFunction is int f ? (DeviceNumber << 3) | f : Devfn;
            ushort rid = (ushort)((BusNumber << 8) | devfn);
            for (PciFunction? bridge = Parent; bridge is not null; bridge = bridge.Parent)
            {
                if (bridge.Kind == PciFunctionKind.PcieToPciBridge)
                {
                    rid = (ushort)(bridge.SecondaryBus << 8);
                }
            }

            return rid;
        }
    }

    /// <summary>"bb:dd.f" with the current bus number.</summary>
    public override string ToString() => $"{BusNumber:x2}:{DeviceNumber:x2}.{FunctionNumber}";

    internal void Attach(PciRootComplex root, PciFunction? parent)
    {
        Root = root;
        Parent = parent;
        parent?._children.Add(this);
    }

    /// <summary>Finds the function at <paramref name="bus"/>/<paramref name="devfn"/> below this bridge by its bus-number registers.</summary>
    internal PciFunction? Route(int bus, int devfn)
    {
        int secondary = SecondaryBus;
        if (secondary == 0 || bus < secondary || bus > SubordinateBus)
        {
            return null;
        }

        if (bus == secondary)
        {
            // A downstream-facing PCI Express port's link carries device 0 only (no ARI modelled):
            // other device numbers complete with Unsupported Request.
            bool link = Kind is PciFunctionKind.RootPort or PciFunctionKind.SwitchDownstreamPort;
            if (link && (devfn >> 3) != 0)
            {
                return null;
            }

            foreach (PciFunction child in _children)
            {
                if (child.Devfn == devfn)
                {
                    return child;
                }
            }

            return null;
        }

        foreach (PciFunction child in _children)
        {
            if (child.IsBridge && child.Route(bus, devfn) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    private void InitialiseConfig(bool multiFunction)
    {
        PciConfigSpace c = Config;
        uint classCode = Kind switch
        {
            PciFunctionKind.HostBridge => ClassHostBridge,
            _ when IsBridge => ClassPciToPciBridge,
            _ => Spec.ClassCode,
        };

        c.SetInitial(VendorID, 2, Spec.VendorId);
        c.SetInitial(DeviceID, 2, Spec.DeviceId);
        c.SetWritable(Command, 2, 0x0547); // I/O, Memory, Bus Master, Parity, SERR#, INTx Disable
        c.SetInitial(RevisionID, 4, (classCode << 8) | Spec.RevisionId);
        c.SetWritable(CacheLineSize, 1, 0xFF);
        byte layout = IsBridge ? HeaderLayoutType1 : HeaderLayoutType0;
        c.SetInitial(HeaderType, 1, (uint)(layout | (multiFunction ? HeaderTypeMultiFunction : 0)));
        c.SetWritable(InterruptLine, 1, 0xFF);

        if (IsBridge)
        {
            c.SetWritable(PrimaryBusNumber, 4, 0x00FF_FFFF); // primary, secondary, subordinate; latency timer RO
            c.SetWritable(0x20, 4, 0xFFF0_FFF0); // Memory Base / Limit
            c.SetWritable(0x24, 4, 0xFFF0_FFF0); // Prefetchable Memory Base / Limit
            c.SetWritable(BridgeControl, 2, 0x0FFF);
        }

        if (IsPcie)
        {
            const int cap = 0x40;
            c.SetInitial(Status, 2, StatusCapabilitiesList);
            c.SetInitial(CapabilitiesPointer, 1, cap);
            c.SetInitial(cap, 1, CapabilityIdPciExpress);
            c.SetInitial(cap + 1, 1, 0); // end of list
            PciExpressPortType type = PortType!.Value;
            bool slot = type is PciExpressPortType.RootPort or PciExpressPortType.DownstreamPort;
            c.SetInitial(cap + PcieCapabilitiesRegister, 2, (uint)(2 | ((int)type << 4) | (slot ? PcieSlotImplemented : 0)));
            c.SetInitial(cap + PcieDeviceCapabilities, 4, 0x0000_0001); // Max_Payload_Size Supported 256 bytes
            c.SetWritable(cap + PcieDeviceControl, 2, 0x7FFF);
            c.SetInitial(cap + PcieDeviceControl, 2, 0x2810); // MRRS 512, MPS 128, Relaxed Ordering, No Snoop enabled
            uint portNumber = (uint)(slot ? DeviceNumber : 0);
            c.SetInitial(cap + PcieLinkCapabilities, 4, (portNumber << 24) | (1u << 4) | 1u); // x1, 2.5 GT/s
            c.SetWritable(cap + PcieLinkControl, 2, 0x0FFB);
            if (slot)
            {
                c.SetWritable(cap + PcieSlotControl, 2, 0x1FFF);
            }

            if (Spec.Acs is PciAcsFlags acs)
            {
                const int ext = ExtendedCapabilitiesStart;
                c.SetInitial(ext, 4, ExtendedCapabilityIdAcs | (1u << 16)); // version 1, last capability
                bool egress = (acs & PciAcsFlags.EC) != 0;
                c.SetInitial(ext + AcsCapabilityRegister, 2, (uint)acs | (egress ? 32u << 8 : 0)); // 32-bit egress vector
                c.SetWritable(ext + AcsControlRegister, 2, (uint)acs);
                c.SetInitial(ext + AcsControlRegister, 2, (uint)(Spec.AcsEnabledAtReset & acs));
                if (egress)
                {
                    c.SetWritable(ext + AcsEgressControlVector, 4, uint.MaxValue);
                }
            }
        }
    }
}
