using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables;
using IommuKit.Kernel.Base;
using IommuKit.Kernel.Iommu;
using IommuKit.Kernel.Pci;
using IommuKit.Kernel.Printk;

namespace IommuKit.Kernel.Drivers.ArmSmmuV3;

/// <summary>
/// The Arm SMMUv3 driver (Linux <c>drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c</c>): it programs
/// one SMMU only through its MMIO registers and the structures it builds in simulated RAM (Stream
/// table, CD tables, Command and Event queues, Arm LPAE page tables), and implements the IOMMU
/// core's <see cref="IIommuOps"/>. Create it, call <see cref="Probe"/> (arm_smmu_device_probe:
/// hardware probe, structure allocation, device reset, iommu_device_register).
/// </summary>
/// <remarks>
/// <para>Not modelled: ATS/PRI, SVA and PASIDs (every master has ssid_bits 0, so CD tables are
/// linear with one CD), nested domains and the iommufd viommu, stall mode, MSIs and
/// MSI-based CMD_SYNC completion (CMD_SYNC uses CS=SEV and CONS polling), E2H/EL2 ASIDs, dirty
/// tracking ops, the hitless STE update search (a valid STE is replaced by V=0, then the new
/// STE, with CFGI_STE + CMD_SYNC after each step), the lock-free command-queue algorithm (one
/// lock serialises submission), ACPI IORT probing.</para>
/// <para>Threading: the command queue, Stream table and ID allocators take locks; map, unmap and
/// iova_to_phys of a domain are lock-free apart from command submission.</para>
/// </remarks>
public sealed partial class ArmSmmuV3Driver : IIommuOps
{
    /// <summary>IOMMU_RESV_SW_MSI base (MSI_IOVA_BASE).</summary>
    public const ulong MsiIovaBase = 0x800_0000;

    /// <summary>MSI_IOVA_LENGTH.</summary>
    public const ulong MsiIovaLength = 0x10_0000;

    private readonly PhysicalMemory _memory;
    private readonly ITablePageAllocator _allocator;
    private readonly IommuSubsystem _subsystem;
    private readonly object _idLock = new();
    private readonly IommuDomain _identity;
    private readonly IommuDomain _blocked;
    private bool[] _asidMap = [];
    private bool[] _vmidMap = [];
    private ulong _pgsizeBitmap;

    /// <summary>A driver for the SMMU described by <paramref name="options"/>, reporting to <paramref name="subsystem"/>.</summary>
    /// <param name="subsystem">The machine's IOMMU core (and its kernel log).</param>
    /// <param name="memory">The physical address space holding the SMMU's registers and RAM.</param>
    /// <param name="allocator">Where queues, tables and page tables are allocated (dma_alloc_coherent / page allocator).</param>
    /// <param name="options">Firmware facts and parameters.</param>
    public ArmSmmuV3Driver(IommuSubsystem subsystem, PhysicalMemory memory, ITablePageAllocator allocator, ArmSmmuV3Options options)
    {
        ArgumentNullException.ThrowIfNull(subsystem);
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(allocator);
        ArgumentNullException.ThrowIfNull(options);
        _subsystem = subsystem;
        _memory = memory;
        _allocator = allocator;
        Options = options;
        _identity = new IommuDomain(new ArmSmmuV3StaticDomain(this, ArmSmmuV3StaticKind.Bypass), IommuDomainType.Identity);
        _blocked = new IommuDomain(new ArmSmmuV3StaticDomain(this, ArmSmmuV3StaticKind.Abort), IommuDomainType.Blocked);
        Instance = new IommuInstance($"smmu3.0x{options.BaseAddress:x16}");
        HwDev = new Device(options.DeviceName) { FwNode = options.FwNode, DriverName = "arm-smmu-v3" };
    }

    public ArmSmmuV3Options Options { get; }

    /// <summary>The registered hardware instance (iommu_device).</summary>
    public IommuInstance Instance { get; }

    /// <summary>The SMMU's own platform device (used in message prefixes).</summary>
    public Device HwDev { get; }

    /// <summary>ARM_SMMU_FEAT_* after probe.</summary>
    public ArmSmmuV3Features Features { get; private set; }

    /// <summary>Input address size (smmu->ias) after probe.</summary>
    public int Ias { get; private set; }

    /// <summary>Output address size (smmu->oas) after probe.</summary>
    public int Oas { get; private set; }

    /// <summary>ASID width in bits (8 or 16).</summary>
    public int AsidBits { get; private set; }

    /// <summary>VMID width in bits (8 or 16).</summary>
    public int VmidBits { get; private set; }

    /// <summary>StreamID width in bits (IDR1.SIDSIZE).</summary>
    public int SidBits { get; private set; }

    /// <summary>SubstreamID width in bits (IDR1.SSIDSIZE).</summary>
    public int SsidBits { get; private set; }

    /// <summary>True once <see cref="Probe"/> succeeded.</summary>
    public bool Probed { get; private set; }

    public string Name => "arm-smmu-v3";

    public ulong PgsizeBitmap => _pgsizeBitmap;

    public IommuDomain? IdentityDomain => _identity;

    public IommuDomain? BlockedDomain => _blocked;

    public IommuDomain? ReleaseDomain => _blocked;

    internal KernelLog Log => _subsystem.Log;

    internal PhysicalMemory Memory => _memory;

    internal ITablePageAllocator Allocator => _allocator;

    /// <summary>
    /// arm_smmu_capable(). CACHE_COHERENCY: FEAT_COHERENCY ("a coherent TCU implies coherent
    /// TBUs"; always true before 2022). NOEXEC and DEFERRED_FLUSH: true. ENFORCE_CACHE_COHERENCY:
    /// the master's CANWBS flag. DIRTY_TRACKING: FEAT_HD and FEAT_COHERENCY.
    /// </summary>
    public bool Capable(Device dev, IommuCap cap)
    {
        ArgumentNullException.ThrowIfNull(dev);
        bool old = Options.KernelProfile == ArmSmmuV3KernelProfile.Before2022;
        return cap switch
        {
            IommuCap.CacheCoherency => old || (Features & ArmSmmuV3Features.Coherency) != 0,
            IommuCap.NoExec => true,
            IommuCap.DeferredFlush => true,
            IommuCap.EnforceCacheCoherency => !old && dev.Iommu?.Priv is ArmSmmuV3Master m && m.Canwbs,
            IommuCap.DirtyTracking => !old && (Features & (ArmSmmuV3Features.Hd | ArmSmmuV3Features.Coherency)) == (ArmSmmuV3Features.Hd | ArmSmmuV3Features.Coherency),
            _ => false,
        };
    }

    /// <summary>
    /// arm_smmu_of_xlate(): adds the one-cell StreamID to the master's fwspec (EINVAL for any
    /// other specifier length).
    /// </summary>
    public Errno OfXlate(Device dev, ReadOnlySpan<uint> args)
    {
        ArgumentNullException.ThrowIfNull(dev);
        return args.Length != 1 ? Errno.EINVAL : _subsystem.FwspecAddIds(dev, args);
    }

    /// <summary>
    /// Firmware glue (of_iommu_configure for a master whose <c>iommus</c>/<c>iommu-map</c> points
    /// at this SMMU): fwspec init with the SMMU's firmware node, then of_xlate for each StreamID.
    /// </summary>
    public Errno ConfigureMaster(Device dev, ReadOnlySpan<uint> streamIds)
    {
        ArgumentNullException.ThrowIfNull(dev);
        Errno ret = _subsystem.FwspecInit(dev, Instance.FwNode ?? throw new InvalidOperationException("The SMMU has no firmware node."));
        for (int i = 0; ret == Errno.Ok && i < streamIds.Length; i++)
        {
            ret = OfXlate(dev, streamIds.Slice(i, 1));
        }

        return ret;
    }

    /// <summary>
    /// arm_smmu_probe_device(): checks every StreamID fits (ERANGE), sets up its level-2 Stream
    /// table if needed (ENOMEM), refuses StreamIDs already in use by another master (EBUSY), and
    /// creates the master.
    /// </summary>
    public Errno ProbeDevice(Device dev, out IommuInstance? iommu)
    {
        ArgumentNullException.ThrowIfNull(dev);
        iommu = null;
        if (!Probed || dev.Iommu?.Fwspec is not { } fwspec || !ReferenceEquals(fwspec.IommuFwnode, Instance.FwNode))
        {
            return Errno.ENODEV;
        }

        var master = new ArmSmmuV3Master(this, dev, [.. fwspec.Ids], Options.Canwbs?.Invoke(dev) ?? false);
        Errno ret = InsertMaster(master);
        if (ret != Errno.Ok)
        {
            return ret;
        }

        dev.Iommu.Priv = master;
        iommu = Instance;
        return Errno.Ok;
    }

    /// <summary>arm_smmu_release_device(): the master's STEs go back to abort (or bypass) and it leaves.</summary>
    public void ReleaseDevice(Device dev)
    {
        ArgumentNullException.ThrowIfNull(dev);
        if (dev.Iommu?.Priv is not ArmSmmuV3Master master)
        {
            return;
        }

        master.Domain?.Detach(master);
        master.Domain = null;
        WriteMasterStes(master, Options.DisableBypass ? MakeAbortSte() : MakeBypassSte());
        RemoveMaster(master);
        master.FreeCdTable();
        dev.Iommu.Priv = null;
    }

    /// <summary>arm_smmu_device_group(): pci_device_group for PCI, generic_device_group otherwise.</summary>
    public Errno DeviceGroup(Device dev, out IommuGroup? group) =>
        dev is PciDevice ? _subsystem.PciDeviceGroup(dev, out group) : _subsystem.GenericDeviceGroup(dev, out group);

    /// <summary>arm_smmu_def_domain_type(): identity for the HiSilicon PTT device, otherwise no preference.</summary>
    public IommuDomainType? DefDomainType(Device dev) =>
        dev is PciDevice { Vendor: 0x19E5, DeviceId: 0xA12E } ? IommuDomainType.Identity : null;

    /// <summary>arm_smmu_get_resv_regions(): the software MSI window, plus firmware regions (IORT RMRs: not modelled).</summary>
    public void GetResvRegions(Device dev, List<IommuResvRegion> regions)
    {
        ArgumentNullException.ThrowIfNull(regions);
        regions.Add(new IommuResvRegion(MsiIovaBase, MsiIovaLength, IommuProt.Write | IommuProt.Mmio, IommuResvType.SwMsi));
    }

    /// <summary>arm_smmu_domain_alloc_paging(): a stage-1 domain if the SMMU supports it, else stage 2.</summary>
    public Errno DomainAllocPaging(Device dev, out IommuDomain? domain)
    {
        ArgumentNullException.ThrowIfNull(dev);
        ArmSmmuV3Stage stage = (Features & ArmSmmuV3Features.TransS1) != 0 ? ArmSmmuV3Stage.S1 : ArmSmmuV3Stage.S2;
        return DomainAllocPaging(dev, stage, out domain);
    }

    /// <summary>
    /// arm_smmu_domain_alloc_paging_flags() with an explicit stage (stage 2 is what iommufd's
    /// NEST_PARENT flag asks for): EOPNOTSUPP if the SMMU lacks the stage, ENOSPC without a free
    /// ASID/VMID, ENOMEM without table memory.
    /// </summary>
    public Errno DomainAllocPaging(Device dev, ArmSmmuV3Stage stage, out IommuDomain? domain)
    {
        ArgumentNullException.ThrowIfNull(dev);
        domain = null;
        if (!Probed)
        {
            return Errno.ENODEV;
        }

        return ArmSmmuV3Domain.TryCreate(this, stage, out domain);
    }

    /// <summary>dev_dbg-free kernel message prefixed like dev_printk for the SMMU device.</summary>
    internal void DevPrint(KernelLogLevel level, string text) => Log.DevPrint(level, HwDev, text);

    internal int AllocAsid() => AllocId(_asidMap);

    internal void FreeAsid(int asid) => FreeId(_asidMap, asid);

    internal int AllocVmid() => AllocId(_vmidMap);

    internal void FreeVmid(int vmid) => FreeId(_vmidMap, vmid);

    private int AllocId(bool[] map)
    {
        lock (_idLock)
        {
            // xa_alloc / ida_alloc_range from 1: ID 0 is reserved.
            for (int i = 1; i < map.Length; i++)
            {
                if (!map[i])
                {
                    map[i] = true;
                    return i;
                }
            }

            return -1;
        }
    }

    private void FreeId(bool[] map, int id)
    {
        lock (_idLock)
        {
            map[id] = false;
        }
    }
}
