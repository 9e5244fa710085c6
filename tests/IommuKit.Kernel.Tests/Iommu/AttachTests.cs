using IommuKit.Kernel.Base;
using IommuKit.Kernel.Drivers.Mock;
using IommuKit.Kernel.Iommu;

namespace IommuKit.Kernel.Tests.Iommu;

/// <summary>iommu_attach_device / iommu_attach_group / detach / replace and their errno rules.</summary>
public sealed class AttachTests
{
    private static PlatformTestSystem SharedGroup(MockIommuOptions? mock = null) =>
        PlatformTestSystem.Boot(2, (mock ?? new MockIommuOptions()) with { Groups = MockGroupPolicy.Single });

    [Fact]
    public void IommuAttachDevice_SingletonGroup_AttachesAndDriverSeesIt()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot();
        IommuDomain d = t.NewPagingDomain();

        Assert.Equal(Errno.Ok, t.Iommu.AttachDevice(d, t.Devices[0]));

        Assert.Same(d, t.Devices[0].IommuGroup!.Domain);
        Assert.Same(d, t.Iommu.GetDomainForDev(t.Devices[0]));
        Assert.Same(d, t.Driver.AttachedDomain(t.Devices[0]));
        Assert.Equal(IommuDomainType.Unmanaged, d.Type);
    }

    [Fact]
    public void IommuAttachDevice_MultiDeviceGroup_EINVAL()
    {
        PlatformTestSystem t = SharedGroup();
        IommuDomain d = t.NewPagingDomain();

        Assert.Equal(Errno.EINVAL, t.Iommu.AttachDevice(d, t.Devices[0]));
        Assert.Same(t.Devices[0].IommuGroup!.DefaultDomain, t.Devices[0].IommuGroup!.Domain);
    }

    [Fact]
    public void IommuAttachDevice_DeviceWithoutGroup_ENODEV()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot();

        Assert.Equal(Errno.ENODEV, t.Iommu.AttachDevice(t.NewPagingDomain(), new Device("stray")));
    }

    [Fact]
    public void IommuAttachGroup_AllDevicesOfTheGroupAttached()
    {
        PlatformTestSystem t = SharedGroup();
        IommuDomain d = t.NewPagingDomain();

        Assert.Equal(Errno.Ok, t.Iommu.AttachGroup(d, t.Devices[0].IommuGroup!));

        Assert.Same(d, t.Driver.AttachedDomain(t.Devices[0]));
        Assert.Same(d, t.Driver.AttachedDomain(t.Devices[1]));
    }

    [Fact]
    public void IommuAttachGroup_AlreadyOnAnotherUserDomain_EBUSY()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot();
        IommuDomain first = t.NewPagingDomain();
        IommuDomain second = t.NewPagingDomain();
        Assert.Equal(Errno.Ok, t.Iommu.AttachGroup(first, t.Devices[0].IommuGroup!));

        Assert.Equal(Errno.EBUSY, t.Iommu.AttachGroup(second, t.Devices[0].IommuGroup!));
        Assert.Same(first, t.Devices[0].IommuGroup!.Domain);
    }

    [Fact]
    public void IommuAttachGroup_FromBlockingDomain_Allowed()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot();
        IommuGroup g = t.Devices[0].IommuGroup!;
        var owner = new object();
        Assert.Equal(Errno.Ok, t.Iommu.GroupClaimDmaOwner(g, owner));
        Assert.Same(g.BlockingDomain, g.Domain);

        Assert.Equal(Errno.Ok, t.Iommu.AttachGroup(t.NewPagingDomain(), g));
    }

    [Fact]
    public void IommuAttachGroup_DomainOfAnotherDriver_EINVAL()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot();
        PlatformTestSystem other = PlatformTestSystem.Boot();

        Assert.Equal(Errno.EINVAL, t.Iommu.AttachGroup(other.NewPagingDomain(), t.Devices[0].IommuGroup!));
    }

    [Fact]
    public void IommuAttachGroup_StaticDomainOfTheSameDriver_IsCompatible()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot();

        Assert.Equal(Errno.Ok, t.Iommu.AttachGroup(t.Driver.IdentityDomain!, t.Devices[0].IommuGroup!));
        Assert.Same(t.Driver.IdentityDomain, t.Driver.AttachedDomain(t.Devices[0]));
    }

    [Fact]
    public void IommuGroupSetDomain_SecondDeviceFails_FirstRevertedToPreviousDomain()
    {
        PlatformTestSystem t = SharedGroup();
        IommuGroup g = t.Devices[0].IommuGroup!;
        IommuDomain def = g.DefaultDomain!;
        IommuDomain d = t.NewPagingDomain();
        t.Driver.Faults.FailAttach(Errno.EINVAL, which: dev => dev.Name == "dev1");

        Assert.Equal(Errno.EINVAL, t.Iommu.AttachGroup(d, g));

        Assert.Same(def, g.Domain);
        Assert.Same(def, t.Driver.AttachedDomain(t.Devices[0]));
        Assert.Same(def, t.Driver.AttachedDomain(t.Devices[1]));
    }

    [Fact]
    public void IommuDetachGroup_NotOwned_BackToDefaultDomain()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot();
        IommuGroup g = t.Devices[0].IommuGroup!;
        IommuDomain d = t.NewPagingDomain();
        t.Iommu.AttachGroup(d, g);

        t.Iommu.DetachGroup(d, g);

        Assert.Same(g.DefaultDomain, g.Domain);
        Assert.Same(g.DefaultDomain, t.Driver.AttachedDomain(t.Devices[0]));
    }

    [Fact]
    public void IommuDetachGroup_Owned_InstallsBlockingDomain()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot();
        IommuGroup g = t.Devices[0].IommuGroup!;
        Assert.Equal(Errno.Ok, t.Iommu.GroupClaimDmaOwner(g, "vfio"));
        IommuDomain d = t.NewPagingDomain();
        Assert.Equal(Errno.Ok, t.Iommu.AttachGroup(d, g));

        t.Iommu.DetachGroup(d, g);

        Assert.Same(t.Driver.BlockedDomain, g.Domain);
        Assert.Same(t.Driver.BlockedDomain, t.Driver.AttachedDomain(t.Devices[0]));
    }

    [Fact]
    public void IommuDetachDevice_DomainNotAttached_WarnsAndKeepsAttachment()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot();
        IommuDomain attached = t.NewPagingDomain();
        t.Iommu.AttachDevice(attached, t.Devices[0]);

        t.Iommu.DetachDevice(t.NewPagingDomain(), t.Devices[0]);

        Assert.Same(attached, t.Devices[0].IommuGroup!.Domain);
        Assert.True(t.Log.Contains("WARNING: at drivers/iommu/iommu.c:iommu_detach_device"));
    }

    [Fact]
    public void IommuDetachDevice_Attached_BackToDefault()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot();
        IommuDomain d = t.NewPagingDomain();
        t.Iommu.AttachDevice(d, t.Devices[0]);

        t.Iommu.DetachDevice(d, t.Devices[0]);

        Assert.Same(t.Devices[0].IommuGroup!.DefaultDomain, t.Devices[0].IommuGroup!.Domain);
    }

    [Fact]
    public void IommuReplaceGroupHandle_MovesDirectlyBetweenUserDomains()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot();
        IommuGroup g = t.Devices[0].IommuGroup!;
        t.Iommu.DeviceClaimDmaOwner(t.Devices[0], "iommufd");
        IommuDomain a = t.NewPagingDomain();
        IommuDomain b = t.NewPagingDomain();
        t.Iommu.AttachGroup(a, g);
        t.Driver.RecordCalls = true;

        Assert.Equal(Errno.Ok, t.Iommu.ReplaceGroupDomain(g, b));

        Assert.Same(b, g.Domain);
        MockCall attach = Assert.Single(t.Driver.Calls, c => c.Op == MockOp.AttachDev);
        Assert.Same(b, attach.Domain);
    }

    [Fact]
    public void IommuReplaceGroupHandle_DriverFails_OldDomainStays()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot();
        IommuGroup g = t.Devices[0].IommuGroup!;
        IommuDomain a = t.NewPagingDomain();
        t.Iommu.AttachGroup(a, g);
        t.Driver.Faults.FailAttach(Errno.ENOMEM);

        Assert.Equal(Errno.ENOMEM, t.Iommu.ReplaceGroupDomain(g, t.NewPagingDomain()));
        Assert.Same(a, g.Domain);
        Assert.Same(a, t.Driver.AttachedDomain(t.Devices[0]));
    }

    [Fact]
    public void IommuReplaceGroupHandle_NullDomain_EINVAL()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot();

        Assert.Equal(Errno.EINVAL, t.Iommu.ReplaceGroupDomain(t.Devices[0].IommuGroup!, null));
    }

    [Fact]
    public void BlockingDomain_DriverWithoutBlockedDomain_UsesEmptyUnmanagedPagingDomain()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot(mock: new MockIommuOptions { BlockedDomain = false });
        IommuGroup g = t.Devices[0].IommuGroup!;

        Assert.Equal(Errno.Ok, t.Iommu.GroupClaimDmaOwner(g, "vfio"));

        IommuDomain blocking = g.BlockingDomain!;
        Assert.Same(blocking, g.Domain);
        Assert.Equal(IommuDomainType.Unmanaged, blocking.Type);
        Assert.Equal(0, ((MockIommuDomain)blocking.Ops).Table.LeafCount);
        Assert.Equal(0UL, t.Iommu.IovaToPhys(blocking, 0x1000));
    }

    [Fact]
    public void EnforceCacheCoherency_AfterEnforcing_IncapableDeviceAttachIsEINVAL()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot(2, new MockIommuOptions
        {
            Capable = (d, cap) => cap != IommuCap.EnforceCacheCoherency || d.Name == "dev0",
        });
        IommuDomain d = t.NewPagingDomain();
        Assert.Equal(Errno.Ok, t.Iommu.AttachDevice(d, t.Devices[0]));

        Assert.True(t.Iommu.EnforceCacheCoherency(d));

        Assert.Equal(Errno.EINVAL, t.Iommu.AttachDevice(d, t.Devices[1]));
    }

    [Fact]
    public void EnforceCacheCoherency_DriverWithoutTheOp_False()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot(mock: new MockIommuOptions { EnforceCacheCoherency = false });

        Assert.False(t.Iommu.EnforceCacheCoherency(t.NewPagingDomain()));
        Assert.False(t.Iommu.EnforceCacheCoherency(t.Driver.IdentityDomain!));
    }

    [Fact]
    public void DomainFree_AttachedDomain_Throws_FreedDomain_CannotBeUsed()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot();
        IommuDomain d = t.NewPagingDomain();
        t.Iommu.AttachDevice(d, t.Devices[0]);

        Assert.Throws<InvalidOperationException>(() => t.Iommu.DomainFree(d));
        t.Iommu.DetachDevice(d, t.Devices[0]);
        t.Iommu.DomainFree(d);

        Assert.True(((MockIommuDomain)d.Ops).Freed);
        Assert.Throws<ObjectDisposedException>(() => t.Iommu.Map(d, 0, 0, 0x1000, Hardware.PageTables.IommuProt.Read));
    }
}
