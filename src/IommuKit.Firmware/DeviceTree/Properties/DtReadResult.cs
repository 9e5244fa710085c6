namespace IommuKit.Firmware.DeviceTree.Properties;

/// <summary>Outcome of reading a typed value from a property.</summary>
public enum DtReadResult
{
    /// <summary>The node has no such property.</summary>
    Absent,

    /// <summary>The property was present and well formed; the value was read.</summary>
    Ok,

    /// <summary>The property was present but its value has the wrong length or form.</summary>
    Malformed,
}
