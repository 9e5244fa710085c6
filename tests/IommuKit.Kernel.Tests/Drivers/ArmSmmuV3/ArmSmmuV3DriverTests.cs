using IommuKit.Hardware.Dma;
using IommuKit.Hardware.PageTables;
using IommuKit.Hardware.Smmu.V3;
using IommuKit.Kernel.Base;
using IommuKit.Kernel.Drivers.ArmSmmuV3;
using IommuKit.Kernel.Iommu;

namespace IommuKit.Kernel.Tests.Drivers.ArmSmmuV3;

public sealed class ArmSmmuV3DriverTests
{
    private const ulong Iova = 0x1000_0000;

    [Fact]
    public void Probe_DefaultModel_ReadsIdRegistersAndEnablesSmmu()
    {
        var rig = new ArmSmmuV3Rig();
        ArmSmmuV3Driver d = rig.Driver;
        Assert.True(d.Probed);
        Assert.Equal(48, d.Oas);
        Assert.Equal(48, d.Ias);
        Assert.Equal(16, d.AsidBits);
        Assert.Equal(16, d.VmidBits);
        Assert.Equal(16, d.SidBits);
        Assert.True(d.TwoLevelStreamTable);
        Assert.True(d.Features.HasFlag(ArmSmmuV3Features.TransS1 | ArmSmmuV3Features.TransS2 | ArmSmmuV3Features.Coherency | ArmSmmuV3Features.RangeInv));
        Assert.True(d.Features.HasFlag(ArmSmmuV3Features.Ha | ArmSmmuV3Features.Hd));
        Assert.Equal(0xDu, rig.ReadReg(0x24)); // CR0ACK: SMMUEN | EVTQEN | CMDQEN
        Assert.True(rig.Log.Contains($"ias 48-bit, oas 48-bit (features 0x{(uint)d.Features:x8})"));
        Assert.True(rig.Log.Contains("arm-smmu-v3 9050000.smmuv3: allocated 1024 entries for cmdq"));
        Assert.True(rig.Log.Contains("allocated 1024 entries for evtq"));
        Assert.Equal((4UL << 10) | (2UL << 20) | (1UL << 30) | (16UL << 10) | (32UL << 20) | (64UL << 10) | (512UL << 20), d.PgsizeBitmap);
        Assert.False(rig.Log.Contains("COHACC"));
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(2u)]
    public void Probe_IommuCellsNotOne_Enodev(uint cells)
    {
        var rig = new ArmSmmuV3Rig(iommuCells: cells, probe: false);
        Assert.Equal(Errno.ENODEV, rig.Driver.Probe());
        Assert.True(rig.Log.Contains($"invalid #iommu-cells value ({cells})"));
        Assert.Empty(rig.Subsystem.Instances);
    }

    [Theory]
    [InlineData(true, false, "false")]
    [InlineData(false, true, "true")]
    public void Probe_CohaccDisagreesWithFirmware_FirmwareWinsWithWarning(bool cohacc, bool fw, string shown)
    {
        var rig = new ArmSmmuV3Rig(new SmmuV3Features { CoherentAccess = cohacc }, smmuCoherent: fw, fwCoherent: fw);
        Assert.True(rig.Log.Contains($"IDR0.COHACC overridden by FW configuration ({shown})"));
        Assert.Equal(fw, rig.Driver.Features.HasFlag(ArmSmmuV3Features.Coherency));
    }

    [Fact]
    public void Probe_SmallCommandQueue_Enxio()
    {
        var rig = new ArmSmmuV3Rig(new SmmuV3Features { CommandQueueLog2Entries = 6 }, probe: false);
        Assert.Equal(Errno.ENXIO, rig.Driver.Probe());
        Assert.True(rig.Log.Contains("command queue size <= 64 entries not supported"));
    }

    [Fact]
    public void StreamTable_EightBitSids_IsLinearWithAbortStes()
    {
        var rig = new ArmSmmuV3Rig(new SmmuV3Features { StreamIdBits = 8 });
        Assert.False(rig.Driver.TwoLevelStreamTable);
        Assert.Equal(8u, rig.ReadReg(0x88)); // STRTAB_BASE_CFG: linear, LOG2SIZE 8
        ulong[] ste = rig.Driver.ReadSte(0x42);
        Assert.Equal(1UL, ste[0]); // V, Config = abort
    }

    [Fact]
    public void StreamTable_TwoLevel_L2TablesAllocatedLazilyPerBus()
    {
        var rig = new ArmSmmuV3Rig();
        Assert.Equal((1u << 16) | (8u << 6) | 16u, rig.ReadReg(0x88));
        Assert.Equal(0, rig.Driver.L2TablesAllocated);
        rig.AddMaster("dma0", 0x100);
        Assert.Equal(1, rig.Driver.L2TablesAllocated);
        rig.AddMaster("dma1", 0x1FF);
        Assert.Equal(1, rig.Driver.L2TablesAllocated);
        rig.AddMaster("dma2", 0x200);
        Assert.Equal(2, rig.Driver.L2TablesAllocated);
    }

    [Fact]
    public void ProbeDevice_SidBeyondSidSize_Erange()
    {
        var rig = new ArmSmmuV3Rig(new SmmuV3Features { StreamIdBits = 8 });
        var dev = new Device("big");
        Assert.Equal(Errno.Ok, rig.Driver.ConfigureMaster(dev, [0x100]));
        Assert.Equal(Errno.ERANGE, rig.Subsystem.AddDevice(dev));
    }

    [Fact]
    public void ProbeDevice_StreamIdOfAnotherMaster_Einval()
    {
        var rig = new ArmSmmuV3Rig();
        rig.AddMaster("a", 5);
        var b = new Device("b");
        Assert.Equal(Errno.Ok, rig.Driver.ConfigureMaster(b, [5]));
        Assert.Equal(Errno.EINVAL, rig.Subsystem.AddDevice(b));
        Assert.True(rig.Log.Contains("Aliasing StreamID 0x5 (from a) unsupported, expect DMA to be broken"));
    }

    [Fact]
    public void DefaultDomain_Dma_IsStage1WithCdTableSteAndCd()
    {
        var rig = new ArmSmmuV3Rig();
        Device dev = rig.AddMaster("dma0", 7);
        IommuDomain domain = dev.IommuGroup!.DefaultDomain!;
        Assert.Equal(IommuDomainType.Dma, domain.Type);
        var smmuDomain = Assert.IsType<ArmSmmuV3Domain>(domain.Ops);
        Assert.Equal(ArmSmmuV3Stage.S1, smmuDomain.Stage);
        Assert.Equal(1, smmuDomain.Asid);
        Assert.Equal((0UL, (1UL << 48) - 1, true), (domain.Geometry.ApertureStart, domain.Geometry.ApertureEnd, domain.Geometry.ForceAperture));
        Assert.Equal((4UL << 10) | (2UL << 20) | (1UL << 30), domain.PgsizeBitmap);

        var master = Assert.IsType<ArmSmmuV3Master>(dev.Iommu!.Priv);
        ulong[] ste = rig.Driver.ReadSte(7);
        Assert.Equal(1UL | (5UL << 1) | master.CdTablePa, ste[0]);
        Assert.Equal(2UL | (1UL << 2) | (1UL << 4) | (3UL << 6), ste[1]);

        ulong cd0 = rig.ReadRam64(master.CdTablePa);
        Assert.Equal(16UL, cd0 & 0x3F); // T0SZ = 64 - 48
        Assert.Equal(0UL, (cd0 >> 6) & 3); // TG0 4K
        Assert.Equal(1UL, (cd0 >> 8) & 3); // IRGN0 WBWA (coherent walk)
        Assert.Equal(3UL, (cd0 >> 12) & 3); // SH0 ISH
        Assert.Equal(5UL, (cd0 >> 32) & 7); // IPS 48-bit
        Assert.NotEqual(0UL, cd0 & (1UL << 30)); // EPD1
        Assert.NotEqual(0UL, cd0 & (1UL << 31)); // V
        Assert.Equal(0xEUL, (cd0 >> 44) & 0xF); // R, A, ASET (S clear)
        Assert.Equal(1UL, cd0 >> 48); // ASID
        Assert.Equal(smmuDomain.Table.Ttbr, rig.ReadRam64(master.CdTablePa + 8));
        Assert.Equal(0xF404FF44UL, rig.ReadRam64(master.CdTablePa + 24));
    }

    [Fact]
    public void Map_DmaThroughStage1_LandsInRam()
    {
        var rig = new ArmSmmuV3Rig();
        Device dev = rig.AddMaster("dma0", 7);
        IommuDomain domain = dev.IommuGroup!.DefaultDomain!;
        ulong pa = ArmSmmuV3Rig.BufferBase;
        Assert.Equal(Errno.Ok, rig.Subsystem.Map(domain, Iova, pa, 0x2000, IommuProt.Read | IommuProt.Write | IommuProt.Cache));
        Assert.Equal(pa + 0x1234, rig.Subsystem.IovaToPhys(domain, Iova + 0x1234));
        DmaEndpoint ep = rig.Endpoint("dma0", 7);
        Assert.Equal(DmaStatus.Ok, ep.Write64(Iova + 0x1008, 0xDEAD_BEEF_CAFE_F00D));
        Assert.Equal(0xDEAD_BEEF_CAFE_F00DUL, rig.ReadRam64(pa + 0x1008));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Unmap_InvalidatesTlb_NextDmaFaultsWithTranslationEvent(bool rangeInvalidation)
    {
        var rig = new ArmSmmuV3Rig(new SmmuV3Features { RangeInvalidation = rangeInvalidation });
        rig.Smmu.InterruptRaised = irq =>
        {
            if (irq == SmmuV3Irq.EventQueue)
            {
                rig.Driver.DrainEventQueue();
            }
        };
        Device dev = rig.AddMaster("dma0", 7);
        IommuDomain domain = dev.IommuGroup!.DefaultDomain!;
        Assert.Equal(Errno.Ok, rig.Subsystem.Map(domain, Iova, ArmSmmuV3Rig.BufferBase, 0x4000, IommuProt.Read | IommuProt.Write));
        DmaEndpoint ep = rig.Endpoint("dma0", 7);
        Assert.Equal(DmaStatus.Ok, ep.Read64(Iova + 0x2000, out _)); // fills the TLB
        Assert.Equal(0x4000UL, rig.Subsystem.Unmap(domain, Iova, 0x4000));
        Assert.Equal(DmaStatus.Fault, ep.Read64(Iova + 0x2000, out _));
        Assert.Equal(1, rig.Driver.EventsReceived);
        Assert.True(rig.Log.Contains("arm-smmu-v3 9050000.smmuv3: event 0x10 received:"));
        Assert.True(rig.Log.Contains($"\t0x{0x10UL | (7UL << 32):x16}"));
        Assert.True(rig.Log.Contains($"\t0x{Iova + 0x2000:x16}"));
    }

    [Fact]
    public void Unmap_WithoutInvalidation_StaleTlbStillTranslates()
    {
        // The oracle for the test above: the model caches translations, so only the driver's TLBI makes the fault appear.
        var rig = new ArmSmmuV3Rig();
        Device dev = rig.AddMaster("dma0", 7);
        IommuDomain domain = dev.IommuGroup!.DefaultDomain!;
        Assert.Equal(Errno.Ok, rig.Subsystem.Map(domain, Iova, ArmSmmuV3Rig.BufferBase, 0x1000, IommuProt.Read));
        DmaEndpoint ep = rig.Endpoint("dma0", 7);
        Assert.Equal(DmaStatus.Ok, ep.Read64(Iova, out _));
        IommuIotlbGather gather = IommuIotlbGather.Create();
        Assert.Equal(0x1000UL, rig.Subsystem.UnmapFast(domain, Iova, 0x1000, ref gather));
        Assert.Equal(DmaStatus.Ok, ep.Read64(Iova, out _));
        rig.Subsystem.IotlbSync(domain, ref gather);
        Assert.Equal(DmaStatus.Fault, ep.Read64(Iova, out _));
    }

    [Fact]
    public void Stage2Domain_AttachAndMap_DmaTranslatesThroughS2Ste()
    {
        var rig = new ArmSmmuV3Rig();
        Device dev = rig.AddMaster("dma0", 9);
        Assert.Equal(Errno.Ok, rig.Driver.DomainAllocPaging(dev, ArmSmmuV3Stage.S2, out IommuDomain? domain));
        domain!.Owner = rig.Driver; // what iommu_domain_init does for a driver-allocated domain
        var s2 = Assert.IsType<ArmSmmuV3Domain>(domain!.Ops);
        Assert.Equal(1, s2.Vmid);
        Assert.Equal(Errno.Ok, rig.Subsystem.AttachDevice(domain, dev));
        ulong[] ste = rig.Driver.ReadSte(9);
        Assert.Equal(1UL | (6UL << 1), ste[0]);
        Assert.Equal(1UL, ste[2] & 0xFFFF);
        Assert.Equal(s2.Table.Vtcr.Value, (ste[2] >> 32) & 0x7FFFF);
        Assert.NotEqual(0UL, ste[2] & (1UL << 58)); // S2R
        Assert.Equal(s2.Table.Ttbr, ste[3]);

        Assert.Equal(Errno.Ok, rig.Subsystem.Map(domain, Iova, ArmSmmuV3Rig.BufferBase, 0x1000, IommuProt.Read | IommuProt.Write));
        DmaEndpoint ep = rig.Endpoint("dma0", 9);
        Assert.Equal(DmaStatus.Ok, ep.Write32(Iova + 4, 0x1234_5678));
        Assert.Equal(0x1234_5678UL << 32, rig.ReadRam64(ArmSmmuV3Rig.BufferBase));
        Assert.Equal(0x1000UL, rig.Subsystem.Unmap(domain, Iova, 0x1000));
        Assert.Equal(DmaStatus.Fault, ep.Write32(Iova + 4, 1));
    }

    [Fact]
    public void PassthroughDefault_IdentityDomain_WritesBypassSte()
    {
        var rig = new ArmSmmuV3Rig(subsystemOptions: new IommuSubsystemOptions { DefaultDomain = IommuDefaultDomainConfig.Passthrough });
        Device dev = rig.AddMaster("dma0", 3);
        Assert.Equal(IommuDomainType.Identity, dev.IommuGroup!.DefaultDomain!.Type);
        Assert.Equal(1UL | (4UL << 1), rig.Driver.ReadSte(3)[0]);
        DmaEndpoint ep = rig.Endpoint("dma0", 3);
        Assert.Equal(DmaStatus.Ok, ep.Write64(ArmSmmuV3Rig.BufferBase, 42));
        Assert.Equal(42UL, rig.ReadRam64(ArmSmmuV3Rig.BufferBase));
    }

    [Fact]
    public void ReleaseDevice_SteBackToAbort()
    {
        var rig = new ArmSmmuV3Rig();
        Device dev = rig.AddMaster("dma0", 3);
        rig.Subsystem.RemoveDevice(dev);
        Assert.Equal(1UL, rig.Driver.ReadSte(3)[0]);
    }

    [Fact]
    public void UnusedStreamId_AbortSte_DmaAbortsSilently()
    {
        var rig = new ArmSmmuV3Rig();
        rig.AddMaster("dma0", 3);
        DmaEndpoint ep = rig.Endpoint("stranger", 4);
        Assert.Equal(DmaStatus.Fault, ep.Write64(ArmSmmuV3Rig.BufferBase, 1));
        Assert.Equal(0, rig.Driver.DrainEventQueue());
    }

    [Theory]
    [InlineData(true, true, true)]
    [InlineData(false, true, false)]
    [InlineData(true, false, true)]
    [InlineData(false, false, false)]
    public void Capable_CacheCoherency_FollowsFirmwareCoherencyOnly(bool smmuCoherent, bool deviceCoherent, bool expected)
    {
        var rig = new ArmSmmuV3Rig(smmuCoherent: smmuCoherent);
        Device dev = rig.AddMaster("dma0", 3, deviceCoherent);
        Assert.Equal(expected, rig.Subsystem.DeviceIommuCapable(dev, IommuCap.CacheCoherency));
        Assert.True(rig.Subsystem.DeviceIommuCapable(dev, IommuCap.NoExec));
        Assert.True(rig.Subsystem.DeviceIommuCapable(dev, IommuCap.DeferredFlush));
        Assert.False(rig.Subsystem.DeviceIommuCapable(dev, IommuCap.PreBootProtection));
        Assert.Equal(expected, rig.Subsystem.DeviceIommuCapable(dev, IommuCap.DirtyTracking));
    }

    [Fact]
    public void Capable_Before2022Profile_CacheCoherencyAlwaysTrue()
    {
        var rig = new ArmSmmuV3Rig(smmuCoherent: false, profile: ArmSmmuV3KernelProfile.Before2022);
        Device dev = rig.AddMaster("dma0", 3);
        Assert.True(rig.Subsystem.DeviceIommuCapable(dev, IommuCap.CacheCoherency));
        Assert.False(rig.Subsystem.DeviceIommuCapable(dev, IommuCap.DirtyTracking));
    }

    [Fact]
    public void EnforceCacheCoherency_AllCanwbs_SucceedsAndLaterNonCanwbsAttachFailsEinval()
    {
        var rig = new ArmSmmuV3Rig(canwbs: d => d.Name.StartsWith("cc", StringComparison.Ordinal));
        Device cc = rig.AddMaster("cc0", 1);
        Device plain = rig.AddMaster("plain", 2);
        Assert.True(rig.Subsystem.DeviceIommuCapable(cc, IommuCap.EnforceCacheCoherency));
        Assert.False(rig.Subsystem.DeviceIommuCapable(plain, IommuCap.EnforceCacheCoherency));

        Assert.Equal(Errno.Ok, rig.Subsystem.PagingDomainAlloc(cc, out IommuDomain? domain));
        Assert.Equal(Errno.Ok, rig.Subsystem.AttachDevice(domain!, cc));
        Assert.True(rig.Subsystem.EnforceCacheCoherency(domain!));
        Assert.Equal(Errno.EINVAL, rig.Subsystem.AttachDevice(domain!, plain));

        Assert.Equal(Errno.Ok, rig.Subsystem.PagingDomainAlloc(plain, out IommuDomain? other));
        Assert.Equal(Errno.Ok, rig.Subsystem.AttachDevice(other!, plain));
        Assert.False(rig.Subsystem.EnforceCacheCoherency(other!));
    }

    [Fact]
    public void GetResvRegions_SoftwareMsiWindow()
    {
        var rig = new ArmSmmuV3Rig();
        Device dev = rig.AddMaster("dma0", 3);
        var regions = new List<IommuResvRegion>();
        rig.Driver.GetResvRegions(dev, regions);
        IommuResvRegion r = Assert.Single(regions);
        Assert.Equal((0x800_0000UL, 0x10_0000UL, IommuResvType.SwMsi, IommuProt.Write | IommuProt.Mmio), (r.Start, r.Length, r.Type, r.Prot));
    }

    [Fact]
    public void CommandQueue_IllegalCommand_SkippedAsSyncAndAcknowledged()
    {
        var rig = new ArmSmmuV3Rig();
        Errno ret = rig.Driver.IssueCmds([0x7F, 0], sync: true);
        Assert.Equal(Errno.Ok, ret);
        Assert.Equal(1, rig.Driver.CommandErrors);
        Assert.True(rig.Log.Contains("unexpected global error reported (0x00000001), this could be serious"));
        Assert.True(rig.Log.Contains(": Illegal command"));
        Assert.True(rig.Log.Contains("skipping command in error state:"));
        Assert.True(rig.Log.Contains("\t0x000000000000007f"));
        Assert.Equal(rig.ReadReg(0x60) & 1, rig.ReadReg(0x64) & 1); // GERRORN acknowledges GERROR

        // The queue keeps working.
        Device dev = rig.AddMaster("dma0", 3);
        Assert.Equal(Errno.Ok, rig.Subsystem.Map(dev.IommuGroup!.DefaultDomain!, Iova, ArmSmmuV3Rig.BufferBase, 0x1000, IommuProt.Read));
        Assert.Equal(DmaStatus.Ok, rig.Endpoint("dma0", 3).Read64(Iova, out _));
    }

    [Fact]
    public void CommandQueue_ManyCommands_WrapsAroundTheQueue()
    {
        var rig = new ArmSmmuV3Rig(new SmmuV3Features { CommandQueueLog2Entries = 7 });
        Assert.Equal(7, rig.Driver.CommandQueueShift);
        Device dev = rig.AddMaster("dma0", 3);
        IommuDomain domain = dev.IommuGroup!.DefaultDomain!;
        for (int i = 0; i < 300; i++)
        {
            Assert.Equal(Errno.Ok, rig.Subsystem.Map(domain, Iova, ArmSmmuV3Rig.BufferBase, 0x1000, IommuProt.Read));
            Assert.Equal(0x1000UL, rig.Subsystem.Unmap(domain, Iova, 0x1000));
        }

        // 300 unmaps issued 600 commands through a 128-entry queue: it wrapped several times.
        Assert.Equal(0, rig.Driver.CommandErrors);
        Assert.Equal(rig.ReadReg(0x98), rig.ReadReg(0x9C) & 0xFF);
        Assert.Equal(Errno.Ok, rig.Subsystem.Map(domain, Iova, ArmSmmuV3Rig.BufferBase, 0x1000, IommuProt.Read));
        Assert.Equal(DmaStatus.Ok, rig.Endpoint("dma0", 3).Read64(Iova, out _));
    }

    [Fact]
    public void NonCoherentSmmu_WithCpuCache_TablesAndDmaStillWork()
    {
        var rig = new ArmSmmuV3Rig(smmuCoherent: false, cacheModel: true);
        Device dev = rig.AddMaster("dma0", 3);
        IommuDomain domain = dev.IommuGroup!.DefaultDomain!;
        Assert.Equal(Errno.Ok, rig.Subsystem.Map(domain, Iova, ArmSmmuV3Rig.BufferBase, 0x1000, IommuProt.Read | IommuProt.Write));
        DmaEndpoint ep = rig.Endpoint("dma0", 3, coherent: false);
        Assert.Equal(DmaStatus.Ok, ep.Write64(Iova, 7));
        Assert.Equal(0x1000UL, rig.Subsystem.Unmap(domain, Iova, 0x1000));
        Assert.Equal(DmaStatus.Fault, ep.Write64(Iova, 7));
    }

    [Fact]
    public void DomainFree_ReleasesAsidForReuse()
    {
        var rig = new ArmSmmuV3Rig();
        Device dev = rig.AddMaster("dma0", 3);
        Assert.Equal(Errno.Ok, rig.Driver.DomainAllocPaging(dev, out IommuDomain? a));
        int asid = ((ArmSmmuV3Domain)a!.Ops).Asid;
        a.Ops.Free(a);
        Assert.Equal(Errno.Ok, rig.Driver.DomainAllocPaging(dev, out IommuDomain? b));
        Assert.Equal(asid, ((ArmSmmuV3Domain)b!.Ops).Asid);
    }

    [Fact]
    public void MapUnmap_RandomOperations_MatchOracleAndDma()
    {
        var rig = new ArmSmmuV3Rig();
        Device dev = rig.AddMaster("dma0", 3);
        IommuDomain domain = dev.IommuGroup!.DefaultDomain!;
        DmaEndpoint ep = rig.Endpoint("dma0", 3);
        var oracle = new Dictionary<ulong, ulong>();
        var rng = new Random(1234);
        for (int step = 0; step < 400; step++)
        {
            ulong page = (ulong)rng.Next(64);
            ulong iova = Iova + (page << 12);
            if (oracle.TryGetValue(page, out ulong pa))
            {
                Assert.Equal(0x1000UL, rig.Subsystem.Unmap(domain, iova, 0x1000));
                oracle.Remove(page);
                Assert.Equal(DmaStatus.Fault, ep.Read64(iova, out _));
            }
            else
            {
                pa = ArmSmmuV3Rig.BufferBase + ((ulong)rng.Next(1024) << 12);
                Assert.Equal(Errno.Ok, rig.Subsystem.Map(domain, iova, pa, 0x1000, IommuProt.Read | IommuProt.Write));
                oracle[page] = pa;
                ulong value = (ulong)rng.NextInt64();
                Assert.Equal(DmaStatus.Ok, ep.Write64(iova + 8, value));
                Assert.Equal(value, rig.ReadRam64(pa + 8));
            }

            ulong probe = (ulong)rng.Next(64);
            ulong expect = oracle.TryGetValue(probe, out ulong p) ? p : 0;
            Assert.Equal(expect, rig.Subsystem.IovaToPhys(domain, Iova + (probe << 12)));
        }
    }
}
