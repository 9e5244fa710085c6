using IommuKit.Hardware.Dma;
using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables;
using IommuKit.Hardware.Smmu.V3;
using IommuKit.Kernel.Base;
using IommuKit.Kernel.Drivers.ArmSmmuV3;
using IommuKit.Kernel.Iommu;
using IommuKit.Kernel.Printk;

namespace IommuKit.Kernel.Tests.Drivers.ArmSmmuV3;

/// <summary>
/// A small machine for driver tests: RAM, the SMMUv3 model at <see cref="SmmuBase"/>, a table
/// allocator over the first 64 MiB of RAM, the IOMMU core and the arm-smmu-v3 driver.
/// </summary>
internal sealed class ArmSmmuV3Rig
{
    public const ulong SmmuBase = 0x0905_0000;
    public const ulong RamBase = 0x4000_0000;
    public const ulong RamSize = 256UL << 20;
    public const ulong BufferBase = RamBase + (128UL << 20);

    public ArmSmmuV3Rig(
        SmmuV3Features? features = null,
        bool smmuCoherent = true,
        bool? fwCoherent = null,
        Func<Device, bool>? canwbs = null,
        ArmSmmuV3KernelProfile profile = ArmSmmuV3KernelProfile.Current,
        IommuSubsystemOptions? subsystemOptions = null,
        uint iommuCells = 1,
        bool cacheModel = false,
        bool probe = true)
    {
        Memory = cacheModel ? new PhysicalMemory(new CpuCacheOptions { CapacityLines = 4096 }) : new PhysicalMemory();
        Memory.AddRam(RamBase, RamSize);
        Smmu = new SmmuV3(Memory, features ?? new SmmuV3Features(), smmuCoherent);
        Memory.AddMmio(SmmuBase, SmmuV3.MmioSize, Smmu);
        Allocator = new SimpleTablePageAllocator(Memory, RamBase, 64UL << 20);
        Subsystem = new IommuSubsystem(subsystemOptions);
        Driver = new ArmSmmuV3Driver(Subsystem, Memory, Allocator, new ArmSmmuV3Options
        {
            BaseAddress = SmmuBase,
            DmaCoherent = fwCoherent ?? smmuCoherent,
            FwNode = FwNode,
            DeviceName = "9050000.smmuv3",
            Canwbs = canwbs,
            KernelProfile = profile,
            IommuCells = iommuCells,
        });
        if (probe)
        {
            Assert.Equal(Errno.Ok, Driver.Probe());
        }
    }

    public object FwNode { get; } = new();

    public PhysicalMemory Memory { get; }

    public SmmuV3 Smmu { get; }

    public SimpleTablePageAllocator Allocator { get; }

    public IommuSubsystem Subsystem { get; }

    public ArmSmmuV3Driver Driver { get; }

    public KernelLog Log => Subsystem.Log;

    /// <summary>A platform master with one StreamID, configured from "firmware" and added to the kernel.</summary>
    public Device AddMaster(string name, uint sid, bool coherent = true)
    {
        var dev = new Device(name) { DmaCoherent = coherent };
        Assert.Equal(Errno.Ok, Driver.ConfigureMaster(dev, [sid]));
        Assert.Equal(Errno.Ok, Subsystem.AddDevice(dev));
        return dev;
    }

    public DmaEndpoint Endpoint(string name, uint sid, bool coherent = true) => new(name, sid, coherent, Smmu);

    public uint ReadReg(ulong offset)
    {
        Assert.Equal(BusStatus.Ok, Memory.Read32(SmmuBase + offset, BusAccess.Cpu, out uint v));
        return v;
    }

    public ulong ReadRam64(ulong pa)
    {
        Assert.Equal(BusStatus.Ok, Memory.Read64(pa, BusAccess.Cpu, out ulong v));
        return v;
    }
}
