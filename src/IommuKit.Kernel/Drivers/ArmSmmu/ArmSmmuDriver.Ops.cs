using IommuKit.Hardware.PageTables;
using IommuKit.Kernel.Base;
using IommuKit.Kernel.Iommu;

namespace IommuKit.Kernel.Drivers.ArmSmmu;

public sealed partial class ArmSmmuDriver
{
    /// <summary>MSI_IOVA_BASE: the software-managed MSI window arm-smmu reserves.</summary>
    public const ulong MsiIovaBase = 0x800_0000;

    /// <summary>MSI_IOVA_LENGTH.</summary>
    public const ulong MsiIovaLength = 0x10_0000;

    /// <summary>
    /// arm_smmu_capable(). IOMMU_CAP_CACHE_COHERENCY follows <see cref="ArmSmmuOptions.CacheCoherencyProfile"/>:
    /// always; coherent walk only; or coherent walk or the device itself DMA-coherent. NOEXEC and
    /// DEFERRED_FLUSH are true (the driver flushes nothing in unmap beyond posting TLBIs, and has
    /// flush_iotlb_all; the DEFERRED_FLUSH cap itself only exists from ~v6.5 but describes what
    /// every profile's driver does); everything else is false.
    /// </summary>
    public bool Capable(Device dev, IommuCap cap)
    {
        ArgumentNullException.ThrowIfNull(dev);
        switch (cap)
        {
            case IommuCap.CacheCoherency:
                bool coherentWalk = (Features & ArmSmmuFeatures.CoherentWalk) != 0;
                return Options.CacheCoherencyProfile switch
                {
                    ArmSmmuCacheCoherencyProfile.AlwaysTrue => true,
                    ArmSmmuCacheCoherencyProfile.CoherentWalk => coherentWalk,
                    _ => coherentWalk || dev.DmaCoherent,
                };
            case IommuCap.NoExec:
            case IommuCap.DeferredFlush:
                return true;
            default:
                return false;
        }
    }

    /// <summary>arm_smmu_def_domain_type(): no preference (implementation hooks such as Qualcomm's are not modelled).</summary>
    public IommuDomainType? DefDomainType(Device dev) => null;

    /// <summary>arm_smmu_get_resv_regions(): the SW_MSI window (write, noexec, MMIO), then the firmware's regions.</summary>
    public void GetResvRegions(Device dev, List<IommuResvRegion> regions)
    {
        ArgumentNullException.ThrowIfNull(regions);
        regions.Add(new IommuResvRegion(MsiIovaBase, MsiIovaLength, IommuProt.Write | IommuProt.NoExec | IommuProt.Mmio, IommuResvType.SwMsi));
        if (Options.FirmwareResvRegions?.Invoke(dev) is { } more)
        {
            regions.AddRange(more);
        }
    }

    /// <summary>
    /// arm_smmu_domain_alloc_paging(): an empty stage-1 domain with the SMMU's page sizes; it is
    /// finalised (context bank, page table) when first attached.
    /// </summary>
    public Errno DomainAllocPaging(Device dev, out IommuDomain? domain)
    {
        ArgumentNullException.ThrowIfNull(dev);
        var ops = new ArmSmmuDomain(this);
        domain = new IommuDomain(ops) { PgsizeBitmap = PgsizeBitmap };
        return Errno.Ok;
    }
}
