using IommuKit.Firmware.DeviceTree.Topology;
using TopologyIommu = IommuKit.Firmware.DeviceTree.Topology.IommuInstance;

namespace IommuKit.Kernel.Drivers.ArmSmmu;

/// <summary>
/// What firmware says about one SMMU (its devicetree node, as arm_smmu_device_dt_probe reads it):
/// where its registers are, which architecture version the compatible string implies, whether it
/// is DMA-coherent (<c>dma-coherent</c>: the table walker snoops), <c>stream-match-mask</c>,
/// <c>#iommu-cells</c> and how many context interrupts it wires.
/// </summary>
public sealed record ArmSmmuFirmware
{
    /// <summary>Platform device name, e.g. "5000000.iommu".</summary>
    public required string DeviceName { get; init; }

    /// <summary>Physical base of the register space (first <c>reg</c> entry).</summary>
    public required ulong BaseAddress { get; init; }

    /// <summary>Size of the mapped register region (first <c>reg</c> entry), checked against IDR1.</summary>
    public required ulong RegionSize { get; init; }

    /// <summary>SMMU architecture from the compatible string: 1 (arm,smmu-v1, mmu-400/401) or 2 (arm,smmu-v2, mmu-500).</summary>
    public int Version { get; init; } = 2;

    /// <summary>The compatible is "arm,mmu-500": the MMU-500 implementation hooks (arm_mmu500_reset) apply.</summary>
    public bool IsMmu500 { get; init; }

    /// <summary><c>dma-coherent</c> on the SMMU node: ARM_SMMU_FEAT_COHERENT_WALK.</summary>
    public bool DmaCoherent { get; init; }

    /// <summary><c>stream-match-mask</c>, used when <c>#iommu-cells</c> is 1.</summary>
    public uint? StreamMatchMask { get; init; }

    /// <summary>Context interrupts wired (interrupts minus <c>#global-interrupts</c>); null: one per context bank.</summary>
    public int? ContextInterrupts { get; init; }

    /// <summary>The firmware node masters' fwspecs point at (compared by reference); null: this record.</summary>
    public object? FwNode { get; init; }

    /// <summary>
    /// The facts of a devicetree SMMU as the topology resolver found them; <paramref name="baseAddress"/>
    /// and <paramref name="regionSize"/> come from its <c>reg</c>.
    /// </summary>
    public static ArmSmmuFirmware FromTopology(TopologyIommu smmu, ulong baseAddress, ulong regionSize)
    {
        ArgumentNullException.ThrowIfNull(smmu);
        if (smmu.Family != IommuFamily.ArmSmmu)
        {
            throw new ArgumentException($"{smmu.Path} is not an Arm SMMU v1/v2.", nameof(smmu));
        }

        return new ArmSmmuFirmware
        {
            DeviceName = $"{baseAddress:x}.{smmu.Node.BaseName}",
            BaseAddress = baseAddress,
            RegionSize = regionSize,
            Version = smmu.Identity.ArmSmmuArchitecture == 1 ? 1 : 2,
            IsMmu500 = smmu.Identity.SmmuModel == ArmSmmuModel.Mmu500,
            DmaCoherent = smmu.DmaCoherent,
            StreamMatchMask = smmu.StreamMatchMask,
            FwNode = smmu.Node,
        };
    }
}
