namespace IommuKit.Hardware.Pci;

/// <summary>
/// Composes a PCI Express hierarchy in code: host bridge, root ports, switches, PCIe-to-PCI
/// bridges and endpoints (multi-function included), with ACS per port and external-facing ports.
/// <see cref="Build"/> creates the functions, sets the multi-function bits, and (as firmware
/// does) assigns bus numbers depth-first, so the result is ready for an OS to enumerate.
/// </summary>
/// <example>
/// <code>
/// var b = new PciTopologyBuilder();
/// b.RootBus.AddHostBridge(0);
/// PciFunctionBuilder rp = b.RootBus.AddRootPort(1, acs: PciAcsFlags.Isolation);
/// PciSwitchBuilder sw = rp.Secondary.AddSwitch(downstreamPorts: 2);
/// sw.DownstreamPorts[0].Secondary.AddEndpoint(0);
/// PciRootComplex root = b.Build();
/// </code>
/// </example>
public sealed class PciTopologyBuilder
{
    private bool _built;

    /// <summary>A root complex for <paramref name="segment"/> decoding buses <paramref name="busStart"/>–<paramref name="busEnd"/>.</summary>
    public PciTopologyBuilder(int segment = 0, int busStart = 0, int busEnd = 255)
    {
        if (segment is < 0 or > 0xFFFF || busStart < 0 || busEnd > 255 || busEnd < busStart)
        {
            throw new ArgumentOutOfRangeException(nameof(busEnd), "Bus range must lie within 0-255 and segment within 0-65535.");
        }

        Segment = segment;
        BusStart = busStart;
        BusEnd = busEnd;
        RootBus = new PciBusBuilder(this, null);
    }

    public int Segment { get; }

    public int BusStart { get; }

    public int BusEnd { get; }

    /// <summary>The root bus (bus <see cref="BusStart"/>).</summary>
    public PciBusBuilder RootBus { get; }

    /// <summary>
    /// Creates the topology. With <paramref name="assignBusNumbers"/> (the default) bridges get
    /// firmware-style bus numbers, depth-first in device order; without it every bridge comes out
    /// of reset with zero bus numbers and forwards nothing until software programs it.
    /// </summary>
    public PciRootComplex Build(bool assignBusNumbers = true)
    {
        if (_built)
        {
            throw new InvalidOperationException("Build may be called once.");
        }

        _built = true;
        var rootFunctions = new List<PciFunction>();
        var root = new PciRootComplex(Segment, BusStart, BusEnd, rootFunctions);
        RootBus.Create(root, null, rootFunctions);
        if (assignBusNumbers)
        {
            int next = BusStart;
            foreach (PciFunction f in rootFunctions)
            {
                if (f.IsBridge)
                {
                    next = Assign(f, BusStart, next);
                }
            }
        }

        return root;
    }

    private int Assign(PciFunction bridge, int primary, int last)
    {
        int secondary = last + 1;
        if (secondary > BusEnd)
        {
            throw new InvalidOperationException($"The topology needs more buses than {BusStart}-{BusEnd}.");
        }

        bridge.Config.Write(PciConfigRegisters.PrimaryBusNumber, 1, (uint)primary);
        bridge.Config.Write(PciConfigRegisters.SecondaryBusNumber, 1, (uint)secondary);
        bridge.Config.Write(PciConfigRegisters.SubordinateBusNumber, 1, (uint)BusEnd);
        int max = secondary;
        foreach (PciFunction child in bridge.Children)
        {
            if (child.IsBridge)
            {
                max = Assign(child, secondary, max);
            }
        }

        bridge.Config.Write(PciConfigRegisters.SubordinateBusNumber, 1, (uint)max);
        return max;
    }
}
