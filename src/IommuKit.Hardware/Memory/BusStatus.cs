namespace IommuKit.Hardware.Memory;

/// <summary>
/// The response of the interconnect to an access, as an AXI slave would return it. A bus error is
/// a value the requester sees (a device aborts its DMA, a walker records an external abort), never
/// an exception.
/// </summary>
public enum BusStatus : byte
{
    /// <summary>The access completed.</summary>
    Ok = 0,

    /// <summary>No RAM or MMIO region decodes the address (AXI DECERR).</summary>
    DecodeError = 1,

    /// <summary>A region decoded the address but refused the access, e.g. an unsupported MMIO width (AXI SLVERR).</summary>
    SlaveError = 2,
}
