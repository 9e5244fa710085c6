namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>How serious a topology problem is.</summary>
public enum ProblemSeverity
{
    /// <summary>Worth knowing; Linux copes.</summary>
    Info,

    /// <summary>Linux copes but the result is probably not what was meant.</summary>
    Warning,

    /// <summary>Linux refuses or fails on this part of the description.</summary>
    Error,
}
