using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables;
using IommuKit.Kernel.Base;
using IommuKit.Kernel.Iommu;
using IommuKit.Kernel.Printk;
using static IommuKit.Kernel.Drivers.ArmSmmu.ArmSmmuRegs;

namespace IommuKit.Kernel.Drivers.ArmSmmu;

/// <summary>
/// The Arm SMMU v1/v2 driver (Linux <c>drivers/iommu/arm/arm-smmu/arm-smmu.c</c>, modelled on a
/// v6.12-era kernel). It programs the SMMU only through its registers (CPU accesses to
/// <see cref="PhysicalMemory"/> at the firmware's base address) and in-memory Arm LPAE page tables,
/// and plugs into the IOMMU core as <see cref="IIommuOps"/>.
/// </summary>
/// <remarks>
/// <para>Covered: probe from the ID registers (arm_smmu_device_cfg_probe, with firmware
/// <c>dma-coherent</c> deciding ARM_SMMU_FEAT_COHERENT_WALK), SMR ID/MASK discovery
/// (arm_smmu_test_smr_masks), reset (arm_smmu_device_reset, MMU-500 sACR/ACTLR), stream mapping
/// (arm_smmu_find_sme rules, refcounted SMEs), groups (masters sharing SMEs share a group; PCI via
/// pci_device_group), context-bank allocation (stage 1 from NUMS2CB up, stage 2 from 0), stage-1
/// and stage-2 domains on the LPAE io-pgtable, static identity and blocked domains, TLB
/// maintenance through the context bank and global TLBI/TLBSYNC registers, iova_to_phys through
/// ATS1PR for stage 1, context and global fault interrupts, reserved regions, capable() with three
/// selectable historical answers for IOMMU_CAP_CACHE_COHERENCY.</para>
/// <para>Not modelled: the AArch32 short-descriptor (v7s) format, ACPI/IORT probing, the legacy
/// <c>mmu-masters</c> binding, implementation quirks other than MMU-500's reset (Qualcomm,
/// NVIDIA, Cavium, Marvell), runtime PM, RMR bypass SMRs, fault handlers installed by domain
/// owners (every context fault is "unhandled"), printk rate limiting.</para>
/// <para>Threading: stream-map changes take the stream-map lock, context-bank allocation the
/// context lock, each domain its init lock; map/unmap/sync are lock-free apart from the
/// per-domain lock Linux also takes around TLBSYNC.</para>
/// </remarks>
public sealed partial class ArmSmmuDriver : IIommuOps
{
    private const int TlbLoopTimeout = 1_000_000;
    private const int TlbSpinCount = 10;
    private const short InvalidSmendx = -1;

    private readonly PhysicalMemory _memory;
    private readonly ITablePageAllocator _tableAllocator;
    private readonly ulong _base;
    private readonly Lock _streamMapLock = new();
    private readonly Lock _contextLock = new();
    private readonly Lock _globalSyncLock = new();
    private readonly IommuDomain _identityDomain;
    private readonly IommuDomain _blockedDomain;

    private ArmSmmuSmr[] _smrs = [];
    private ArmSmmuS2cr[] _s2crs = [];
    private ArmSmmuCb[] _cbs = [];
    private bool[] _contextMap = [];
    private IommuSubsystem? _subsystem;
    private int _irptndxCounter;
    private bool _warnedPrefetcher;

    /// <summary>
    /// A driver instance for the SMMU firmware describes in <paramref name="firmware"/>; page tables
    /// come from <paramref name="tableAllocator"/> in <paramref name="memory"/>. Nothing touches the
    /// hardware until <see cref="Probe"/>.
    /// </summary>
    public ArmSmmuDriver(PhysicalMemory memory, ITablePageAllocator tableAllocator, ArmSmmuFirmware firmware, ArmSmmuOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(tableAllocator);
        ArgumentNullException.ThrowIfNull(firmware);
        _memory = memory;
        _tableAllocator = tableAllocator;
        Firmware = firmware;
        Options = options ?? new ArmSmmuOptions();
        if (Options.ForceStage is not (0 or 1 or 2))
        {
            throw new ArgumentException("ForceStage must be 0, 1 or 2.", nameof(options));
        }

        _base = firmware.BaseAddress;
        FwNode = firmware.FwNode ?? firmware;
        SmmuDevice = new Device(firmware.DeviceName) { FwNode = FwNode, DmaCoherent = firmware.DmaCoherent, DriverName = "arm-smmu" };
        Instance = new IommuInstance($"smmu.0x{firmware.BaseAddress:x16}");
        _identityDomain = new IommuDomain(new ArmSmmuStaticDomain(this, S2crTypeBypass), IommuDomainType.Identity);
        _blockedDomain = new IommuDomain(new ArmSmmuStaticDomain(this, S2crTypeFault), IommuDomainType.Blocked);
    }

    public string Name => "arm-smmu";

    /// <summary>The page sizes the probed SMMU supports (0 before <see cref="Probe"/>).</summary>
    public ulong PgsizeBitmap { get; private set; }

    public IommuDomain? IdentityDomain => _identityDomain;

    public IommuDomain? BlockedDomain => _blockedDomain;

    public ArmSmmuFirmware Firmware { get; }

    public ArmSmmuOptions Options { get; }

    /// <summary>The SMMU's own platform device (messages are printed against it).</summary>
    public Device SmmuDevice { get; }

    /// <summary>The firmware node masters' fwspecs must name.</summary>
    public object FwNode { get; }

    /// <summary>The iommu_device this driver registers ("smmu.0x…").</summary>
    public IommuInstance Instance { get; }

    /// <summary>SMMU architecture version (1 or 2, from firmware).</summary>
    public int Version => Firmware.Version;

    /// <summary>Features found at probe.</summary>
    public ArmSmmuFeatures Features { get; private set; }

    /// <summary>Stream ID bits the SMMU implements (smmu->streamid_mask, refined by the SMR test).</summary>
    public uint StreamIdMask { get; private set; }

    /// <summary>SMR.MASK bits the SMMU implements (smmu->smr_mask_mask).</summary>
    public uint SmrMaskMask { get; private set; }

    /// <summary>Stream map entries (SMR/S2CR pairs, or S2CRs when stream indexing).</summary>
    public int NumMappingGroups { get; private set; }

    public int NumContextBanks { get; private set; }

    public int NumS2ContextBanks { get; private set; }

    public int NumContextIrqs { get; private set; }

    /// <summary>Stage-1 input size (va_size: IDR2.UBS on v2).</summary>
    public int VaSize { get; private set; }

    /// <summary>Intermediate physical address size (IDR2.IAS).</summary>
    public int IpaSize { get; private set; }

    /// <summary>Physical address size (IDR2.OAS).</summary>
    public int PaSize { get; private set; }

    /// <summary>log2 of the register page size (IDR1.PAGESIZE).</summary>
    public int PageShift { get; private set; } = 12;

    /// <summary>NUMPAGE: pages of global space before the context banks.</summary>
    public int NumPage { get; private set; }

    /// <summary>True once <see cref="Probe"/> succeeded.</summary>
    public bool Probed { get; private set; }

    /// <summary>Context faults the interrupt handler has reported.</summary>
    public long ContextFaults => Interlocked.Read(ref _contextFaults);

    /// <summary>Global faults the interrupt handler has reported.</summary>
    public long GlobalFaults => Interlocked.Read(ref _globalFaults);

    internal KernelLog Log => _subsystem?.Log ?? throw new InvalidOperationException("The driver has not been probed.");

    internal IommuSubsystem Subsystem => _subsystem ?? throw new InvalidOperationException("The driver has not been probed.");

    internal PhysicalMemory Memory => _memory;

    internal ITablePageAllocator TableAllocator => _tableAllocator;

    private long _contextFaults;
    private long _globalFaults;

    /// <summary>
    /// arm_smmu_device_probe(): read the configuration, reset the SMMU, discover the SMR bits, then
    /// register with the IOMMU core (which probes devices already known). ENODEV if the hardware
    /// is unusable; the core's error if registration fails.
    /// </summary>
    public Errno Probe(IommuSubsystem subsystem)
    {
        ArgumentNullException.ThrowIfNull(subsystem);
        if (_subsystem is not null)
        {
            throw new InvalidOperationException("The driver was already probed.");
        }

        _subsystem = subsystem;
        Errno err = DeviceCfgProbe();
        if (err == Errno.Ok && Version == 2)
        {
            int irqs = Firmware.ContextInterrupts ?? NumContextBanks;
            if (irqs < NumContextBanks)
            {
                DevErr($"found only {irqs} context irq(s) but {NumContextBanks} required");
                err = Errno.ENODEV;
            }
            else
            {
                if (irqs > NumContextBanks)
                {
                    DevNotice($"found {irqs} context interrupt(s) but have {NumContextBanks} context banks. assuming {NumContextBanks} context interrupts.");
                }

                NumContextIrqs = NumContextBanks;
            }
        }
        else if (err == Errno.Ok)
        {
            NumContextIrqs = Math.Max(1, Firmware.ContextInterrupts ?? NumContextBanks);
        }

        if (err != Errno.Ok)
        {
            _subsystem = null;
            return err;
        }

        DeviceReset();
        TestSmrMasks();
        Probed = true;
        err = subsystem.IommuDeviceRegister(Instance, this, SmmuDevice);
        if (err != Errno.Ok)
        {
            DevErr($"Failed to register iommu");
            Probed = false;
        }

        return err;
    }

    /// <summary>
    /// of_iommu_configure() for one master: fwspec naming this SMMU, then of_xlate with the
    /// master's <c>iommus</c> specifier (or the stream ID of_map_id produced from <c>iommu-map</c>).
    /// Call before <see cref="IommuSubsystem.AddDevice"/>.
    /// </summary>
    public Errno ConfigureMaster(Device dev, params uint[] specifier)
    {
        ArgumentNullException.ThrowIfNull(dev);
        ArgumentNullException.ThrowIfNull(specifier);
        Errno err = Subsystem.FwspecInit(dev, FwNode);
        return err != Errno.Ok ? err : OfXlate(dev, specifier);
    }

    internal uint Gr0Read(int offset)
    {
        _memory.Read32(_base + (ulong)offset, BusAccess.Cpu, out uint v);
        return v;
    }

    internal void Gr0Write(int offset, uint value) => _memory.Write32(_base + (ulong)offset, value, BusAccess.Cpu);

    internal uint Gr1Read(int offset)
    {
        _memory.Read32(_base + (1UL << PageShift) + (ulong)offset, BusAccess.Cpu, out uint v);
        return v;
    }

    internal void Gr1Write(int offset, uint value) => _memory.Write32(_base + (1UL << PageShift) + (ulong)offset, value, BusAccess.Cpu);

    internal uint CbRead(int idx, int offset)
    {
        _memory.Read32(CbBase(idx) + (ulong)offset, BusAccess.Cpu, out uint v);
        return v;
    }

    internal ulong CbReadQ(int idx, int offset)
    {
        _memory.Read64(CbBase(idx) + (ulong)offset, BusAccess.Cpu, out ulong v);
        return v;
    }

    internal void CbWrite(int idx, int offset, uint value) => _memory.Write32(CbBase(idx) + (ulong)offset, value, BusAccess.Cpu);

    internal void CbWriteQ(int idx, int offset, ulong value) => _memory.Write64(CbBase(idx) + (ulong)offset, value, BusAccess.Cpu);

    internal void DevNotice(string text) => Log.DevPrint(KernelLogLevel.Notice, SmmuDevice, text);

    internal void DevErr(string text) => Log.DevPrint(KernelLogLevel.Err, SmmuDevice, text);

    internal void DevWarn(string text) => Log.DevPrint(KernelLogLevel.Warning, SmmuDevice, text);

    private ulong CbBase(int idx) => _base + ((ulong)(NumPage + idx) << PageShift);
}
