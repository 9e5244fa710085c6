using IommuKit.Hardware.PageTables;
using IommuKit.Kernel.Base;
using IommuKit.Kernel.Drivers.Mock;
using IommuKit.Kernel.Iommu;

namespace IommuKit.Kernel.Tests.Iommu;

/// <summary>DMA ownership: iommu_device_use_default_domain, iommu_group_claim_dma_owner, iommu_device_claim_dma_owner.</summary>
public sealed class OwnershipTests
{
    [Fact]
    public void IommuDeviceUseDefaultDomain_TwoDmaDrivers_BothCounted()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot(2, new MockIommuOptions { Groups = MockGroupPolicy.Single });

        Assert.Equal(Errno.Ok, t.Iommu.DeviceUseDefaultDomain(t.Devices[0]));
        Assert.Equal(Errno.Ok, t.Iommu.DeviceUseDefaultDomain(t.Devices[1]));

        Assert.Equal(2, t.Devices[0].IommuGroup!.OwnerCount);
        Assert.True(t.Iommu.GroupDmaOwnerClaimed(t.Devices[0].IommuGroup!));
    }

    [Fact]
    public void IommuDeviceUseDefaultDomain_GroupOwned_EBUSY()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot();
        Assert.Equal(Errno.Ok, t.Iommu.GroupClaimDmaOwner(t.Devices[0].IommuGroup!, "vfio"));

        Assert.Equal(Errno.EBUSY, t.Iommu.DeviceUseDefaultDomain(t.Devices[0]));
    }

    [Fact]
    public void IommuDeviceUseDefaultDomain_NoGroup_IsFine()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot();

        Assert.Equal(Errno.Ok, t.Iommu.DeviceUseDefaultDomain(new Device("no-iommu")));
    }

    [Fact]
    public void IommuDeviceUnuseDefaultDomain_WithoutUse_Warns()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot();

        t.Iommu.DeviceUnuseDefaultDomain(t.Devices[0]);

        Assert.Equal(0, t.Devices[0].IommuGroup!.OwnerCount);
        Assert.True(t.Log.Contains("WARNING: at drivers/iommu/iommu.c:iommu_device_unuse_default_domain"));
    }

    [Fact]
    public void IommuGroupClaimDmaOwner_NullOwner_EINVAL()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot();

        Assert.Equal(Errno.EINVAL, t.Iommu.GroupClaimDmaOwner(t.Devices[0].IommuGroup!, null));
    }

    [Fact]
    public void IommuGroupClaimDmaOwner_DmaDriverBound_EPERM()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot();
        t.Iommu.DeviceUseDefaultDomain(t.Devices[0]);

        Assert.Equal(Errno.EPERM, t.Iommu.GroupClaimDmaOwner(t.Devices[0].IommuGroup!, "vfio"));
    }

    [Fact]
    public void IommuGroupClaimDmaOwner_OnNonDefaultDomain_EBUSY()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot();
        t.Iommu.AttachDevice(t.NewPagingDomain(), t.Devices[0]);

        Assert.Equal(Errno.EBUSY, t.Iommu.GroupClaimDmaOwner(t.Devices[0].IommuGroup!, "vfio"));
    }

    [Fact]
    public void IommuGroupClaimDmaOwner_Ok_BlocksDmaUntilRelease()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot();
        IommuGroup g = t.Devices[0].IommuGroup!;

        Assert.Equal(Errno.Ok, t.Iommu.GroupClaimDmaOwner(g, "vfio"));
        Assert.Same(t.Driver.BlockedDomain, t.Driver.AttachedDomain(t.Devices[0]));
        Assert.Equal(1, g.OwnerCount);
        Assert.Equal("vfio", g.Owner);

        t.Iommu.GroupReleaseDmaOwner(g);
        Assert.Same(g.DefaultDomain, g.Domain);
        Assert.Null(g.Owner);
        Assert.Equal(0, g.OwnerCount);
    }

    [Fact]
    public void IommuGroupClaimDmaOwner_SecondClaim_EPERM()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot();
        IommuGroup g = t.Devices[0].IommuGroup!;
        t.Iommu.GroupClaimDmaOwner(g, "vfio");

        Assert.Equal(Errno.EPERM, t.Iommu.GroupClaimDmaOwner(g, "vfio"));
    }

    [Fact]
    public void IommuGroupClaimDmaOwner_DeviceRequiresDirectMapping_EINVAL()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot(mock: new MockIommuOptions
        {
            ResvRegions = _ => [new IommuResvRegion(0x1000_0000, 0x1000, IommuProt.Read, IommuResvType.Direct)],
        });
        IommuGroup g = t.Devices[0].IommuGroup!;

        Assert.Equal(Errno.EINVAL, t.Iommu.GroupClaimDmaOwner(g, "vfio"));

        Assert.Null(g.Owner);
        Assert.Same(g.DefaultDomain, g.Domain);
        Assert.True(t.Log.Contains("platform dev0: Firmware has requested this device have a 1:1 IOMMU mapping, rejecting configuring the device without a 1:1 mapping. Contact your platform vendor."));
    }

    [Fact]
    public void IommuDeviceClaimDmaOwner_NoGroup_ENODEV()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot();

        Assert.Equal(Errno.ENODEV, t.Iommu.DeviceClaimDmaOwner(new Device("no-iommu"), "iommufd"));
    }

    [Fact]
    public void IommuDeviceClaimDmaOwner_NullOwner_EINVAL()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot();

        Assert.Equal(Errno.EINVAL, t.Iommu.DeviceClaimDmaOwner(t.Devices[0], null));
    }

    [Fact]
    public void IommuDeviceClaimDmaOwner_SameOwnerForTwoDevicesOfAGroup_Counted()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot(2, new MockIommuOptions { Groups = MockGroupPolicy.Single });
        var ictx = new object();

        Assert.Equal(Errno.Ok, t.Iommu.DeviceClaimDmaOwner(t.Devices[0], ictx));
        Assert.Equal(Errno.Ok, t.Iommu.DeviceClaimDmaOwner(t.Devices[1], ictx));
        Assert.Equal(2, t.Devices[0].IommuGroup!.OwnerCount);

        t.Iommu.DeviceReleaseDmaOwner(t.Devices[0]);
        Assert.Same(t.Driver.BlockedDomain, t.Devices[0].IommuGroup!.Domain);
        t.Iommu.DeviceReleaseDmaOwner(t.Devices[1]);
        Assert.Same(t.Devices[0].IommuGroup!.DefaultDomain, t.Devices[0].IommuGroup!.Domain);
    }

    [Fact]
    public void IommuDeviceClaimDmaOwner_OtherOwner_EPERM()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot(2, new MockIommuOptions { Groups = MockGroupPolicy.Single });
        t.Iommu.DeviceClaimDmaOwner(t.Devices[0], "a");

        Assert.Equal(Errno.EPERM, t.Iommu.DeviceClaimDmaOwner(t.Devices[1], "b"));
    }

    [Fact]
    public void IommuDeviceClaimDmaOwner_DmaDriverBoundOnSibling_EPERM()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot(2, new MockIommuOptions { Groups = MockGroupPolicy.Single });
        t.Iommu.DeviceUseDefaultDomain(t.Devices[1]);

        Assert.Equal(Errno.EPERM, t.Iommu.DeviceClaimDmaOwner(t.Devices[0], "iommufd"));
    }

    [Fact]
    public void IommuDeviceClaimDmaOwner_BlockingDomainAllocationFails_ErrorAndUnowned()
    {
        PlatformTestSystem t = PlatformTestSystem.Boot(mock: new MockIommuOptions { BlockedDomain = false });
        t.Driver.Faults.FailDomainAlloc(Errno.ENOMEM);

        Assert.Equal(Errno.ENOMEM, t.Iommu.DeviceClaimDmaOwner(t.Devices[0], "iommufd"));
        Assert.Null(t.Devices[0].IommuGroup!.Owner);
    }
}
