namespace IommuKit.Hardware.Pci;

/// <summary>
/// One bus of a topology under construction: the root bus, the link below a root port or switch
/// downstream port (device 0 only), a switch's internal bus, or a conventional PCI bus below a
/// PCIe-to-PCI bridge. The Add methods check that the function may sit there.
/// </summary>
public sealed class PciBusBuilder
{
    private readonly PciTopologyBuilder _owner;
    private readonly List<PciFunctionBuilder> _functions = [];

    internal PciBusBuilder(PciTopologyBuilder owner, PciFunctionBuilder? bridge)
    {
        _owner = owner;
        Bridge = bridge;
    }

    /// <summary>The bridge whose secondary bus this is; null for the root bus.</summary>
    public PciFunctionBuilder? Bridge { get; }

    /// <summary>Functions added so far.</summary>
    public IReadOnlyList<PciFunctionBuilder> Functions => _functions;

    private bool IsRoot => Bridge is null;

    private bool IsLink => Bridge?.Kind is PciFunctionKind.RootPort or PciFunctionKind.SwitchDownstreamPort;

    private bool IsSwitchInternal => Bridge?.Kind == PciFunctionKind.SwitchUpstreamPort;

    private bool IsConventional => Bridge?.Kind is PciFunctionKind.PcieToPciBridge or PciFunctionKind.ConventionalBridge;

    /// <summary>Adds a host bridge function (class 0600h) to the root bus.</summary>
    public PciFunctionBuilder AddHostBridge(int device = 0, int function = 0, PciFunctionSpec? spec = null)
    {
        Require(IsRoot, "A host bridge sits on the root bus.");
        return Add(PciFunctionKind.HostBridge, device, function, spec ?? new PciFunctionSpec { DeviceId = 0x0008 }, false);
    }

    /// <summary>
    /// Adds an endpoint: a Root Complex Integrated Endpoint on the root bus, a PCI Express Endpoint
    /// on a link, or a conventional PCI device on a conventional bus.
    /// </summary>
    public PciFunctionBuilder AddEndpoint(int device, int function = 0, PciFunctionSpec? spec = null)
    {
        Require(!IsSwitchInternal, "A switch's internal bus holds only downstream ports.");
        PciFunctionKind kind = IsRoot ? PciFunctionKind.RootComplexIntegratedEndpoint
            : IsConventional ? PciFunctionKind.ConventionalEndpoint
            : PciFunctionKind.Endpoint;
        return Add(kind, device, function, spec ?? new PciFunctionSpec(), false);
    }

    /// <summary>Adds a conventional PCI device (no PCI Express capability) to the root bus or a conventional bus.</summary>
    public PciFunctionBuilder AddPciDevice(int device, int function = 0, PciFunctionSpec? spec = null)
    {
        Require(IsRoot || IsConventional, "Conventional PCI devices sit on the root bus or below a PCIe-to-PCI bridge.");
        return Add(PciFunctionKind.ConventionalEndpoint, device, function, spec ?? new PciFunctionSpec(), false);
    }

    /// <summary>
    /// Adds a root port to the root bus. <paramref name="acs"/> is what its ACS capability
    /// advertises (null: no ACS capability); <paramref name="externalFacing"/> marks it as firmware
    /// would for a Thunderbolt/USB4 or hot-plug port whose devices are untrusted.
    /// </summary>
    public PciFunctionBuilder AddRootPort(int device, int function = 0, PciAcsFlags? acs = PciAcsFlags.Isolation, bool externalFacing = false, PciFunctionSpec? spec = null)
    {
        Require(IsRoot, "Root ports sit on the root bus.");
        spec ??= new PciFunctionSpec { DeviceId = 0x000c };
        return Add(PciFunctionKind.RootPort, device, function, spec with { Acs = acs }, externalFacing);
    }

    /// <summary>
    /// Adds a switch below a root port or downstream port: an upstream port at device 0 whose
    /// internal bus holds <paramref name="downstreamPorts"/> downstream ports at devices 0..n-1,
    /// each advertising <paramref name="acs"/>.
    /// </summary>
    public PciSwitchBuilder AddSwitch(int downstreamPorts, PciAcsFlags? acs = PciAcsFlags.Isolation, bool externalFacingDownstreamPorts = false)
    {
        Require(IsLink, "A switch's upstream port sits on the link below a root port or downstream port.");
        if (downstreamPorts is < 1 or > 32)
        {
            throw new ArgumentOutOfRangeException(nameof(downstreamPorts), downstreamPorts, "A switch has 1 to 32 downstream ports.");
        }

        PciFunctionBuilder up = Add(PciFunctionKind.SwitchUpstreamPort, 0, 0, new PciFunctionSpec { VendorId = 0x104c, DeviceId = 0x8232 }, false);
        var ports = new List<PciFunctionBuilder>();
        for (int i = 0; i < downstreamPorts; i++)
        {
            ports.Add(up.Secondary.Add(
                PciFunctionKind.SwitchDownstreamPort,
                i,
                0,
                new PciFunctionSpec { VendorId = 0x104c, DeviceId = 0x8233, Acs = acs },
                externalFacingDownstreamPorts));
        }

        return new PciSwitchBuilder(up, ports);
    }

    /// <summary>Adds a PCI Express to PCI/PCI-X bridge on a link (or, as an integrated bridge, on the root bus).</summary>
    public PciFunctionBuilder AddPcieToPciBridge(int device = 0, int function = 0, PciFunctionSpec? spec = null)
    {
        Require(IsLink || IsRoot, "A PCIe-to-PCI bridge sits on a link or on the root bus.");
        return Add(PciFunctionKind.PcieToPciBridge, device, function, spec ?? new PciFunctionSpec { DeviceId = 0x000e }, false);
    }

    /// <summary>Adds a conventional PCI-to-PCI bridge on a conventional bus.</summary>
    public PciFunctionBuilder AddPciBridge(int device, int function = 0, PciFunctionSpec? spec = null)
    {
        Require(IsConventional, "A conventional PCI-to-PCI bridge sits on a conventional bus.");
        return Add(PciFunctionKind.ConventionalBridge, device, function, spec ?? new PciFunctionSpec { DeviceId = 0x0001 }, false);
    }

    internal PciFunctionBuilder Add(PciFunctionKind kind, int device, int function, PciFunctionSpec spec, bool externalFacing)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (device is < 0 or > 31)
        {
            throw new ArgumentOutOfRangeException(nameof(device), device, "Device numbers are 0-31.");
        }

        if (function is < 0 or > 7)
        {
            throw new ArgumentOutOfRangeException(nameof(function), function, "Function numbers are 0-7.");
        }

        Require(!IsLink || device == 0, "A PCI Express link carries device 0 only.");
        Require(!externalFacing || kind is PciFunctionKind.RootPort or PciFunctionKind.SwitchDownstreamPort, "Only root ports and downstream ports can be external facing.");
        if (spec.DmaSourceFunction is int f && (f is < 0 or > 7))
        {
            throw new ArgumentOutOfRangeException(nameof(spec), f, "DmaSourceFunction must be 0-7.");
        }

        foreach (PciFunctionBuilder existing in _functions)
        {
            if (existing.Device == device && existing.Function == function)
            {
                throw new InvalidOperationException($"Device {device} function {function} is already present on this bus.");
            }
        }

        var fb = new PciFunctionBuilder(_owner, kind, device, function, spec, externalFacing);
        _functions.Add(fb);
        return fb;
    }

    /// <summary>Creates this bus's functions (and, recursively, everything below its bridges).</summary>
    internal void Create(PciRootComplex root, PciFunction? parent, List<PciFunction>? rootList)
    {
        foreach (PciFunctionBuilder fb in _functions.OrderBy(f => (f.Device << 3) | f.Function))
        {
            int inSlot = _functions.Count(o => o.Device == fb.Device);
            if (!_functions.Any(o => o.Device == fb.Device && o.Function == 0))
            {
                throw new InvalidOperationException($"Device {fb.Device} has functions but no function 0.");
            }

            bool multi = fb.Spec.MultiFunction ?? inSlot > 1;
            var f = new PciFunction(fb.Kind, fb.Device, fb.Function, fb.Spec, fb.ExternalFacing, multi);
            f.Attach(root, parent);
            rootList?.Add(f);
            if (f.IsBridge)
            {
                fb.Secondary.Create(root, f, null);
            }
        }
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }
}
