namespace IommuKit.Hardware.Pci;

/// <summary>
/// A PCI Express root complex for one segment: the functions on its root bus and, through the
/// bridges' bus-number registers, everything below them. Configuration requests are routed the
/// way hardware routes them: type 0 on the root bus, otherwise down the bridge whose
/// [secondary, subordinate] range holds the bus, converted to type 0 at the bridge whose
/// secondary bus it is. Built by <see cref="PciTopologyBuilder"/>.
/// </summary>
public sealed class PciRootComplex
{
    private readonly List<PciFunction> _rootFunctions;

    internal PciRootComplex(int segment, int busStart, int busEnd, List<PciFunction> rootFunctions)
    {
        Segment = segment;
        BusStart = busStart;
        BusEnd = busEnd;
        _rootFunctions = rootFunctions;
        Ecam = new PciEcam(this);
    }

    /// <summary>PCI segment (domain) number.</summary>
    public int Segment { get; }

    /// <summary>First bus number the ECAM window decodes; the root bus has this number.</summary>
    public int BusStart { get; }

    /// <summary>Last bus number the ECAM window decodes.</summary>
    public int BusEnd { get; }

    /// <summary>Functions on the root bus.</summary>
    public IReadOnlyList<PciFunction> RootFunctions => _rootFunctions;

    /// <summary>The memory-mapped configuration window (map it with <c>PhysicalMemory.AddMmio</c>).</summary>
    public PciEcam Ecam { get; }

    /// <summary>Size in bytes of the ECAM window: 1 MiB per bus.</summary>
    public ulong EcamSize => (ulong)(BusEnd - BusStart + 1) << 20;

    /// <summary>Every function, parents before their children (depth-first, device/function order).</summary>
    public IEnumerable<PciFunction> AllFunctions
    {
        get
        {
            var stack = new Stack<PciFunction>();
            for (int i = _rootFunctions.Count - 1; i >= 0; i--)
            {
                stack.Push(_rootFunctions[i]);
            }

            while (stack.Count > 0)
            {
                PciFunction f = stack.Pop();
                yield return f;
                for (int i = f.Children.Count - 1; i >= 0; i--)
                {
                    stack.Push(f.Children[i]);
                }
            }
        }
    }

    /// <summary>
    /// Requester IDs of the ports firmware describes as external facing (what a devicetree or
    /// ACPI table would tell the OS), read with the current bus numbers.
    /// </summary>
    public IReadOnlySet<ushort> ExternalFacingPortIds => AllFunctions.Where(f => f.ExternalFacing).Select(f => f.RequesterId).ToHashSet();

    /// <summary>The function a configuration request to bus/devfn reaches, or null (the request completes with all ones).</summary>
    public PciFunction? Find(int bus, int devfn)
    {
        if (bus < BusStart || bus > BusEnd || (uint)devfn > 0xFF)
        {
            return null;
        }

        if (bus == BusStart)
        {
            foreach (PciFunction f in _rootFunctions)
            {
                if (f.Devfn == devfn)
                {
                    return f;
                }
            }

            return null;
        }

        foreach (PciFunction f in _rootFunctions)
        {
            if (f.IsBridge && f.Route(bus, devfn) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>The function at bus/device/function, or null.</summary>
    public PciFunction? Find(int bus, int device, int function) => Find(bus, (device << 3) | function);
}
