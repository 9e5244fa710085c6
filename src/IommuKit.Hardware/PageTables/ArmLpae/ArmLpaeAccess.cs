namespace IommuKit.Hardware.PageTables.ArmLpae;

/// <summary>The kind of transaction a walk checks permissions for.</summary>
[Flags]
public enum ArmLpaeAccess
{
    /// <summary>A data read.</summary>
    Read = 0,

    /// <summary>A data write.</summary>
    Write = 1,

    /// <summary>An instruction fetch (a read that also needs execute permission).</summary>
    Execute = 2,

    /// <summary>The transaction is privileged (AxPROT[0]); otherwise unprivileged.</summary>
    Privileged = 4,
}
