using IommuKit.Hardware.Dma;
using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables;
using IommuKit.Hardware.Smmu.V2;
using IommuKit.Kernel.Base;
using IommuKit.Kernel.Drivers.ArmSmmu;
using IommuKit.Kernel.Iommu;

namespace IommuKit.Kernel.Tests.Drivers.ArmSmmu;

/// <summary>arm-smmu driver rules checked against the SMMUv2 model's registers.</summary>
public sealed class ArmSmmuDriverTests
{
    private const ulong RamBase = 0x8000_0000;
    private const ulong SmmuBase = 0x200_0000;

    [Fact]
    public void Probe_Reset_ProgramsScr0AndIdleStreamMap()
    {
        (PhysicalMemory mem, _, ArmSmmuDriver drv, _) = Build();
        Assert.Equal(BusStatus.Ok, mem.Read32(SmmuBase, BusAccess.Cpu, out uint scr0));
        Assert.Equal(0u, scr0 & 1); // CLIENTPD clear
        Assert.Equal(1u << 10, scr0 & (1u << 10)); // USFCFG: unmatched streams fault
        Assert.Equal(0x36u, scr0 & 0x36); // GFRE | GFIE | GCFGFRE | GCFGFIE
        Assert.Equal(1u << 31, scr0 & (1u << 31)); // VMID16EN
        for (int i = 0; i < drv.NumMappingGroups; i++)
        {
            mem.Read32(SmmuBase + 0xC00 + (ulong)(4 * i), BusAccess.Cpu, out uint s2cr);
            Assert.Equal(2u << 16, s2cr); // fault
            mem.Read32(SmmuBase + 0x800 + (ulong)(4 * i), BusAccess.Cpu, out uint smr);
            Assert.Equal(0u, smr & (1u << 31));
        }
    }

    [Fact]
    public void Probe_ImplementedMaskBits_DiscoveredByWritingAllOnes()
    {
        (_, _, ArmSmmuDriver drv, _) = Build(f => f with { StreamIdBits = 10, SmrMaskBits = 4 });
        Assert.Equal(0x3FFu, drv.StreamIdMask);
        Assert.Equal(0xFu, drv.SmrMaskMask);
    }

    [Fact]
    public void ProbeDevice_IdOrMaskBeyondImplementedBits_Einval()
    {
        (_, IommuSubsystem k, ArmSmmuDriver drv, _) = Build(f => f with { StreamIdBits = 10, SmrMaskBits = 4 });
        var a = new Device("a");
        Assert.Equal(Errno.Ok, drv.ConfigureMaster(a, 0x400));
        Assert.Equal(Errno.EINVAL, k.AddDevice(a));
        Assert.True(k.Log.Contains("platform a: stream ID 0x400 out of range for SMMU (0x3ff)"));
        var b = new Device("b");
        Assert.Equal(Errno.Ok, drv.ConfigureMaster(b, 0x1, 0x10));
        Assert.Equal(Errno.EINVAL, k.AddDevice(b));
        Assert.True(k.Log.Contains("platform b: SMR mask 0x10 out of range for SMMU (0xf)"));
    }

    [Fact]
    public void FindSme_ContainedEntryIsReusedAndShared_PartialOverlapIsEinval()
    {
        (PhysicalMemory mem, IommuSubsystem k, ArmSmmuDriver drv, _) = Build();
        Device a = Add(k, drv, "a", 0x10, 0x3); // matches 0x10-0x13
        Device b = Add(k, drv, "b", 0x11);      // wholly inside: reuses entry 0
        Assert.Same(a.IommuGroup, b.IommuGroup); // masters sharing SMEs share a group
        Assert.Equal((true, (ushort)0x10, (ushort)0x3, 0u, 8, 2), drv.StreamMapEntry(0));
        mem.Read32(SmmuBase + 0x800, BusAccess.Cpu, out uint smr0);
        Assert.Equal(0x8003_0010u, smr0);

        var c = new Device("c");
        Assert.Equal(Errno.Ok, drv.ConfigureMaster(c, 0x12, 0x4)); // 0x12/0x16 overlaps 0x10-0x13 without being inside
        Assert.Equal(Errno.EINVAL, k.AddDevice(c));
        Assert.Equal(2, drv.StreamMapEntry(0).Count);
        Assert.False(drv.StreamMapEntry(1).Valid);

        k.RemoveDevice(b);
        Assert.Equal(1, drv.StreamMapEntry(0).Count);
        k.RemoveDevice(a);
        Assert.False(drv.StreamMapEntry(0).Valid);
        mem.Read32(SmmuBase + 0xC00, BusAccess.Cpu, out uint s2cr0);
        Assert.Equal(2u << 16, s2cr0);
    }

    [Fact]
    public void OfXlate_OneCell_TakesStreamMatchMaskFromSmmuNode()
    {
        (_, IommuSubsystem k, ArmSmmuDriver drv, _) = Build(firmware: fw => fw with { StreamMatchMask = 0x7c00 });
        Device a = Add(k, drv, "a", 0x19);
        Assert.Equal(0x7c00_0019u, Assert.Single(a.Iommu!.Fwspec!.Ids));
        Device b = Add(k, drv, "b", 0x20, 0x1);
        Assert.Equal(0x0001_0020u, Assert.Single(b.Iommu!.Fwspec!.Ids));
    }

    [Fact]
    public void Attach_AllBanksStage2Capable_Stage1DomainGetsEnospc()
    {
        (_, IommuSubsystem k, ArmSmmuDriver drv, _) = Build(f => f with { Stage2ContextBanks = 16 });
        var a = new Device("a");
        Assert.Equal(Errno.Ok, drv.ConfigureMaster(a, 1));
        Assert.Equal(Errno.ENOSPC, k.AddDevice(a)); // S1 banks start at NUMS2CB
    }

    [Fact]
    public void Attach_Stage2OnlySmmu_UsesBank0AndVmid1()
    {
        (_, IommuSubsystem k, ArmSmmuDriver drv, _) = Build(f => f with { Stage1 = false, Nested = false });
        Device a = Add(k, drv, "a", 1);
        var d = (ArmSmmuDomain)a.IommuGroup!.DefaultDomain!.Ops;
        Assert.Equal((ArmSmmuDomainStage.S2, 0, 1), (d.Stage, d.Cbndx, d.Vmid));
    }

    [Fact]
    public void Probe_TooFewContextInterrupts_Enodev()
    {
        (PhysicalMemory mem, IommuSubsystem k, ArmSmmuDriver drv, _) = Build(firmware: fw => fw with { ContextInterrupts = 4 }, probe: false);
        Assert.Equal(Errno.ENODEV, drv.Probe(k));
        Assert.True(k.Log.Contains("found only 4 context irq(s) but 16 required"));
        Assert.False(drv.Probed);
        Assert.Empty(k.Instances);
        mem.Read32(SmmuBase, BusAccess.Cpu, out uint scr0);
        Assert.Equal(1u, scr0 & 1); // never reset: still CLIENTPD
    }

    [Fact]
    public void Probe_RegionSizeMismatch_Warns()
    {
        (_, IommuSubsystem k, _, _) = Build(firmware: fw => fw with { RegionSize = 0x1000 });
        Assert.True(k.Log.Contains("SMMU address space size (0x20000) differs from mapped region size (0x1000)!"));
    }

    [Fact]
    public void Unmap_IssuesTlbivalPerPage_ThenSyncInvalidatesBeforeNextDma()
    {
        (PhysicalMemory mem, IommuSubsystem k, ArmSmmuDriver drv, SmmuV2 smmu) = Build();
        Device a = Add(k, drv, "a", 0x5);
        IommuDomain d = a.IommuGroup!.DefaultDomain!;
        var dma = new DmaEndpoint("a", 0x5, true, smmu);
        Assert.Equal(Errno.Ok, k.Map(d, 0x40_0000, RamBase + 0x20_0000, 0x4000, IommuProt.Read | IommuProt.Write));
        for (ulong p = 0; p < 4; p++)
        {
            Assert.Equal(DmaStatus.Ok, dma.Write8(0x40_0000 + (p * 0x1000), 1));
        }

        Assert.Equal(0x2000UL, k.Unmap(d, 0x40_1000, 0x2000));
        Assert.Equal(DmaStatus.Ok, dma.Write8(0x40_0000, 2));
        Assert.Equal(DmaStatus.Fault, dma.Write8(0x40_1000, 2));
        Assert.Equal(DmaStatus.Fault, dma.Write8(0x40_2000, 2));
        Assert.Equal(DmaStatus.Ok, dma.Write8(0x40_3000, 2));
        Assert.Equal(2, drv.ContextFaults);
    }

    [Fact]
    public void Map_BeforeAttach_Enodev()
    {
        (_, IommuSubsystem k, ArmSmmuDriver drv, _) = Build();
        Device a = Add(k, drv, "a", 0x5);
        Assert.Equal(Errno.Ok, k.PagingDomainAlloc(a, out IommuDomain? d));
        Assert.Equal(Errno.ENODEV, k.Map(d!, 0, RamBase, 0x1000, IommuProt.Read));
        k.DomainFree(d!);
    }

    [Fact]
    public void ResvRegions_SwMsiWindow()
    {
        (_, IommuSubsystem k, ArmSmmuDriver drv, _) = Build();
        Device a = Add(k, drv, "a", 0x5);
        var regions = new List<IommuResvRegion>();
        k.GetResvRegions(a, regions);
        IommuResvRegion r = Assert.Single(regions);
        Assert.Equal(new IommuResvRegion(0x800_0000, 0x10_0000, IommuProt.Write | IommuProt.NoExec | IommuProt.Mmio, IommuResvType.SwMsi), r);
    }

    [Fact]
    public void Free_Domain_DisablesBankAndReleasesIt()
    {
        (PhysicalMemory mem, IommuSubsystem k, ArmSmmuDriver drv, _) = Build();
        Device a = Add(k, drv, "a", 0x5);
        Assert.Equal(Errno.Ok, k.PagingDomainAlloc(a, out IommuDomain? d));
        Assert.Equal(Errno.Ok, k.GroupClaimDmaOwner(a.IommuGroup!, this));
        Assert.Equal(Errno.Ok, k.AttachGroup(d!, a.IommuGroup!));
        int cb = ((ArmSmmuDomain)d!.Ops).Cbndx;
        Assert.Equal(9, cb);
        k.GroupReleaseDmaOwner(a.IommuGroup!);
        k.DomainFree(d);
        Assert.Null(drv.ContextBankDomain(cb));
        ulong cbBase = SmmuBase + ((ulong)(drv.NumPage + cb) << drv.PageShift);
        mem.Read32(cbBase, BusAccess.Cpu, out uint sctlr);
        Assert.Equal(0u, sctlr);
    }

    private static Device Add(IommuSubsystem k, ArmSmmuDriver drv, string name, params uint[] spec)
    {
        var dev = new Device(name);
        Assert.Equal(Errno.Ok, drv.ConfigureMaster(dev, spec));
        Assert.Equal(Errno.Ok, k.AddDevice(dev));
        return dev;
    }

    private static (PhysicalMemory Mem, IommuSubsystem Kernel, ArmSmmuDriver Driver, SmmuV2 Smmu) Build(
        Func<SmmuV2Features, SmmuV2Features>? features = null,
        Func<ArmSmmuFirmware, ArmSmmuFirmware>? firmware = null,
        bool probe = true)
    {
        var mem = new PhysicalMemory();
        mem.AddRam(RamBase, 16UL << 20);
        SmmuV2Features f = SmmuV2Features.Mmu500 with { Stage2ContextBanks = 8 };
        var smmu = new SmmuV2(mem, features?.Invoke(f) ?? f, coherentWalk: true);
        mem.AddMmio(SmmuBase, smmu.RegisterSpaceSize, smmu);
        var fw = new ArmSmmuFirmware { DeviceName = "2000000.iommu", BaseAddress = SmmuBase, RegionSize = smmu.RegisterSpaceSize, IsMmu500 = true, DmaCoherent = true };
        var drv = new ArmSmmuDriver(mem, new SimpleTablePageAllocator(mem, RamBase + (8UL << 20), 8UL << 20), firmware?.Invoke(fw) ?? fw);
        smmu.ContextInterruptRaised += line => drv.HandleContextInterrupt(line);
        smmu.GlobalInterruptRaised += () => drv.HandleGlobalInterrupt();
        var k = new IommuSubsystem();
        if (probe)
        {
            Assert.Equal(Errno.Ok, drv.Probe(k));
        }

        return (mem, k, drv, smmu);
    }
}
