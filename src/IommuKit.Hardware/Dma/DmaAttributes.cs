namespace IommuKit.Hardware.Dma;

/// <summary>
/// Per-transaction attributes a master attaches to a DMA: whether it snoops the CPU caches
/// (a coherent device does; a non-coherent device, or a PCIe TLP with the No-Snoop bit, does not),
/// privilege, instruction fetch, and an optional substream (PASID / SSID).
/// </summary>
public readonly record struct DmaAttributes
{
    /// <summary>The transaction does not snoop CPU caches (non-coherent master or PCIe No-Snoop).</summary>
    public bool NoSnoop { get; init; }

    /// <summary>A privileged access (Arm AxPROT[0]; PCIe PASID prefix "Privileged Mode Requested").</summary>
    public bool Privileged { get; init; }

    /// <summary>An instruction fetch (Arm AxPROT[2]; PCIe "Execute Requested").</summary>
    public bool Instruction { get; init; }

    /// <summary>True if <see cref="SubstreamId"/> is valid (Arm SSV; PCIe PASID prefix present).</summary>
    public bool SubstreamValid { get; init; }

    /// <summary>Substream ID / PASID, meaningful when <see cref="SubstreamValid"/>.</summary>
    public uint SubstreamId { get; init; }

    /// <summary>A plain, unprivileged, snooping data access without substream.</summary>
    public static DmaAttributes Coherent => default;

    /// <summary>A plain data access that does not snoop CPU caches.</summary>
    public static DmaAttributes NonCoherent => new() { NoSnoop = true };
}
