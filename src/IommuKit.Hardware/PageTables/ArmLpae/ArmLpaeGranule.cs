namespace IommuKit.Hardware.PageTables.ArmLpae;

/// <summary>
/// A translation granule as a type, so that hot table code is compiled once per granule with its
/// shift, index width and masks as constants (a struct type argument is specialised by the JIT).
/// </summary>
internal interface IArmLpaeGranule
{
    /// <summary>log2 of the granule: 12, 14 or 16.</summary>
    static abstract int Shift { get; }
}

/// <summary>The 4 KiB granule.</summary>
internal readonly struct ArmLpaeGranule4K : IArmLpaeGranule
{
    public static int Shift => 12;
}

/// <summary>The 16 KiB granule.</summary>
internal readonly struct ArmLpaeGranule16K : IArmLpaeGranule
{
    public static int Shift => 14;
}

/// <summary>The 64 KiB granule.</summary>
internal readonly struct ArmLpaeGranule64K : IArmLpaeGranule
{
    public static int Shift => 16;
}
