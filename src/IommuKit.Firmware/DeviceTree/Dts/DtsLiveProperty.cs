namespace IommuKit.Firmware.DeviceTree.Dts;

/// <summary>
/// A property while the source is compiled (dtc's <c>struct property</c>). A deleted property stays
/// in its node's list as a tombstone: defining it again brings it back at its old place, as in dtc.
/// </summary>
internal sealed class DtsLiveProperty(string name, DtsValue value, DtsSourcePosition position)
{
    private DtsLabelList _labels;

    public string Name { get; } = name;

    public DtsValue Value { get; set; } = value;

    public bool Deleted { get; set; }

    public DtsSourcePosition Position { get; } = position;

    public ref DtsLabelList Labels => ref _labels;

    /// <summary>dtc's <c>delete_property</c>: a tombstone with its labels deleted.</summary>
    public void Delete()
    {
        Deleted = true;
        _labels.DeleteAll();
    }
}
