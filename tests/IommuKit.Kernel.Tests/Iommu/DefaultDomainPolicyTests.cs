using IommuKit.Hardware.PageTables;
using IommuKit.Hardware.Pci;
using IommuKit.Kernel.Base;
using IommuKit.Kernel.Drivers.Mock;
using IommuKit.Kernel.Iommu;
using IommuKit.Kernel.Pci;

namespace IommuKit.Kernel.Tests.Iommu;

/// <summary>iommu_subsys_init, iommu_get_default_domain_type, iommu_setup_default_domain and iommu_dma_init_domain's FQ rule.</summary>
public sealed class DefaultDomainPolicyTests
{
    private static readonly IommuProt Rw = IommuProt.Read | IommuProt.Write;

    [Theory]
    [InlineData(IommuDefaultDomainConfig.DmaStrict, "", false, IommuDomainType.Dma, "Default domain type: Translated", "DMA domain TLB invalidation policy: strict mode")]
    [InlineData(IommuDefaultDomainConfig.DmaLazy, "", false, IommuDomainType.DmaFq, "Default domain type: Translated", "DMA domain TLB invalidation policy: lazy mode")]
    [InlineData(IommuDefaultDomainConfig.Passthrough, "", false, IommuDomainType.Identity, "Default domain type: Passthrough", null)]
    [InlineData(IommuDefaultDomainConfig.Passthrough, "", true, IommuDomainType.DmaFq, "Memory encryption detected - Disabling default IOMMU Passthrough", "DMA domain TLB invalidation policy: lazy mode")]
    [InlineData(IommuDefaultDomainConfig.DmaStrict, "", true, IommuDomainType.Dma, "Default domain type: Translated", "strict mode")]
    [InlineData(IommuDefaultDomainConfig.DmaStrict, "iommu.passthrough=1", false, IommuDomainType.Identity, "Default domain type: Passthrough (set via kernel command line)", null)]
    [InlineData(IommuDefaultDomainConfig.Passthrough, "iommu.passthrough=on", true, IommuDomainType.Identity, "Default domain type: Passthrough (set via kernel command line)", null)]
    [InlineData(IommuDefaultDomainConfig.DmaStrict, "iommu.strict=0", false, IommuDomainType.DmaFq, "Default domain type: Translated", "DMA domain TLB invalidation policy: lazy mode (set via kernel command line)")]
    [InlineData(IommuDefaultDomainConfig.DmaLazy, "iommu.strict=1", false, IommuDomainType.Dma, "Default domain type: Translated", "DMA domain TLB invalidation policy: strict mode (set via kernel command line)")]
    [InlineData(IommuDefaultDomainConfig.Passthrough, "iommu.passthrough=0", false, IommuDomainType.DmaFq, "Default domain type: Translated (set via kernel command line)", "lazy mode")]
    [InlineData(IommuDefaultDomainConfig.DmaStrict, "iommu=pt iommu.passthrough=0", false, IommuDomainType.Dma, "Default domain type: Translated (set via kernel command line)", "strict mode")]
    public void SubsysInit_PolicyMatrix_DefaultTypeAndMessages(IommuDefaultDomainConfig config, string cmdline, bool memEncrypt, IommuDomainType expected, string message1, string? message2)
    {
        var s = new IommuSubsystem(new IommuSubsystemOptions
        {
            DefaultDomain = config,
            CommandLine = KernelCommandLine.Parse(cmdline),
            MemoryEncryption = memEncrypt,
        });

        Assert.Equal(expected, s.DefaultDomainType);
        Assert.True(s.Log.Contains(message1), s.Log.ToString());
        if (message2 is null)
        {
            Assert.False(s.Log.Contains("invalidation policy"), s.Log.ToString());
        }
        else
        {
            Assert.True(s.Log.Contains(message2), s.Log.ToString());
        }
    }

    [Fact]
    public void SetDmaStrict_DemotesLazyDefault()
    {
        var s = new IommuSubsystem(new IommuSubsystemOptions { DefaultDomain = IommuDefaultDomainConfig.DmaLazy });

        s.SetDmaStrict();

        Assert.Equal(IommuDomainType.Dma, s.DefaultDomainType);
        Assert.True(s.DmaStrict);
    }

    [Fact]
    public void SetupDefaultDomain_LazyWithDeferredFlush_GroupGetsDmaFq()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot(options: new IommuSubsystemOptions { DefaultDomain = IommuDefaultDomainConfig.DmaLazy });
        IommuGroup g = t.Devices[0].IommuGroup!;

        Assert.Equal(IommuDomainType.DmaFq, g.DefaultDomain!.Type);
        Assert.Same(g.DefaultDomain, g.Domain);
        Assert.Equal("DMA-FQ\n", t.Iommu.GroupTypeText(g));
        Assert.True(t.Devices[0].DmaIommu);
        Assert.Same(g.DefaultDomain, t.Driver.AttachedDomain(t.Devices[0]));
    }

    [Fact]
    public void IommuDmaInitDomain_LazyWithoutDeferredFlush_DowngradesToStrictDma()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot(
            mock: new MockIommuOptions { Caps = new HashSet<IommuCap> { IommuCap.CacheCoherency } },
            options: new IommuSubsystemOptions { DefaultDomain = IommuDefaultDomainConfig.DmaLazy });

        Assert.Equal(IommuDomainType.Dma, t.Devices[0].IommuGroup!.DefaultDomain!.Type);
        Assert.Equal("DMA\n", t.Iommu.GroupTypeText(t.Devices[0].IommuGroup!));
    }

    [Fact]
    public void SetupDefaultDomain_Passthrough_UsesStaticIdentityDomain()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot(options: new IommuSubsystemOptions { DefaultDomain = IommuDefaultDomainConfig.Passthrough });
        IommuGroup g = t.Devices[0].IommuGroup!;

        Assert.Same(t.Driver.IdentityDomain, g.DefaultDomain);
        Assert.Equal("identity\n", t.Iommu.GroupTypeText(g));
        Assert.False(t.Devices[0].DmaIommu);
    }

    [Fact]
    public void DefDomainType_DriverAsksIdentity_OverridesTranslatedDefault()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot(2, new MockIommuOptions { DefDomainType = d => d.Name == "dev1" ? IommuDomainType.Identity : null });

        Assert.Equal(IommuDomainType.Dma, t.Devices[0].IommuGroup!.DefaultDomain!.Type);
        Assert.Equal(IommuDomainType.Identity, t.Devices[1].IommuGroup!.DefaultDomain!.Type);
    }

    [Fact]
    public void DefDomainType_DriverAsksDma_OverridesPassthroughDefault()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot(
            mock: new MockIommuOptions { DefDomainType = _ => IommuDomainType.Dma },
            options: new IommuSubsystemOptions { DefaultDomain = IommuDefaultDomainConfig.Passthrough });

        Assert.Equal(IommuDomainType.Dma, t.Devices[0].IommuGroup!.DefaultDomain!.Type);
    }

    [Theory]
    [InlineData(IommuDomainType.Dma, IommuDomainType.Identity, "Translated and Passthrough")]
    [InlineData(IommuDomainType.Identity, IommuDomainType.Dma, "Passthrough and Translated")]
    public void DefDomainType_ConflictInOneGroup_IdentityWinsWithError(IommuDomainType first, IommuDomainType second, string pair)
    {
        PlatformTestSystem t = PlatformTestSystem.Boot(2, new MockIommuOptions
        {
            Groups = MockGroupPolicy.Single,
            DefDomainType = d => d.Name == "dev0" ? first : second,
        });

        Assert.Equal(IommuDomainType.Identity, t.Devices[0].IommuGroup!.DefaultDomain!.Type);
        Assert.Contains($"platform dev1: IOMMU driver error, requesting conflicting def_domain_type, {pair}, for devices in group 0.", t.Log.Entries.Select(e => e.Text));
    }

    private static (IommuSubsystem S, MockIommuDriver Mock, PciHostBridge Host) UntrustedTopology(IommuSubsystemOptions options, MockIommuOptions? mock = null)
    {
        var b = new PciTopologyBuilder();
        b.RootBus.AddRootPort(1).Secondary.AddEndpoint(0);
        b.RootBus.AddRootPort(2, externalFacing: true).Secondary.AddEndpoint(0);
        PciRootComplex root = b.Build();
        var mem = new Hardware.Memory.PhysicalMemory();
        mem.AddMmio(PciTestMachine.EcamBase, root.EcamSize, root.Ecam);
        var s = new IommuSubsystem(options);
        PciHostBridge host = PciHostBridge.Probe(mem, PciTestMachine.EcamBase, 0, 0, 255, new PciOptions { ExternalFacingPorts = root.ExternalFacingPortIds }, s.Log);
        var driver = new MockIommuDriver(mock);
        Assert.Equal(Errno.Ok, driver.Register(s));
        return (s, driver, host);
    }

    [Fact]
    public void Untrusted_PassthroughAndLazyDefault_ForcedToStrictDma()
    {
        (IommuSubsystem s, _, PciHostBridge host) = UntrustedTopology(new IommuSubsystemOptions
        {
            DefaultDomain = IommuDefaultDomainConfig.Passthrough,
            CommandLine = KernelCommandLine.Parse("iommu.strict=0"),
        });
        foreach (PciDevice d in host.Devices)
        {
            Assert.Equal(Errno.Ok, s.AddDevice(d));
        }

        Assert.Equal(IommuDomainType.Identity, host.GetDevice("0000:01:00.0")!.IommuGroup!.DefaultDomain!.Type);
        Assert.True(host.GetDevice("0000:02:00.0")!.Untrusted);
        Assert.Equal("DMA\n", s.GroupTypeText(host.GetDevice("0000:02:00.0")!.IommuGroup!));
    }

    [Fact]
    public void Untrusted_DriverInsistsOnIdentity_RefusesToProbe()
    {
        (IommuSubsystem s, _, PciHostBridge host) = UntrustedTopology(
            new IommuSubsystemOptions(),
            new MockIommuOptions { DefDomainType = d => d is PciDevice { Untrusted: true } ? IommuDomainType.Identity : null });
        PciDevice untrusted = host.GetDevice("0000:02:00.0")!;
        foreach (PciDevice d in host.Devices.Where(d => d != untrusted))
        {
            Assert.Equal(Errno.Ok, s.AddDevice(d));
        }

        Assert.Equal(Errno.EINVAL, s.AddDevice(untrusted));

        Assert.Null(untrusted.IommuGroup);
        Assert.Null(untrusted.Iommu);
        Assert.True(s.Log.Contains("pci 0000:02:00.0: Device is not trusted, but driver is overriding group 3 to Passthrough, refusing to probe."), s.Log.ToString());
        Assert.Equal(3, s.Groups.Count);
    }

    [Fact]
    public void NoIommuDmaLayer_DefaultsToIdentity_AndRefusesDmaRequests()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot(options: new IommuSubsystemOptions { IommuDma = false });
        Assert.Equal(IommuDomainType.Identity, t.Devices[0].IommuGroup!.DefaultDomain!.Type);

        var s = new IommuSubsystem(new IommuSubsystemOptions { IommuDma = false });
        new MockIommuDriver(new MockIommuOptions { DefDomainType = _ => IommuDomainType.Dma }).Register(s);
        Assert.Equal(Errno.EINVAL, s.AddDevice(new Device("needs-dma")));
    }

    [Fact]
    public void AllocDefaultDomain_IdentityUnavailable_FallsBackToDmaWithWarning()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot(
            mock: new MockIommuOptions { IdentityDomain = false },
            options: new IommuSubsystemOptions { DefaultDomain = IommuDefaultDomainConfig.Passthrough });

        Assert.Equal(IommuDomainType.Dma, t.Devices[0].IommuGroup!.DefaultDomain!.Type);
        Assert.Contains("iommu: Failed to allocate default IOMMU domain of type 4 for group (null) - Falling back to IOMMU_DOMAIN_DMA", t.Log.Entries.Select(e => e.Text));
    }

    [Fact]
    public void AllocDefaultDomain_DriverRequestsUnavailableIdentity_ProbeFailsEOPNOTSUPP()
    {
        var s = new IommuSubsystem();
        new MockIommuDriver(new MockIommuOptions { IdentityDomain = false, DefDomainType = _ => IommuDomainType.Identity }).Register(s);
        var dev = new Device("gpu");

        Assert.Equal(Errno.EOPNOTSUPP, s.AddDevice(dev));
        Assert.Null(dev.IommuGroup);
        Assert.Empty(s.Groups);
    }

    [Fact]
    public void DirectRegions_DmaDomain_PremappedOneToOneSkippingMappedPages()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot(2, new MockIommuOptions
        {
            PgsizeBitmap = 0x1000 | 0x200000,
            Groups = MockGroupPolicy.Single,
            ResvRegions = d => d.Name == "dev0"
                ? [
                    new IommuResvRegion(0x1000_0000, 0x201000, Rw, IommuResvType.Direct),
                    new IommuResvRegion(0x2000_0000, 0x1000, IommuProt.Read, IommuResvType.DirectRelaxable),
                    new IommuResvRegion(0x0800_0000, 0x100000, IommuProt.Write, IommuResvType.SwMsi),
                ]
                : [new IommuResvRegion(0x1010_0000, 0x200000, Rw, IommuResvType.Direct)],
        });
        IommuDomain dom = t.Devices[0].IommuGroup!.DefaultDomain!;
        var table = ((MockIommuDomain)dom.Ops).Table;

        Assert.Equal(
            [(0x1000_0000UL, 0x1000_0000UL, 0x200000UL), (0x1020_0000UL, 0x1020_0000UL, 0x1000UL)],
            table.Leaves().Take(2).Select(l => (l.Iova, l.Paddr, l.Size)));
        Assert.Equal(0x102F_F000UL, t.Iommu.IovaToPhys(dom, 0x102F_F000));
        Assert.Equal(0x2000_0000UL, t.Iommu.IovaToPhys(dom, 0x2000_0000));
        Assert.Equal(0UL, t.Iommu.IovaToPhys(dom, 0x0800_0000));
        Assert.Equal(2 + 255 + 1, table.LeafCount);
        Assert.True(t.Devices[0].Iommu!.RequireDirect);
        Assert.True(t.Devices[1].Iommu!.RequireDirect);
    }

    [Fact]
    public void DirectRegions_IdentityDomain_NotMappedButStillRequired()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot(
            mock: new MockIommuOptions { ResvRegions = _ => [new IommuResvRegion(0x1000_0000, 0x1000, Rw, IommuResvType.Direct)] },
            options: new IommuSubsystemOptions { DefaultDomain = IommuDefaultDomainConfig.Passthrough });

        Assert.Equal(IommuDomainType.Identity, t.Devices[0].IommuGroup!.DefaultDomain!.Type);
        Assert.True(t.Devices[0].Iommu!.RequireDirect);
    }

    [Fact]
    public void DirectRegions_RelaxableOnly_DoNotRequireDirect()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot(mock: new MockIommuOptions
        {
            ResvRegions = _ => [new IommuResvRegion(0x1000_0000, 0x1000, Rw, IommuResvType.DirectRelaxable)],
        });

        Assert.False(t.Devices[0].Iommu!.RequireDirect);
        Assert.Equal(0x1000_0000UL, t.Iommu.IovaToPhys(t.Devices[0].IommuGroup!.DefaultDomain!, 0x1000_0000));
    }

    [Fact]
    public void DirectRegions_DriverCannotMapBeforeAttach_WarnsAndRetriesAfterAttach()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot(mock: new MockIommuOptions
        {
            RequireAttachBeforeMap = true,
            ResvRegions = _ => [new IommuResvRegion(0x1000_0000, 0x2000, Rw, IommuResvType.Direct)],
        });

        Assert.True(t.Log.Contains("mock-iommu: IOMMU driver was not able to establish FW requested direct mapping."), t.Log.ToString());
        Assert.Equal(0x1000_1000UL, t.Iommu.IovaToPhys(t.Devices[0].IommuGroup!.DefaultDomain!, 0x1000_1000));
    }

    [Fact]
    public void GroupStoreType_Identity_RebuildsDefaultDomain()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot();
        IommuGroup g = t.Devices[0].IommuGroup!;
        IommuDomain old = g.DefaultDomain!;

        Assert.Equal(Errno.Ok, t.Iommu.GroupStoreType(g, "identity\n"));

        Assert.Equal("identity\n", t.Iommu.GroupTypeText(g));
        Assert.Same(g.DefaultDomain, g.Domain);
        Assert.True(old.IsFreed);
        Assert.False(t.Devices[0].DmaIommu);
    }

    [Fact]
    public void GroupStoreType_DmaToDmaFq_InPlace()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot();
        IommuGroup g = t.Devices[0].IommuGroup!;
        IommuDomain dom = g.DefaultDomain!;
        Assert.Equal(Errno.Ok, UseDefaultDomain(t));

        Assert.Equal(Errno.Ok, t.Iommu.GroupStoreType(g, "DMA-FQ"));

        Assert.Same(dom, g.DefaultDomain);
        Assert.Equal(IommuDomainType.DmaFq, dom.Type);
    }

    [Fact]
    public void GroupStoreType_DriverBound_EPERM()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot();
        IommuGroup g = t.Devices[0].IommuGroup!;
        Assert.Equal(Errno.Ok, UseDefaultDomain(t));

        Assert.Equal(Errno.EPERM, t.Iommu.GroupStoreType(g, "identity"));
        Assert.Equal("DMA\n", t.Iommu.GroupTypeText(g));
    }

    [Fact]
    public void GroupStoreType_UnknownValue_EINVAL()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot();

        Assert.Equal(Errno.EINVAL, t.Iommu.GroupStoreType(t.Devices[0].IommuGroup!, "passthrough"));
    }

    [Fact]
    public void GroupStoreType_TargetConflictsWithDriver_EINVAL()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot(mock: new MockIommuOptions { DefDomainType = _ => IommuDomainType.Dma });

        Assert.Equal(Errno.EINVAL, t.Iommu.GroupStoreType(t.Devices[0].IommuGroup!, "identity"));
        Assert.Equal("DMA\n", t.Iommu.GroupTypeText(t.Devices[0].IommuGroup!));
    }

    private static Errno UseDefaultDomain(PlatformTestSystem t) => t.Iommu.DeviceUseDefaultDomain(t.Devices[0]);
}
