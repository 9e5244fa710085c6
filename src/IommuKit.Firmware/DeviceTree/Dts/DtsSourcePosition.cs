namespace IommuKit.Firmware.DeviceTree.Dts;

/// <summary>A position in devicetree source: file name (as line markers give it), 1-based line and byte column.</summary>
internal readonly record struct DtsSourcePosition(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}
