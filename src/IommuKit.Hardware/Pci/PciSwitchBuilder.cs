namespace IommuKit.Hardware.Pci;

/// <summary>A PCI Express switch added by <see cref="PciBusBuilder.AddSwitch"/>: its upstream port and downstream ports.</summary>
public sealed class PciSwitchBuilder
{
    internal PciSwitchBuilder(PciFunctionBuilder upstreamPort, IReadOnlyList<PciFunctionBuilder> downstreamPorts)
    {
        UpstreamPort = upstreamPort;
        DownstreamPorts = downstreamPorts;
    }

    public PciFunctionBuilder UpstreamPort { get; }

    public IReadOnlyList<PciFunctionBuilder> DownstreamPorts { get; }
}
