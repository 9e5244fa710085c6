namespace IommuKit.Hardware.Pci;

/// <summary>
/// Identity and optional features of a function a topology builder adds. Defaults are QEMU-like
/// identifiers; a null <see cref="Acs"/> means the function has no ACS Extended Capability.
/// </summary>
public sealed record PciFunctionSpec
{
    public ushort VendorId { get; init; } = 0x1b36;

    public ushort DeviceId { get; init; } = 0x0010;

    /// <summary>24-bit class code (base class, sub-class, programming interface).</summary>
    public uint ClassCode { get; init; } = 0x010802;

    public byte RevisionId { get; init; }

    /// <summary>ACS features the ACS Capability register advertises; null: no ACS capability.</summary>
    public PciAcsFlags? Acs { get; init; }

    /// <summary>ACS Control bits already enabled at reset (as firmware left them); masked by <see cref="Acs"/>.</summary>
    public PciAcsFlags AcsEnabledAtReset { get; init; }

    /// <summary>
    /// Header Type bit 7. Null: set when the slot holds more than one function. True on a lone
    /// function models a device that sets the bit with only function 0 implemented.
    /// </summary>
    public bool? MultiFunction { get; init; }

    /// <summary>
    /// Function number this function wrongly puts in the Requester ID of its DMA (a hardware defect
    /// that vendors' quirk lists cover); null: its own.
    /// </summary>
    public int? DmaSourceFunction { get; init; }
}
