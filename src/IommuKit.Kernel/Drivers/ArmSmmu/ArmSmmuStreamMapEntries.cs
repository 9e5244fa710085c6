using IommuKit.Kernel.Iommu;

namespace IommuKit.Kernel.Drivers.ArmSmmu;

/// <summary>struct arm_smmu_smr: the driver's copy of one SMR.</summary>
internal struct ArmSmmuSmr
{
    public ushort Mask;
    public ushort Id;
    public bool Valid;
}

/// <summary>struct arm_smmu_s2cr: the driver's copy of one S2CR, with the group and use count of its entry.</summary>
internal struct ArmSmmuS2cr
{
    public IommuGroup? Group;
    public int Count;
    public uint Type;
    public uint Privcfg;
    public byte Cbndx;
}

/// <summary>struct arm_smmu_cb: register values of a context bank and the domain using it.</summary>
internal sealed class ArmSmmuCb
{
    public ArmSmmuDomain? Cfg;
    public readonly uint[] Tcr = new uint[2];
    public readonly ulong[] Ttbr = new ulong[2];
    public readonly uint[] Mair = new uint[2];
}
