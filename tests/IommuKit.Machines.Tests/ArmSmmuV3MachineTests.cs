using IommuKit.Hardware.Dma;
using IommuKit.Hardware.PageTables;
using IommuKit.Kernel;
using IommuKit.Kernel.Drivers.ArmSmmuV3;
using IommuKit.Kernel.Iommu;

namespace IommuKit.Machines.Tests;

public sealed class ArmSmmuV3MachineTests
{
    private const ulong Iova = 0xFFFF_0000;

    [Fact]
    public void Boot_QemuVirtFacts_ProbesSmmuAndGivesEachEndpointADmaDomain()
    {
        var m = new ArmSmmuV3Machine();
        Assert.Equal(0x905_0000UL, m.SmmuBase);
        Assert.Equal(0x8u, m.SidA);
        Assert.Equal(0x10u, m.SidB);
        Assert.True(m.Driver.Features.HasFlag(ArmSmmuV3Features.Coherency));
        Assert.True(m.Kernel.Log.Contains("arm-smmu-v3 9050000.smmuv3: ias 48-bit, oas 48-bit"));
        Assert.True(m.Kernel.Log.Contains("pci 0000:00:01.0: Adding to iommu group 0"));
        Assert.True(m.Kernel.Log.Contains("pci 0000:00:02.0: Adding to iommu group 1"));
        Assert.NotSame(m.DeviceA.IommuGroup, m.DeviceB.IommuGroup);
        Assert.Equal(IommuDomainType.Dma, m.DeviceA.IommuGroup!.DefaultDomain!.Type);
        Assert.Equal(IommuDomainType.Dma, m.DeviceB.IommuGroup!.DefaultDomain!.Type);
        Assert.NotSame(m.DeviceA.IommuGroup.DefaultDomain, m.DeviceB.IommuGroup.DefaultDomain);
        Assert.True(m.DeviceA.DmaIommu);
    }

    [Fact]
    public void Dma_MappedThenUnmapped_LandsInRamThenFaultsWithLoggedTranslationEvent()
    {
        var m = new ArmSmmuV3Machine();
        IommuDomain domain = m.DeviceA.IommuGroup!.DefaultDomain!;
        ulong pa = ArmSmmuV3Machine.DataBase + 0x3000;
        Assert.Equal(Errno.Ok, m.Kernel.Map(domain, Iova, pa, 0x1000, IommuProt.Read | IommuProt.Write | IommuProt.Cache));

        Assert.Equal(DmaStatus.Ok, m.EndpointA.Write64(Iova + 0x80, 0x0123_4567_89AB_CDEF));
        Assert.Equal(0x0123_4567_89AB_CDEFUL, m.ReadRam64(pa + 0x80));
        Assert.Equal(DmaStatus.Ok, m.EndpointA.Read64(Iova + 0x80, out ulong back));
        Assert.Equal(0x0123_4567_89AB_CDEFUL, back);

        Assert.Equal(0x1000UL, m.Kernel.Unmap(domain, Iova, 0x1000));
        Assert.Equal(DmaStatus.Fault, m.EndpointA.Write64(Iova + 0x80, 1));
        Assert.Equal(0x0123_4567_89AB_CDEFUL, m.ReadRam64(pa + 0x80));
        Assert.Equal(1, m.Driver.EventsReceived);
        Assert.True(m.Kernel.Log.Contains("arm-smmu-v3 9050000.smmuv3: event 0x10 received:"));
        Assert.True(m.Kernel.Log.Contains($"\t0x{0x10UL | ((ulong)m.SidA << 32):x16}"));
        Assert.True(m.Kernel.Log.Contains($"\t0x{Iova + 0x80:x16}"));
    }

    [Fact]
    public void Isolation_OtherGroupsEndpoint_CannotReachFirstGroupsMapping()
    {
        var m = new ArmSmmuV3Machine();
        IommuDomain domainA = m.DeviceA.IommuGroup!.DefaultDomain!;
        ulong pa = ArmSmmuV3Machine.DataBase;
        Assert.Equal(Errno.Ok, m.Kernel.Map(domainA, Iova, pa, 0x1000, IommuProt.Read | IommuProt.Write));
        Assert.Equal(DmaStatus.Ok, m.EndpointA.Write64(Iova, 0x5EC2E7));

        Assert.Equal(DmaStatus.Fault, m.EndpointB.Read64(Iova, out _));
        Assert.Equal(DmaStatus.Fault, m.EndpointB.Write64(Iova, 0xBAD));
        Assert.Equal(0x5EC2E7UL, m.ReadRam64(pa));
        Assert.True(m.Kernel.Log.Contains($"\t0x{0x10UL | ((ulong)m.SidB << 32):x16}"));
        Assert.Equal(0UL, m.Kernel.IovaToPhys(m.DeviceB.IommuGroup!.DefaultDomain!, Iova));
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public void Capable_SmmuCoherencyTimesDeviceCoherency_CacheCoherencyFollowsSmmuOnly(bool smmuCoherent, bool deviceCoherent)
    {
        var m = new ArmSmmuV3Machine(smmuCoherent, deviceCoherent);
        Assert.Equal(smmuCoherent, m.Kernel.DeviceIommuCapable(m.DeviceA, IommuCap.CacheCoherency));
        Assert.True(m.Kernel.DeviceIommuCapable(m.DeviceA, IommuCap.NoExec));
        Assert.True(m.Kernel.DeviceIommuCapable(m.DeviceA, IommuCap.DeferredFlush));
        Assert.False(m.Kernel.DeviceIommuCapable(m.DeviceA, IommuCap.EnforceCacheCoherency));
        Assert.Equal(smmuCoherent, m.Kernel.DeviceIommuCapable(m.DeviceA, IommuCap.DirtyTracking));
        Assert.Equal(!smmuCoherent, m.Kernel.Log.Contains("IDR0.COHACC overridden by FW configuration (false)"));

        // Whatever the coherency, translated DMA works end to end (non-coherent walks are cleaned by the driver).
        IommuDomain domain = m.DeviceA.IommuGroup!.DefaultDomain!;
        Assert.Equal(Errno.Ok, m.Kernel.Map(domain, Iova, ArmSmmuV3Machine.DataBase, 0x1000, IommuProt.Read | IommuProt.Write));
        Assert.Equal(DmaStatus.Ok, m.EndpointA.Write64(Iova, 99));
        Assert.Equal(DmaStatus.Ok, m.EndpointA.Read64(Iova, out ulong v));
        Assert.Equal(99UL, v);
    }
}
