using IommuKit.Kernel.Base;
using IommuKit.Kernel.Printk;
using static IommuKit.Kernel.Pci.PciRegs;

namespace IommuKit.Kernel.Pci;

/// <summary>
/// A PCI function as the kernel sees it (struct pci_dev), built by enumeration from ECAM reads
/// only. Carries the facts the IOMMU core uses: location and requester ID, multi-function,
/// PCI Express type, the upstream bridge, ACS capability, DMA aliases, and trust.
/// </summary>
public sealed class PciDevice : Device
{
    private ulong[]? _dmaAliasMask;

    internal PciDevice(PciBus bus, byte devfn, string name)
        : base(name, "pci")
    {
        Bus = bus;
        Devfn = devfn;
    }

    /// <summary>The bus the device sits on.</summary>
    public PciBus Bus { get; }

    /// <summary>PCI segment (domain) number.</summary>
    public int Segment => Bus.Host.Segment;

    /// <summary>Device and function number (PCI_DEVFN).</summary>
    public byte Devfn { get; }

    public int Slot => PCI_SLOT(Devfn);

    public int Func => PCI_FUNC(Devfn);

    /// <summary>pci_dev_id(): bus &lt;&lt; 8 | devfn, the requester ID.</summary>
    public ushort Rid => PCI_DEVID(Bus.Number, Devfn);

    public ushort Vendor { get; internal set; }

    public ushort DeviceId { get; internal set; }

    /// <summary>24-bit class code.</summary>
    public uint Class { get; internal set; }

    public byte Revision { get; internal set; }

    /// <summary>Header layout (PCI_HEADER_TYPE with the multi-function bit masked off).</summary>
    public byte HdrType { get; internal set; }

    /// <summary>pdev->multifunction: the header said so, or a function other than 0 was found in the slot.</summary>
    public bool IsMultifunction { get; internal set; }

    /// <summary>Offset of the PCI Express capability; 0 for conventional PCI.</summary>
    public int PcieCap { get; internal set; }

    /// <summary>The PCI Express Capabilities register (pcie_flags_reg).</summary>
    public ushort PcieFlagsReg { get; internal set; }

    /// <summary>pci_is_pcie().</summary>
    public bool IsPcie => PcieCap != 0;

    /// <summary>pci_pcie_type(); meaningful only when <see cref="IsPcie"/>.</summary>
    public PciExpType PcieType => (PciExpType)((PcieFlagsReg & PCI_EXP_FLAGS_TYPE) >> 4);

    /// <summary>Offset of the ACS extended capability (pdev->acs_cap); 0 if absent.</summary>
    public int AcsCap { get; internal set; }

    /// <summary>Size of the configuration space the kernel uses (256 or 4096).</summary>
    public int CfgSize { get; internal set; } = PCI_CFG_SPACE_SIZE;

    /// <summary>The secondary bus of a bridge (pdev->subordinate); null for other devices or an unconfigured bridge.</summary>
    public PciBus? Subordinate { get; internal set; }

    /// <summary>Firmware marks this port as external facing (pdev->external_facing).</summary>
    public bool ExternalFacing { get; internal set; }

    /// <summary>
    /// pdev->untrusted: the device sits below an external-facing port (or an untrusted bridge), so the
    /// IOMMU core forces strict DMA translation for its group.
    /// </summary>
    public bool Untrusted { get; internal set; }

    /// <summary>True for a type 1 header (PCI-to-PCI bridge of any kind).</summary>
    public bool IsBridge => HdrType == PCI_HEADER_TYPE_BRIDGE;

    /// <summary>
    /// pci_upstream_bridge(): the bridge above this device, or null on a root bus.
    /// </summary>
    public PciDevice? UpstreamBridge => Bus.IsRoot ? null : Bus.Self;

    /// <summary>Devfns recorded by quirks as extra DMA sources of this device (pdev->dma_alias_mask).</summary>
    public IEnumerable<int> DmaAliases
    {
        get
        {
            if (_dmaAliasMask is null)
            {
                yield break;
            }

            for (int devfn = 0; devfn < 256; devfn++)
            {
                if (TestAlias(_dmaAliasMask, devfn))
                {
                    yield return devfn;
                }
            }
        }
    }

    public uint ReadConfig32(int where) => ReadConfig(where, 4);

    public ushort ReadConfig16(int where) => (ushort)ReadConfig(where, 2);

    public byte ReadConfig8(int where) => (byte)ReadConfig(where, 1);

    public bool WriteConfig32(int where, uint value) => Bus.Host.Config.Write(Bus.Number, Devfn, where, 4, value);

    public bool WriteConfig16(int where, ushort value) => Bus.Host.Config.Write(Bus.Number, Devfn, where, 2, value);

    public bool WriteConfig8(int where, byte value) => Bus.Host.Config.Write(Bus.Number, Devfn, where, 1, value);

    /// <summary>pci_find_capability(): offset of capability <paramref name="capId"/> in the list, or 0.</summary>
    public int FindCapability(byte capId)
    {
        if ((ReadConfig16(PCI_STATUS) & PCI_STATUS_CAP_LIST) == 0 || HdrType > PCI_HEADER_TYPE_BRIDGE)
        {
            return 0;
        }

        int pos = ReadConfig8(PCI_CAPABILITY_LIST);
        for (int ttl = 48; ttl > 0; ttl--)
        {
            if (pos < 0x40)
            {
                break;
            }

            pos &= ~3;
            ushort ent = ReadConfig16(pos);
            int id = ent & 0xFF;
            if (id == 0xFF)
            {
                break;
            }

            if (id == capId)
            {
                return pos;
            }

            pos = ent >> 8;
        }

        return 0;
    }

    /// <summary>pci_find_ext_capability(): offset of extended capability <paramref name="capId"/>, or 0.</summary>
    public int FindExtCapability(ushort capId)
    {
        if (CfgSize <= PCI_CFG_SPACE_SIZE)
        {
            return 0;
        }

        int pos = PCI_CFG_SPACE_SIZE;
        uint header = ReadConfig32(pos);

        // No extended capabilities: ID, version and next pointer all zero.
        if (header == 0)
        {
            return 0;
        }

        for (int ttl = (PCI_CFG_SPACE_EXP_SIZE - PCI_CFG_SPACE_SIZE) / 8; ttl > 0; ttl--)
        {
            if ((header & 0xFFFF) == capId)
            {
                return pos;
            }

            pos = (int)((header >> 20) & 0xFFC);
            if (pos < PCI_CFG_SPACE_SIZE)
            {
                break;
            }

            header = ReadConfig32(pos);
        }

        return 0;
    }

    /// <summary>
    /// pci_acs_enabled(): are all of <paramref name="acsFlags"/> in effect on this device? Conventional
    /// PCI devices and PCIe/PCI bridges never isolate; root and downstream ports answer from their
    /// ACS registers; endpoints, upstream ports and RCiEPs answer from their registers only when
    /// multi-function, and are otherwise isolated by definition (PCIe r3.0 §6.12.1).
    /// </summary>
    public bool AcsEnabled(PciAcs acsFlags)
    {
        // Conventional PCI and PCI-X share a bus: any device can snoop or receive peer DMA.
        if (!IsPcie)
        {
            return false;
        }

        switch (PcieType)
        {
            case PciExpType.PcieBridge:
            case PciExpType.PciBridge:
            case PciExpType.RcEc:
                return false;
            case PciExpType.Downstream:
            case PciExpType.RootPort:
                return AcsFlagsEnabled(acsFlags);
            case PciExpType.Endpoint:
            case PciExpType.Upstream:
            case PciExpType.LegEnd:
            case PciExpType.RcEnd:
                if (!IsMultifunction)
                {
                    break;
                }

                return AcsFlagsEnabled(acsFlags);
        }

        // Single-function devices other than downstream ports need no ACS (PCIe r3.0 §6.12.1.3).
        return true;
    }

    /// <summary>
    /// pci_acs_path_enabled(): ACS <paramref name="acsFlags"/> is enabled on <paramref name="start"/> and
    /// every bridge above it up to <paramref name="end"/>; with a null <paramref name="end"/> the walk
    /// must reach the root bus.
    /// </summary>
    public static bool AcsPathEnabled(PciDevice start, PciDevice? end, PciAcs acsFlags)
    {
        ArgumentNullException.ThrowIfNull(start);
        PciDevice pdev;
        PciDevice? parent = start;
        do
        {
            pdev = parent!;
            if (!pdev.AcsEnabled(acsFlags))
            {
                return false;
            }

            if (pdev.Bus.IsRoot)
            {
                return end is null;
            }

            parent = pdev.Bus.Self;
        }
        while (pdev != end);

        return true;
    }

    /// <summary>
    /// pci_for_each_dma_alias(): calls <paramref name="fn"/> for every requester ID this device's DMA
    /// can carry on its way to the root: its own, quirk aliases, then each bridge that takes
    /// ownership (a PCIe-to-PCI bridge aliases to its secondary bus, devfn 0; a conventional or
    /// PCI-X-to-PCIe bridge to its own ID). The callback receives the device owning the alias.
    /// A non-zero return stops the walk and is returned.
    /// </summary>
    public int ForEachDmaAlias(Func<PciDevice, ushort, int> fn)
    {
        ArgumentNullException.ThrowIfNull(fn);
        int ret = fn(this, Rid);
        if (ret != 0)
        {
            return ret;
        }

        if (_dmaAliasMask is not null)
        {
            for (int devfn = 0; devfn < 256; devfn++)
            {
                if (TestAlias(_dmaAliasMask, devfn))
                {
                    ret = fn(this, PCI_DEVID(Bus.Number, devfn));
                    if (ret != 0)
                    {
                        return ret;
                    }
                }
            }
        }

        for (PciBus bus = Bus; !bus.IsRoot; bus = bus.Parent!)
        {
            PciDevice? tmp = bus.Self;
            if (tmp is null)
            {
                break;
            }

            if (tmp.IsPcie)
            {
                switch (tmp.PcieType)
                {
                    case PciExpType.RootPort:
                    case PciExpType.Upstream:
                    case PciExpType.Downstream:
                        continue;
                    case PciExpType.PciBridge:
                        ret = fn(tmp, PCI_DEVID(tmp.Subordinate!.Number, PCI_DEVFN(0, 0)));
                        if (ret != 0)
                        {
                            return ret;
                        }

                        continue;
                    case PciExpType.PcieBridge:
                        ret = fn(tmp, tmp.Rid);
                        if (ret != 0)
                        {
                            return ret;
                        }

                        continue;
                }
            }
            else
            {
                ret = fn(tmp, tmp.Rid);
                if (ret != 0)
                {
                    return ret;
                }
            }
        }

        return ret;
    }

    /// <summary>pci_devs_are_dma_aliases(): either device's alias mask names the other (same bus).</summary>
    public static bool DevsAreDmaAliases(PciDevice dev1, PciDevice dev2)
    {
        ArgumentNullException.ThrowIfNull(dev1);
        ArgumentNullException.ThrowIfNull(dev2);
        return (dev1._dmaAliasMask is not null && TestAlias(dev1._dmaAliasMask, dev2.Devfn))
            || (dev2._dmaAliasMask is not null && TestAlias(dev2._dmaAliasMask, dev1.Devfn));
    }

    /// <summary>pci_add_dma_alias(): records <paramref name="count"/> devfns from <paramref name="devfnFrom"/> as DMA aliases.</summary>
    public void AddDmaAlias(int devfnFrom, int count)
    {
        if (devfnFrom < 0 || count < 1 || devfnFrom + count > 256)
        {
            throw new ArgumentOutOfRangeException(nameof(count), "Alias range must lie within devfn 0-255.");
        }

        _dmaAliasMask ??= new ulong[4];
        for (int d = devfnFrom; d < devfnFrom + count; d++)
        {
            _dmaAliasMask[d >> 6] |= 1UL << (d & 63);
        }

        int last = devfnFrom + count - 1;
        Bus.Host.Log.DevPrint(
            KernelLogLevel.Info,
            this,
            count == 1
                ? $"Enabling fixed DMA alias to {PCI_SLOT(devfnFrom):x2}.{PCI_FUNC(devfnFrom)}"
                : $"Enabling fixed DMA alias for devfn range from {PCI_SLOT(devfnFrom):x2}.{PCI_FUNC(devfnFrom)} to {PCI_SLOT(last):x2}.{PCI_FUNC(last)}");
    }

    private uint ReadConfig(int where, int size)
    {
        Bus.Host.Config.Read(Bus.Number, Devfn, where, size, out uint value);
        return value;
    }

    /// <summary>pci_acs_flags_enabled(): capabilities not implemented count as hard-wired on (except Egress Control).</summary>
    private bool AcsFlagsEnabled(PciAcs acsFlags)
    {
        if (AcsCap == 0)
        {
            return false;
        }

        var cap = (PciAcs)ReadConfig16(AcsCap + PCI_ACS_CAP);
        acsFlags &= cap | PciAcs.EC;
        var ctrl = (PciAcs)ReadConfig16(AcsCap + PCI_ACS_CTRL);
        return (ctrl & acsFlags) == acsFlags;
    }

    private static bool TestAlias(ulong[] mask, int devfn) => (mask[devfn >> 6] & (1UL << (devfn & 63))) != 0;
}
