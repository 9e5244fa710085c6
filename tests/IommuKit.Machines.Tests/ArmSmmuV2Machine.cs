using IommuKit.Hardware.Dma;
using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables;
using IommuKit.Hardware.Smmu.V2;
using IommuKit.Kernel;
using IommuKit.Kernel.Base;
using IommuKit.Kernel.Drivers.ArmSmmu;
using IommuKit.Kernel.Iommu;
using IommuKit.Kernel.Printk;

namespace IommuKit.Machines.Tests;

/// <summary>
/// A small Arm machine built in code: RAM, an SMMUv2 model at an MMIO base whose interrupt lines
/// go to the arm-smmu driver's handlers, the IOMMU core, and DMA masters wired to the SMMU.
/// </summary>
internal sealed class ArmSmmuV2Machine
{
    public const ulong RamBase = 0x8000_0000;
    public const ulong RamSize = 64UL << 20;
    public const ulong TableBase = RamBase + (32UL << 20);
    public const ulong TableSize = 16UL << 20;
    public const ulong SmmuBase = 0x500_0000;

    public ArmSmmuV2Machine(
        bool smmuCoherent = true,
        ArmSmmuOptions? options = null,
        SmmuV2Features? features = null,
        Func<ArmSmmuFirmware, ArmSmmuFirmware>? firmware = null)
    {
        Memory = new PhysicalMemory();
        Memory.AddRam(RamBase, RamSize);
        Smmu = new SmmuV2(Memory, features ?? SmmuV2Features.Mmu500 with { Stage2ContextBanks = 8 }, smmuCoherent);
        Memory.AddMmio(SmmuBase, Smmu.RegisterSpaceSize, Smmu);
        Tables = new SimpleTablePageAllocator(Memory, TableBase, TableSize);
        Kernel = new IommuSubsystem();
        var fw = new ArmSmmuFirmware
        {
            DeviceName = $"{SmmuBase:x}.iommu",
            BaseAddress = SmmuBase,
            RegionSize = Smmu.RegisterSpaceSize,
            IsMmu500 = true,
            DmaCoherent = smmuCoherent,
        };
        Driver = new ArmSmmuDriver(Memory, Tables, firmware?.Invoke(fw) ?? fw, options);
        Smmu.ContextInterruptRaised += line => Driver.HandleContextInterrupt(line);
        Smmu.GlobalInterruptRaised += () => Driver.HandleGlobalInterrupt();
    }

    public PhysicalMemory Memory { get; }

    public SmmuV2 Smmu { get; }

    public SimpleTablePageAllocator Tables { get; }

    public IommuSubsystem Kernel { get; }

    public ArmSmmuDriver Driver { get; }

    public KernelLog Log => Kernel.Log;

    /// <summary>Probes the driver (asserting success).</summary>
    public ArmSmmuV2Machine Boot()
    {
        Assert.Equal(Errno.Ok, Driver.Probe(Kernel));
        return this;
    }

    /// <summary>A platform master with <c>iommus = &lt;&amp;smmu sid&gt;</c>, added to the kernel, and its DMA engine.</summary>
    public (Device Dev, DmaEndpoint Dma) AddMaster(string name, uint streamId, bool coherent = true)
    {
        var dev = new Device(name) { DmaCoherent = coherent };
        Assert.Equal(Errno.Ok, Driver.ConfigureMaster(dev, streamId));
        Assert.Equal(Errno.Ok, Kernel.AddDevice(dev));
        return (dev, new DmaEndpoint(name, streamId, coherent, Smmu));
    }
}
