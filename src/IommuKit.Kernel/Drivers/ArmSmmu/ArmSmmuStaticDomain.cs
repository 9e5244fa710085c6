using IommuKit.Kernel.Base;
using IommuKit.Kernel.Iommu;

namespace IommuKit.Kernel.Drivers.ArmSmmu;

/// <summary>
/// arm_smmu_identity_domain / arm_smmu_blocked_domain: static domains whose attach points the
/// master's S2CRs at bypass or fault (arm_smmu_attach_dev_type).
/// </summary>
internal sealed class ArmSmmuStaticDomain(ArmSmmuDriver driver, uint s2crType) : IIommuDomainOps
{
    public Errno AttachDev(IommuDomain domain, Device dev, IommuDomain? old)
    {
        if (dev.Iommu?.Priv is not ArmSmmuMasterCfg cfg || cfg.Smmu != driver)
        {
            return Errno.ENODEV;
        }

        cfg.Smmu.MasterInstallS2crs(cfg, s2crType, 0);
        return Errno.Ok;
    }
}
