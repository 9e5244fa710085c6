using IommuKit.Kernel.Base;

namespace IommuKit.Kernel.Drivers.ArmSmmuV3;

/// <summary>
/// What the arm-smmu-v3 driver learns from firmware and the kernel build: where the SMMU's
/// registers are, the SMMU node's <c>dma-coherent</c> and <c>#iommu-cells</c>, the per-master
/// CANWBS flag (IORT root-complex memory-access flags), the module parameter
/// <c>disable_bypass</c> and which kernel generation's capability answers to give.
/// </summary>
public sealed record ArmSmmuV3Options
{
    /// <summary>Physical address of register page 0 (page 1 follows at +64 KiB).</summary>
    public ulong BaseAddress { get; init; }

    /// <summary>The SMMU node's <c>dma-coherent</c> (or IORT COHACC_OVERRIDE): sets ARM_SMMU_FEAT_COHERENCY.</summary>
    public bool DmaCoherent { get; init; }

    /// <summary>The SMMU node's <c>#iommu-cells</c>; Linux accepts only 1.</summary>
    public uint IommuCells { get; init; } = 1;

    /// <summary>The SMMU's firmware node (matched against masters' fwspecs), or null.</summary>
    public object? FwNode { get; init; }

    /// <summary>The SMMU device's name (dev_name), used in messages, e.g. "9050000.smmuv3".</summary>
    public string DeviceName { get; init; } = "arm-smmu-v3.0.auto";

    /// <summary>
    /// IOMMU_FWSPEC_PCI_RC_CANWBS for a master: its root complex forces write-back cacheable,
    /// snooping DMA, so ENFORCE_CACHE_COHERENCY can be honoured. Null: no master has it.
    /// </summary>
    public Func<Device, bool>? Canwbs { get; init; }

    /// <summary>The disable_bypass module parameter (default true): GBPA aborts while the SMMU is disabled.</summary>
    public bool DisableBypass { get; init; } = true;

    /// <summary>Which kernel's capable() answers to model.</summary>
    public ArmSmmuV3KernelProfile KernelProfile { get; init; } = ArmSmmuV3KernelProfile.Current;

    /// <summary>Maximum polls of CMDQ_CONS / CR0ACK before a timeout (the model completes at once; hardware takes up to 1 s).</summary>
    public int PollLimit { get; init; } = 1000;
}
