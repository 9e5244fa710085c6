namespace IommuKit.Hardware.Dma;

/// <summary>How a DMA transaction ended, as the issuing device sees it.</summary>
public enum DmaStatus : byte
{
    /// <summary>The transaction completed.</summary>
    Ok = 0,

    /// <summary>The IOMMU refused it (translation, permission, access-flag, address-size or configuration fault) and aborted it.</summary>
    Fault = 1,

    /// <summary>The transaction reached the interconnect but no region decoded the (output) address, or a slave refused it.</summary>
    BusError = 2,
}
