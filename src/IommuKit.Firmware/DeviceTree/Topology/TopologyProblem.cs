namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>One problem found while resolving the IOMMU topology.</summary>
/// <param name="Severity">How serious it is.</param>
/// <param name="Code">What kind of problem.</param>
/// <param name="Path">The node it concerns.</param>
/// <param name="Message">A sentence for people.</param>
public sealed record TopologyProblem(ProblemSeverity Severity, TopologyProblemCode Code, string Path, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Severity.ToString().ToLowerInvariant()}: {Path}: {Message}";
}
