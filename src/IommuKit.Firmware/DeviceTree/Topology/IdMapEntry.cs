namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>
/// One 4-cell entry of an <c>iommu-map</c> or <c>msi-map</c>: input IDs
/// [<see cref="IdBase"/>, <see cref="IdBase"/> + <see cref="Length"/>) map to
/// <see cref="OutputBase"/> onwards on the node with phandle <see cref="Phandle"/>.
/// </summary>
/// <param name="IdBase">First input ID (after masking) the entry covers (rid-base).</param>
/// <param name="Phandle">Phandle of the target IOMMU or MSI controller.</param>
/// <param name="OutputBase">Output ID (StreamID, endpoint ID, MSI DeviceID) of <see cref="IdBase"/>.</param>
/// <param name="Length">Number of IDs covered; 0 never matches.</param>
/// <param name="Target">The node with that phandle, or null when the phandle dangles.</param>
public readonly record struct IdMapEntry(uint IdBase, uint Phandle, uint OutputBase, uint Length, DtNode? Target)
{
    /// <summary>
    /// True when the masked input ID falls in the entry, with Linux's 32-bit arithmetic: the end
    /// <c>IdBase + Length</c> wraps, so an entry reaching past 2^32 never matches.
    /// </summary>
    public bool Covers(uint maskedId) => maskedId >= IdBase && maskedId < unchecked(IdBase + Length);
}
