namespace IommuKit.Hardware.Memory;

/// <summary>Configuration of the CPU cache model.</summary>
public sealed record CpuCacheOptions
{
    /// <summary>
    /// Capacity in 64-byte lines. When full, the oldest line is evicted (written back if dirty),
    /// deterministically. The default (1 Mi lines, 64 MiB) keeps data cached long enough for tests
    /// to observe what skipped maintenance does.
    /// </summary>
    public int CapacityLines { get; init; } = 1 << 20;
}
