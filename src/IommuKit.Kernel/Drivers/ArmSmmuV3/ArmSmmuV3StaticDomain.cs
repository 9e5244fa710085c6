using IommuKit.Kernel.Base;
using IommuKit.Kernel.Iommu;

namespace IommuKit.Kernel.Drivers.ArmSmmuV3;

/// <summary>arm_smmu_identity_domain / arm_smmu_blocked_domain: attach writes a bypass or abort STE.</summary>
public sealed class ArmSmmuV3StaticDomain : IIommuDomainOps
{
    internal ArmSmmuV3StaticDomain(ArmSmmuV3Driver driver, ArmSmmuV3StaticKind kind)
    {
        Driver = driver;
        Kind = kind;
    }

    public ArmSmmuV3Driver Driver { get; }

    public ArmSmmuV3StaticKind Kind { get; }

    /// <summary>arm_smmu_attach_dev_ste(): install the STE, drop the old domain, clear the CD.</summary>
    public Errno AttachDev(IommuDomain domain, Device dev, IommuDomain? old)
    {
        ArgumentNullException.ThrowIfNull(dev);
        if (dev.Iommu?.Priv is not ArmSmmuV3Master master || master.Driver != Driver)
        {
            return Errno.EINVAL;
        }

        Driver.AttachStatic(master, Kind);
        return Errno.Ok;
    }
}
