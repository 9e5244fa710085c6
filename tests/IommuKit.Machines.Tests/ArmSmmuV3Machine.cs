using System.Buffers.Binary;
using IommuKit.Firmware.DeviceTree;
using IommuKit.Firmware.DeviceTree.Topology;
using IommuKit.Hardware.Dma;
using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables;
using IommuKit.Hardware.Smmu.V3;
using IommuKit.Kernel;
using IommuKit.Kernel.Base;
using IommuKit.Kernel.Drivers.ArmSmmuV3;
using IommuKit.Kernel.Iommu;

namespace IommuKit.Machines.Tests;

/// <summary>
/// A machine built in code from the facts of QEMU's virt + SMMUv3 devicetree
/// (tests/fixtures/firmware/qemu/virt-smmuv3.dtb): the SMMU's register base, <c>dma-coherent</c>
/// and <c>#iommu-cells</c>, and the StreamIDs the PCIe host's <c>iommu-map</c> gives two endpoints
/// (00:01.0 and 00:02.0). RAM, the SMMUv3 model, the IOMMU core and the arm-smmu-v3 driver; each
/// endpoint is a <see cref="DmaEndpoint"/> wired to the SMMU, and the SMMU's event interrupt to
/// the driver's handler.
/// </summary>
internal sealed class ArmSmmuV3Machine
{
    public const ulong RamBase = 0x4000_0000;
    public const ulong RamSize = 512UL << 20;
    public const ulong DataBase = RamBase + (256UL << 20);

    public ArmSmmuV3Machine(bool? smmuCoherentOverride = null, bool? deviceCoherentOverride = null)
    {
        DeviceTree tree = DtbReader.Read(File.ReadAllBytes(Path.Combine(RepoRoot(), "tests", "fixtures", "firmware", "qemu", "virt-smmuv3.dtb")));
        IommuTopology topology = IommuTopology.Resolve(tree);
        Firmware.DeviceTree.Topology.IommuInstance smmuNode = topology.Iommus.Single(i => i.Compatible.Contains("arm,smmu-v3"));
        SmmuBase = ReadRegBase(smmuNode.Node);
        bool smmuCoherent = smmuCoherentOverride ?? smmuNode.DmaCoherent;
        PciHostBridge host = topology.PciHostBridges.Single();
        PciRequesterResolution a = topology.ResolvePciRequester(host, PciRequesterId.From(0, 1, 0));
        PciRequesterResolution b = topology.ResolvePciRequester(host, PciRequesterId.From(0, 2, 0));
        Assert.True(a.Iommu.IsBehindIommu && b.Iommu.IsBehindIommu);
        SidA = a.Iommu.StreamId;
        SidB = b.Iommu.StreamId;
        bool devCoherent = deviceCoherentOverride ?? a.Coherence.IsCoherent;

        Memory = new PhysicalMemory(new CpuCacheOptions { CapacityLines = 8192 });
        Memory.AddRam(RamBase, RamSize);
        Smmu = new SmmuV3(Memory, new SmmuV3Features(), smmuCoherent);
        Memory.AddMmio(SmmuBase, SmmuV3.MmioSize, Smmu);
        Allocator = new SimpleTablePageAllocator(Memory, RamBase, 64UL << 20);
        Kernel = new IommuSubsystem();
        Driver = new ArmSmmuV3Driver(Kernel, Memory, Allocator, new ArmSmmuV3Options
        {
            BaseAddress = SmmuBase,
            DmaCoherent = smmuCoherent,
            IommuCells = smmuNode.IommuCells,
            FwNode = smmuNode.Node,
            DeviceName = "9050000.smmuv3",
        });
        Smmu.InterruptRaised = irq =>
        {
            if (irq == SmmuV3Irq.EventQueue)
            {
                Driver.DrainEventQueue();
            }
            else if (irq == SmmuV3Irq.GlobalError)
            {
                Driver.HandleGlobalError();
            }
        };
        Assert.Equal(Errno.Ok, Driver.Probe());

        DeviceA = new Device("0000:00:01.0", "pci") { DmaCoherent = devCoherent };
        DeviceB = new Device("0000:00:02.0", "pci") { DmaCoherent = devCoherent };
        foreach ((Device dev, uint sid) in new[] { (DeviceA, SidA), (DeviceB, SidB) })
        {
            Assert.Equal(Errno.Ok, Driver.ConfigureMaster(dev, [sid]));
            Assert.Equal(Errno.Ok, Kernel.AddDevice(dev));
        }

        EndpointA = new DmaEndpoint(DeviceA.Name, SidA, devCoherent, Smmu);
        EndpointB = new DmaEndpoint(DeviceB.Name, SidB, devCoherent, Smmu);
    }

    public ulong SmmuBase { get; }

    public uint SidA { get; }

    public uint SidB { get; }

    public PhysicalMemory Memory { get; }

    public SmmuV3 Smmu { get; }

    public SimpleTablePageAllocator Allocator { get; }

    public IommuSubsystem Kernel { get; }

    public ArmSmmuV3Driver Driver { get; }

    public Device DeviceA { get; }

    public Device DeviceB { get; }

    public DmaEndpoint EndpointA { get; }

    public DmaEndpoint EndpointB { get; }

    public ulong ReadRam64(ulong pa)
    {
        Assert.Equal(BusStatus.Ok, Memory.Read64(pa, BusAccess.Cpu, out ulong v));
        return v;
    }

    private static ulong ReadRegBase(DtNode node)
    {
        // virt uses #address-cells = <2>: the first two cells of "reg" are the base.
        ReadOnlySpan<byte> reg = node.FindProperty("reg")!.Value.Span;
        return BinaryPrimitives.ReadUInt64BigEndian(reg);
    }

    private static string RepoRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "IommuKit.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException("Cannot find the repository root.");
    }
}
