namespace IommuKit.Hardware.Pci;

/// <summary>A function added to a <see cref="PciBusBuilder"/>; a bridge's <see cref="Secondary"/> bus takes the functions below it.</summary>
public sealed class PciFunctionBuilder
{
    private readonly PciBusBuilder? _secondary;

    internal PciFunctionBuilder(PciTopologyBuilder owner, PciFunctionKind kind, int device, int function, PciFunctionSpec spec, bool externalFacing)
    {
        Kind = kind;
        Device = device;
        Function = function;
        Spec = spec;
        ExternalFacing = externalFacing;
        bool bridge = kind is PciFunctionKind.RootPort or PciFunctionKind.SwitchUpstreamPort or PciFunctionKind.SwitchDownstreamPort
            or PciFunctionKind.PcieToPciBridge or PciFunctionKind.ConventionalBridge;
        _secondary = bridge ? new PciBusBuilder(owner, this) : null;
    }

    public PciFunctionKind Kind { get; }

    public int Device { get; }

    public int Function { get; }

    public PciFunctionSpec Spec { get; }

    public bool ExternalFacing { get; }

    /// <summary>The bridge's secondary bus.</summary>
    public PciBusBuilder Secondary => _secondary ?? throw new InvalidOperationException($"A {Kind} has no secondary bus.");
}
