namespace IommuKit.Hardware.PageTables;

/// <summary>
/// Receives the IOVA ranges a dirty-tracking walk found written by the device (Linux
/// <c>iommu_dirty_bitmap_record</c>); the IOMMU core turns them into the user's bitmap.
/// </summary>
public interface IIommuDirtyRecorder
{
    /// <summary>[<paramref name="iova"/>, +<paramref name="length"/>) was written since the last clear.</summary>
    void Record(ulong iova, ulong length);
}
