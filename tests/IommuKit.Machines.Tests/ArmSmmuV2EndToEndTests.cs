using System.Globalization;
using System.Text.RegularExpressions;
using IommuKit.Hardware.Dma;
using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables;
using IommuKit.Kernel;
using IommuKit.Kernel.Base;
using IommuKit.Kernel.Drivers.ArmSmmu;
using IommuKit.Kernel.Iommu;

namespace IommuKit.Machines.Tests;

/// <summary>The arm-smmu driver driving the SMMUv2 model through its registers, end to end.</summary>
public sealed partial class ArmSmmuV2EndToEndTests
{
    private const ulong Iova = 0x1_0000;
    private const ulong Buffer = ArmSmmuV2Machine.RamBase + 0x10_0000;

    [Fact]
    public void Probe_Mmu500_LogsConfigurationAndCreatesDefaultDmaDomains()
    {
        var m = new ArmSmmuV2Machine().Boot();
        (Device a, _) = m.AddMaster("a.dma", 0x10);
        (Device b, _) = m.AddMaster("b.dma", 0x20);

        Assert.True(m.Log.Contains("arm-smmu 5000000.iommu: probing hardware configuration..."));
        Assert.True(m.Log.Contains("arm-smmu 5000000.iommu: \tstream matching with 48 register groups"));
        Assert.True(m.Log.Contains("arm-smmu 5000000.iommu: \t16 context banks (8 stage-2 only)"));
        Assert.True(m.Log.Contains("arm-smmu 5000000.iommu: \tSupported page sizes: 0x60211000"));
        Assert.True(m.Log.Contains("arm-smmu 5000000.iommu: \tStage-1: 48-bit VA -> 48-bit IPA"));
        Assert.True(m.Log.Contains("\tcoherent table walk"));
        Assert.False(m.Log.Contains("overridden by FW"));
        Assert.Equal(0x7FFFu, m.Driver.StreamIdMask);
        Assert.Equal(0x7FFFu, m.Driver.SmrMaskMask);

        Assert.NotSame(a.IommuGroup, b.IommuGroup);
        IommuDomain da = a.IommuGroup!.DefaultDomain!;
        Assert.Equal(IommuDomainType.Dma, da.Type);
        Assert.Same(da, a.IommuGroup.Domain);
        var sa = (ArmSmmuDomain)da.Ops;
        var sb = (ArmSmmuDomain)b.IommuGroup!.DefaultDomain!.Ops;
        Assert.Equal((8, 8, ArmSmmuDomainStage.S1), (sa.Cbndx, sa.Asid, sa.Stage));
        Assert.Equal(9, sb.Cbndx);
        Assert.Equal((1UL << 48) - 1, da.Geometry.ApertureEnd);
        Assert.Equal(0x40201000UL, da.PgsizeBitmap);

        var sme = m.Driver.StreamMapEntry(0);
        Assert.Equal((true, (ushort)0x10, (ushort)0, 0u, 8, 1), sme);
    }

    [Fact]
    public void Map_DmaThroughDefaultDomain_LandsInRam()
    {
        var m = new ArmSmmuV2Machine().Boot();
        (Device a, DmaEndpoint dma) = m.AddMaster("a.dma", 0x10);
        IommuDomain d = a.IommuGroup!.DefaultDomain!;
        Assert.Equal(Errno.Ok, m.Kernel.Map(d, Iova, Buffer, 0x2000, IommuProt.Read | IommuProt.Write | IommuProt.Cache));

        Assert.Equal(DmaStatus.Ok, dma.Write32(Iova + 0x1004, 0xC0FFEE11));
        Assert.Equal(BusStatus.Ok, m.Memory.Read32(Buffer + 0x1004, BusAccess.Cpu, out uint seen));
        Assert.Equal(0xC0FFEE11u, seen);
        Assert.Equal(BusStatus.Ok, m.Memory.Write32(Buffer + 0x8, 0x5A5A5A5A, BusAccess.Cpu));
        Assert.Equal(DmaStatus.Ok, dma.Read32(Iova + 0x8, out uint read));
        Assert.Equal(0x5A5A5A5Au, read);
        Assert.Equal(Buffer + 0x1234, m.Kernel.IovaToPhys(d, Iova + 0x1234));
    }

    [Fact]
    public void Unmap_AfterTlbWasWarm_NextDmaFaultsAndDriverLogsContextFault()
    {
        var m = new ArmSmmuV2Machine().Boot();
        (Device a, DmaEndpoint dma) = m.AddMaster("a.dma", 0x10);
        IommuDomain d = a.IommuGroup!.DefaultDomain!;
        Assert.Equal(Errno.Ok, m.Kernel.Map(d, Iova, Buffer, 0x1000, IommuProt.Read | IommuProt.Write | IommuProt.Cache));
        Assert.Equal(DmaStatus.Ok, dma.Write32(Iova + 0x40, 1)); // fills the TLB

        Assert.Equal(0x1000UL, m.Kernel.Unmap(d, Iova, 0x1000));
        Assert.Equal(DmaStatus.Fault, dma.Write32(Iova + 0x40, 2));

        Assert.Equal(1, m.Driver.ContextFaults);
        Match match = FaultLine().Match(m.Log.ToString());
        Assert.True(match.Success, m.Log.ToString());
        uint fsr = uint.Parse(match.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        uint fsynr = uint.Parse(match.Groups[3].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        Assert.Equal(0x2u, fsr & 0x2); // FSR.TF: translation fault
        Assert.Equal("00010040", match.Groups[2].Value); // FAR = the faulting IOVA
        Assert.Equal(0x10u, fsynr & 0x10); // FSYNR0.WNR: a write
        Assert.Equal("0x10", match.Groups[4].Value); // CBFRSYNRA: the stream ID
        Assert.Equal("8", match.Groups[5].Value);
        Assert.Equal(0u, ReadFsr(m, 8)); // cleared by the handler
        Assert.Equal(0UL, m.Kernel.IovaToPhys(d, Iova));
        Assert.True(m.Log.Contains("arm-smmu 5000000.iommu: translation fault!"));
    }

    [Fact]
    public void Dma_OtherGroupsEndpoint_CannotReachFirstGroupsMapping()
    {
        var m = new ArmSmmuV2Machine().Boot();
        (Device a, DmaEndpoint dmaA) = m.AddMaster("a.dma", 0x10);
        (_, DmaEndpoint dmaB) = m.AddMaster("b.dma", 0x20);
        IommuDomain d = a.IommuGroup!.DefaultDomain!;
        Assert.Equal(Errno.Ok, m.Kernel.Map(d, Iova, Buffer, 0x1000, IommuProt.Read | IommuProt.Write | IommuProt.Cache));
        Assert.Equal(BusStatus.Ok, m.Memory.Write32(Buffer, 0x11111111, BusAccess.Cpu));

        Assert.Equal(DmaStatus.Fault, dmaB.Write32(Iova, 0xBAD));
        Assert.Equal(DmaStatus.Fault, dmaB.Read32(Iova, out _));
        m.Memory.Read32(Buffer, BusAccess.Cpu, out uint after);
        Assert.Equal(0x11111111u, after);
        Assert.True(m.Log.Contains("cb=9"));
        Assert.Equal(DmaStatus.Ok, dmaA.Read32(Iova, out uint v));
        Assert.Equal(0x11111111u, v);
    }

    [Fact]
    public void Dma_UnknownStreamWithBypassDisabled_GlobalFaultNamesTheStream()
    {
        var m = new ArmSmmuV2Machine().Boot();
        var rogue = new DmaEndpoint("rogue", 0x33, true, m.Smmu);
        Assert.Equal(DmaStatus.Fault, rogue.Write32(Buffer, 1));
        Assert.Equal(1, m.Driver.GlobalFaults);
        Assert.True(m.Log.Contains("Blocked unknown Stream ID 0x33; boot with \"arm-smmu.disable_bypass=0\" to allow"), m.Log.ToString());
    }

    [Fact]
    public void Dma_UnknownStreamWithBypassAllowed_ReachesRamUntranslated()
    {
        var m = new ArmSmmuV2Machine(options: new ArmSmmuOptions { DisableBypass = false }).Boot();
        var other = new DmaEndpoint("other", 0x33, true, m.Smmu);
        Assert.Equal(DmaStatus.Ok, other.Write32(Buffer, 0x77));
        m.Memory.Read32(Buffer, BusAccess.Cpu, out uint v);
        Assert.Equal(0x77u, v);
    }

    [Fact]
    public void Attach_IdentityDomain_DmaBypassesToPhysical()
    {
        var m = new ArmSmmuV2Machine().Boot();
        (Device a, DmaEndpoint dma) = m.AddMaster("a.dma", 0x10);
        Assert.Equal(Errno.Ok, m.Kernel.GroupClaimDmaOwner(a.IommuGroup!, this));
        Assert.Equal(Errno.Ok, m.Kernel.AttachGroup(m.Driver.IdentityDomain!, a.IommuGroup!));
        Assert.Equal(DmaStatus.Ok, dma.Write32(Buffer + 4, 0x99));
        m.Memory.Read32(Buffer + 4, BusAccess.Cpu, out uint v);
        Assert.Equal(0x99u, v);
        Assert.Equal(1u, m.Driver.StreamMapEntry(0).Type);
    }

    [Fact]
    public void Stage2Domain_NestingRequested_UsesLowBanksVmidAndIpaInvalidation()
    {
        var m = new ArmSmmuV2Machine().Boot();
        (Device a, DmaEndpoint dma) = m.AddMaster("a.dma", 0x10);
        Assert.Equal(Errno.Ok, m.Kernel.PagingDomainAlloc(a, out IommuDomain? d));
        var s = (ArmSmmuDomain)d!.Ops;
        Assert.Equal(Errno.Ok, s.EnableNesting());
        Assert.Equal(Errno.Ok, m.Kernel.GroupClaimDmaOwner(a.IommuGroup!, this));
        Assert.Equal(Errno.Ok, m.Kernel.AttachGroup(d, a.IommuGroup!));
        Assert.Equal((0, 1, ArmSmmuDomainStage.Nested), (s.Cbndx, s.Vmid, s.Stage));
        Assert.Equal(Errno.EPERM, s.EnableNesting());

        Assert.Equal(Errno.Ok, m.Kernel.Map(d, Iova, Buffer, 0x1000, IommuProt.Read | IommuProt.Write | IommuProt.Cache));
        Assert.Equal(DmaStatus.Ok, dma.Write32(Iova, 0x42));
        m.Memory.Read32(Buffer, BusAccess.Cpu, out uint v);
        Assert.Equal(0x42u, v);
        Assert.Equal(0x1000UL, m.Kernel.Unmap(d, Iova, 0x1000));
        Assert.Equal(DmaStatus.Fault, dma.Write32(Iova, 0x43));
        Assert.True(m.Log.Contains("cb=0"));
    }

    private static uint ReadFsr(ArmSmmuV2Machine m, int cb)
    {
        ulong cbBase = ArmSmmuV2Machine.SmmuBase + ((ulong)(m.Driver.NumPage + cb) << m.Driver.PageShift);
        m.Memory.Read32(cbBase + 0x58, BusAccess.Cpu, out uint fsr);
        return fsr;
    }

    [GeneratedRegex(@"Unhandled context fault: fsr=0x([0-9a-f]+), iova=0x([0-9a-f]+), fsynr=0x([0-9a-f]+), cbfrsynra=(0x[0-9a-f]+), cb=(\d+)")]
    private static partial Regex FaultLine();
}
