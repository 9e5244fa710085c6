using IommuKit.Hardware.Memory;
using IommuKit.Hardware.Pci;

namespace IommuKit.Hardware.Tests.Pci;

public sealed class PciTopologyTests
{
    private const ulong EcamBase = 0x4010_000000;

    private static PciRootComplex SwitchTopology(out PhysicalMemory memory)
    {
        var b = new PciTopologyBuilder();
        b.RootBus.AddHostBridge(0);
        PciFunctionBuilder rp = b.RootBus.AddRootPort(1);
        PciSwitchBuilder sw = rp.Secondary.AddSwitch(downstreamPorts: 2);
        sw.DownstreamPorts[0].Secondary.AddEndpoint(0);
        sw.DownstreamPorts[1].Secondary.AddEndpoint(0, 0);
        sw.DownstreamPorts[1].Secondary.AddEndpoint(0, 1);
        b.RootBus.AddRootPort(2).Secondary.AddPcieToPciBridge().Secondary.AddEndpoint(3);
        PciRootComplex root = b.Build();
        memory = new PhysicalMemory();
        memory.AddMmio(EcamBase, root.EcamSize, root.Ecam);
        return root;
    }

    private static ulong Ecam(int bus, int device, int function, int register) =>
        EcamBase + (((ulong)bus << 20) | ((ulong)device << 15) | ((ulong)function << 12) | (uint)register);

    [Fact]
    public void Build_SwitchTopology_AssignsBusNumbersDepthFirst()
    {
        PciRootComplex root = SwitchTopology(out _);

        var ports = root.AllFunctions.Where(f => f.IsBridge).Select(f => (f.ToString(), f.PrimaryBus, f.SecondaryBus, f.SubordinateBus)).ToList();
        Assert.Equal(
            [
                ("00:01.0", 0, 1, 4),
                ("01:00.0", 1, 2, 4),
                ("02:00.0", 2, 3, 3),
                ("02:01.0", 2, 4, 4),
                ("00:02.0", 0, 5, 6),
                ("05:00.0", 5, 6, 6),
            ],
            ports);
    }

    [Fact]
    public void EcamRead_ExistingFunction_ReturnsVendorDeviceAndClass()
    {
        SwitchTopology(out PhysicalMemory mem);

        Assert.Equal(BusStatus.Ok, mem.Read32(Ecam(0, 1, 0, 0), BusAccess.Cpu, out uint id));
        Assert.Equal(0x000c1b36u, id);
        Assert.Equal(BusStatus.Ok, mem.Read32(Ecam(0, 1, 0, 0x08), BusAccess.Cpu, out uint classRev));
        Assert.Equal(0x060400u, classRev >> 8);
        Assert.Equal(BusStatus.Ok, mem.Read8(Ecam(0, 1, 0, 0x0E), BusAccess.Cpu, out byte header));
        Assert.Equal(0x01, header);
    }

    [Theory]
    [InlineData(0, 3, 0)] // empty slot on the root bus
    [InlineData(3, 1, 0)] // device 1 on a link: only device 0 exists
    [InlineData(7, 0, 0)] // bus no bridge decodes
    [InlineData(4, 0, 2)] // missing function of a multi-function device
    public void EcamRead_AbsentFunction_ReadsAllOnes(int bus, int device, int function)
    {
        SwitchTopology(out PhysicalMemory mem);

        Assert.Equal(BusStatus.Ok, mem.Read32(Ecam(bus, device, function, 0), BusAccess.Cpu, out uint v32));
        Assert.Equal(0xFFFFFFFFu, v32);
        Assert.Equal(BusStatus.Ok, mem.Read16(Ecam(bus, device, function, 2), BusAccess.Cpu, out ushort v16));
        Assert.Equal(0xFFFF, v16);
        Assert.Equal(BusStatus.Ok, mem.Read8(Ecam(bus, device, function, 0x0E), BusAccess.Cpu, out byte v8));
        Assert.Equal(0xFF, v8);
    }

    [Fact]
    public void EcamAccess_EightBytes_IsSlaveError_UnalignedIsSplitByTheInterconnect()
    {
        SwitchTopology(out PhysicalMemory mem);

        Assert.Equal(BusStatus.SlaveError, mem.Read64(Ecam(0, 1, 0, 0), BusAccess.Cpu, out _));

        // PhysicalMemory delivers an unaligned single access as naturally aligned pieces, so the
        // ECAM window sees two 16-bit reads: the upper half of the vendor ID and the lower half of the device ID.
        Assert.Equal(BusStatus.Ok, mem.Read32(Ecam(0, 1, 0, 0), BusAccess.Cpu, out uint ids));
        Assert.Equal(BusStatus.Ok, mem.Read32(Ecam(0, 1, 0, 2), BusAccess.Cpu, out uint shifted));
        Assert.Equal(ids >> 16, shifted & 0xFFFF);
    }

    [Fact]
    public void HeaderType_MultiFunctionSlot_HasBit7OnEveryFunction()
    {
        PciRootComplex root = SwitchTopology(out _);

        PciFunction f0 = root.Find(4, 0, 0)!;
        PciFunction f1 = root.Find(4, 0, 1)!;
        PciFunction single = root.Find(3, 0, 0)!;
        Assert.Equal(0x80u, f0.Config.Read(PciConfigRegisters.HeaderType, 1));
        Assert.Equal(0x80u, f1.Config.Read(PciConfigRegisters.HeaderType, 1));
        Assert.Equal(0x00u, single.Config.Read(PciConfigRegisters.HeaderType, 1));
    }

    [Fact]
    public void Routing_FollowsBusNumberRegisters_ClearingSecondaryHidesTheSubtree()
    {
        SwitchTopology(out PhysicalMemory mem);

        Assert.Equal(BusStatus.Ok, mem.Write8(Ecam(0, 1, 0, PciConfigRegisters.SecondaryBusNumber), 0, BusAccess.Cpu));

        Assert.Equal(BusStatus.Ok, mem.Read32(Ecam(3, 0, 0, 0), BusAccess.Cpu, out uint id));
        Assert.Equal(0xFFFFFFFFu, id);
        Assert.Equal(BusStatus.Ok, mem.Read32(Ecam(6, 3, 0, 0), BusAccess.Cpu, out uint other));
        Assert.Equal(0x00101b36u, other);
    }

    [Fact]
    public void Build_WithoutBusAssignment_OnlyRootBusIsVisible()
    {
        var b = new PciTopologyBuilder();
        b.RootBus.AddRootPort(1).Secondary.AddEndpoint(0);
        PciRootComplex root = b.Build(assignBusNumbers: false);

        Assert.Equal(0, root.RootFunctions[0].SecondaryBus);
        Assert.Null(root.Find(1, 0, 0));
        Assert.NotNull(root.Find(0, 1, 0));
    }

    [Fact]
    public void ConfigWrite_ReadOnlyFieldsIgnoreWrites_BusNumbersAreWritable()
    {
        SwitchTopology(out PhysicalMemory mem);

        Assert.Equal(BusStatus.Ok, mem.Write32(Ecam(0, 1, 0, 0), 0x12345678, BusAccess.Cpu));
        Assert.Equal(BusStatus.Ok, mem.Read32(Ecam(0, 1, 0, 0), BusAccess.Cpu, out uint id));
        Assert.Equal(0x000c1b36u, id);
        Assert.Equal(BusStatus.Ok, mem.Write8(Ecam(0, 1, 0, PciConfigRegisters.SubordinateBusNumber), 9, BusAccess.Cpu));
        Assert.Equal(BusStatus.Ok, mem.Read8(Ecam(0, 1, 0, PciConfigRegisters.SubordinateBusNumber), BusAccess.Cpu, out byte sub));
        Assert.Equal(9, sub);
    }

    [Fact]
    public void AcsCapability_AtExtendedStart_ControlWritableOnlyForAdvertisedBits()
    {
        var b = new PciTopologyBuilder();
        b.RootBus.AddRootPort(1, acs: PciAcsFlags.SV | PciAcsFlags.RR | PciAcsFlags.CR);
        PciRootComplex root = b.Build();
        PciConfigSpace cfg = root.Find(0, 1, 0)!.Config;

        Assert.Equal(0x0001000Du, cfg.Read(0x100, 4));
        Assert.Equal(0x000Du, cfg.Read(0x104, 2));
        cfg.Write(0x106, 2, 0xFFFF);
        Assert.Equal(0x000Du, cfg.Read(0x106, 2));
    }

    [Fact]
    public void PcieCapability_ReportsPortTypeInCapabilityList()
    {
        PciRootComplex root = SwitchTopology(out _);

        foreach ((int bus, int dev, PciExpressPortType type) in new[]
        {
            (0, 1, PciExpressPortType.RootPort),
            (1, 0, PciExpressPortType.UpstreamPort),
            (2, 1, PciExpressPortType.DownstreamPort),
            (3, 0, PciExpressPortType.Endpoint),
            (5, 0, PciExpressPortType.PcieToPciBridge),
        })
        {
            PciConfigSpace cfg = root.Find(bus, dev, 0)!.Config;
            Assert.NotEqual(0u, cfg.Read(PciConfigRegisters.Status, 2) & PciConfigRegisters.StatusCapabilitiesList);
            int cap = (int)cfg.Read(PciConfigRegisters.CapabilitiesPointer, 1);
            Assert.Equal(PciConfigRegisters.CapabilityIdPciExpress, (byte)cfg.Read(cap, 1));
            Assert.Equal((uint)type, (cfg.Read(cap + 2, 2) >> 4) & 0xF);
        }
    }

    [Fact]
    public void ConventionalFunction_ExtendedSpace_ReadsAllOnes()
    {
        PciRootComplex root = SwitchTopology(out _);
        PciFunction conventional = root.Find(6, 3, 0)!;

        Assert.Equal(PciFunctionKind.ConventionalEndpoint, conventional.Kind);
        Assert.Equal(0xFFFFFFFFu, conventional.Config.Read(0x100, 4));
        Assert.Equal(0u, conventional.Config.Read(PciConfigRegisters.Status, 2) & PciConfigRegisters.StatusCapabilitiesList);
    }

    [Fact]
    public void DmaRequesterId_BehindPcieToPciBridge_IsSecondaryBusDevfn0()
    {
        PciRootComplex root = SwitchTopology(out _);

        Assert.Equal(0x0600, root.Find(6, 3, 0)!.DmaRequesterId);
        Assert.Equal(0x0300, root.Find(3, 0, 0)!.DmaRequesterId);
        Assert.Equal(0x0401, root.Find(4, 0, 1)!.DmaRequesterId);
    }

    [Fact]
    public void DmaRequesterId_DeviceUsingAnotherFunctionNumber_CarriesThatFunction()
    {
        var b = new PciTopologyBuilder();
        PciBusBuilder link = b.RootBus.AddRootPort(1).Secondary;
        link.AddEndpoint(0, 0, new PciFunctionSpec { VendorId = 0x1b4b, DeviceId = 0x9123, DmaSourceFunction = 1 });
        link.AddEndpoint(0, 1, new PciFunctionSpec { VendorId = 0x1b4b, DeviceId = 0x91a4 });
        PciRootComplex root = b.Build();

        Assert.Equal(0x0101, root.Find(1, 0, 0)!.DmaRequesterId);
    }

    [Fact]
    public void Builder_IllegalPlacements_Throw()
    {
        var b = new PciTopologyBuilder();
        PciFunctionBuilder rp = b.RootBus.AddRootPort(1);

        Assert.Throws<InvalidOperationException>(() => rp.Secondary.AddEndpoint(1));
        Assert.Throws<InvalidOperationException>(() => rp.Secondary.AddRootPort(0));
        Assert.Throws<InvalidOperationException>(() => b.RootBus.AddRootPort(1));
        Assert.Throws<InvalidOperationException>(() => b.RootBus.AddEndpoint(2).Secondary);
        Assert.Throws<ArgumentOutOfRangeException>(() => b.RootBus.AddEndpoint(32));
    }

    [Fact]
    public void Build_SlotWithoutFunctionZero_Throws()
    {
        var b = new PciTopologyBuilder();
        b.RootBus.AddEndpoint(3, 1);

        Assert.Throws<InvalidOperationException>(() => b.Build());
    }

    [Fact]
    public void ExternalFacingPortIds_ListsMarkedPortsWithTheirRequesterIds()
    {
        var b = new PciTopologyBuilder();
        b.RootBus.AddRootPort(1);
        b.RootBus.AddRootPort(2, externalFacing: true).Secondary.AddEndpoint(0);
        PciRootComplex root = b.Build();

        Assert.Equal(new HashSet<ushort> { 0x0010 }, root.ExternalFacingPortIds);
    }
}
