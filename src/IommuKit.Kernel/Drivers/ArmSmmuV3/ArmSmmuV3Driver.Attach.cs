using IommuKit.Kernel.Iommu;

namespace IommuKit.Kernel.Drivers.ArmSmmuV3;

public sealed partial class ArmSmmuV3Driver
{
    /// <summary>
    /// arm_smmu_attach_dev() for a paging domain: EINVAL if the domain belongs to another SMMU or
    /// enforces cache coherency and the master is not CANWBS; ENOMEM without CD-table memory.
    /// Stage 1 writes the CD then the CD-table STE; stage 2 writes the S2 STE.
    /// </summary>
    internal Errno AttachPaging(ArmSmmuV3Master master, ArmSmmuV3Domain domain)
    {
        if (domain.Driver != this)
        {
            return Errno.EINVAL;
        }

        // arm_smmu_attach_prepare(): a CANWBS-enforcing domain takes only CANWBS masters.
        if (domain.EnforcesCacheCoherency && !master.Canwbs)
        {
            return Errno.EINVAL;
        }

        if (domain.Stage == ArmSmmuV3Stage.S1)
        {
            Errno ret = master.EnsureCdTable();
            if (ret != Errno.Ok)
            {
                return ret;
            }

            master.WriteCd(domain.CdWords);
            WriteMasterStes(master, MakeCdTableSte(master));
        }
        else
        {
            WriteMasterStes(master, MakeS2Ste(domain));
            master.ClearCd();
        }

        SetMasterDomain(master, domain);
        return Errno.Ok;
    }

    /// <summary>arm_smmu_attach_dev_ste(): bypass or abort STE; the CD is cleared afterwards.</summary>
    internal void AttachStatic(ArmSmmuV3Master master, ArmSmmuV3StaticKind kind)
    {
        WriteMasterStes(master, kind == ArmSmmuV3StaticKind.Bypass ? MakeBypassSte() : MakeAbortSte());
        master.ClearCd();
        SetMasterDomain(master, null);
    }

    private static void SetMasterDomain(ArmSmmuV3Master master, ArmSmmuV3Domain? domain)
    {
        if (master.Domain != domain)
        {
            master.Domain?.Detach(master);
            domain?.AddMaster(master);
            master.Domain = domain;
        }
    }
}
