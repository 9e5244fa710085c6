namespace IommuKit.Firmware.DeviceTree;

/// <summary>
/// A devicetree property: a name and a raw big-endian value (Devicetree Specification v0.4 §2.2.4).
/// For a tree read from a blob, <see cref="Value"/> is a slice of the blob (no copy).
/// </summary>
public sealed class DtProperty
{
    private List<string>? _labels;

    /// <summary>Creates a property with the given name and value.</summary>
    public DtProperty(string name, ReadOnlyMemory<byte> value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        Value = value;
    }

    /// <summary>The property name.</summary>
    public string Name { get; }

    /// <summary>The raw value bytes (big-endian cells, NUL-terminated strings, or bytes).</summary>
    public ReadOnlyMemory<byte> Value { get; set; }

    /// <summary>Value length in bytes.</summary>
    public int Length => Value.Length;

    /// <summary>The node this property belongs to, or null when detached.</summary>
    public DtNode? Node { get; internal set; }

    /// <summary>Labels given to this property in source (<c>lbl: prop = ...;</c>); empty for a blob.</summary>
    public IReadOnlyList<string> Labels => (IReadOnlyList<string>?)_labels ?? [];

    /// <summary>Adds a label; a label already present is not added twice. Returns true if added.</summary>
    public bool AddLabel(string label)
    {
        ArgumentException.ThrowIfNullOrEmpty(label);
        _labels ??= [];
        if (_labels.Contains(label))
        {
            return false;
        }

        _labels.Add(label);
        return true;
    }

    /// <summary>Removes a label. Returns true if it was present.</summary>
    public bool RemoveLabel(string label) => _labels is not null && _labels.Remove(label);

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Value.Length} bytes)";
}
