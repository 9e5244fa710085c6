namespace IommuKit.Kernel.Pci;

/// <summary>
/// The header fixups the model applies (drivers/pci/quirks.c): devices known to issue DMA with
/// another function's requester ID get that function added to their DMA alias mask
/// (quirk_dma_func0_alias, quirk_dma_func1_alias). Only a few real entries are listed.
/// </summary>
internal static class PciQuirks
{
    private static readonly (ushort Vendor, ushort Device, int AliasFunction)[] DmaAliasQuirks =
    [
        (0x1180, 0xe832, 0), // Ricoh R5C832 (quirk_dma_func0_alias)
        (0x1180, 0xe476, 0), // Ricoh R5CE476
        (0x1b4b, 0x9123, 1), // Marvell 88SE9123 SATA (quirk_dma_func1_alias)
    ];

    /// <summary>Applies the header fixups to a freshly set-up device.</summary>
    public static void FixupHeader(PciDevice dev)
    {
        foreach ((ushort vendor, ushort device, int alias) in DmaAliasQuirks)
        {
            if (dev.Vendor == vendor && dev.DeviceId == device && dev.Func != alias)
            {
                dev.AddDmaAlias(PciRegs.PCI_DEVFN(dev.Slot, alias), 1);
            }
        }
    }
}
