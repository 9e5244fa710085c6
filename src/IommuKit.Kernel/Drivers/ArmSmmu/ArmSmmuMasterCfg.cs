namespace IommuKit.Kernel.Drivers.ArmSmmu;

/// <summary>struct arm_smmu_master_cfg: a master's SMMU and the stream map entry of each fwspec ID (dev_iommu_priv).</summary>
public sealed class ArmSmmuMasterCfg
{
    internal ArmSmmuMasterCfg(ArmSmmuDriver smmu, int ids)
    {
        Smmu = smmu;
        SmEndx = new short[ids];
        Array.Fill(SmEndx, (short)-1);
    }

    /// <summary>The SMMU the master sits behind.</summary>
    public ArmSmmuDriver Smmu { get; }

    /// <summary>smendx[]: the stream map entry per fwspec ID (−1 = none).</summary>
    public short[] SmEndx { get; }
}
