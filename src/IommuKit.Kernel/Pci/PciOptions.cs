namespace IommuKit.Kernel.Pci;

/// <summary>
/// Per-machine PCI core settings. <see cref="AcsEnable"/> is Linux's <c>pci_acs_enable</c>: set when an
/// IOMMU driver calls pci_request_acs() before enumeration; false leaves every ACS Control register
/// as firmware programmed it. <see cref="ExternalFacingPorts"/> is what firmware (ACPI
/// "ExternalFacingPort" / a devicetree property) says about ports, by requester ID.
/// </summary>
public sealed record PciOptions
{
    /// <summary>Enable ACS on every function that has the capability (pci_enable_acs), as with an IOMMU present.</summary>
    public bool AcsEnable { get; init; } = true;

    /// <summary><c>pci=noats</c>: ATS disabled, so pci_enable_acs also sets Translation Blocking.</summary>
    public bool AtsDisabled { get; init; }

    /// <summary>Requester IDs (bus &lt;&lt; 8 | devfn) of ports firmware marks as external facing.</summary>
    public IReadOnlySet<ushort> ExternalFacingPorts { get; init; } = new HashSet<ushort>();
}
