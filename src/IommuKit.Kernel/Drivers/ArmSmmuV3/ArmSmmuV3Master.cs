using IommuKit.Kernel.Base;
using static IommuKit.Kernel.Drivers.ArmSmmuV3.ArmSmmuV3Regs;

namespace IommuKit.Kernel.Drivers.ArmSmmuV3;

/// <summary>
/// struct arm_smmu_master: a device behind the SMMU (dev_iommu_priv): its StreamIDs, its CANWBS
/// firmware flag, the domain its STEs point at, and its CD table (one CD: PASIDs are not modelled).
/// </summary>
public sealed class ArmSmmuV3Master
{
    internal ArmSmmuV3Master(ArmSmmuV3Driver driver, Device device, uint[] sids, bool canwbs)
    {
        Driver = driver;
        Device = device;
        Sids = sids;
        Canwbs = canwbs;
    }

    public ArmSmmuV3Driver Driver { get; }

    public Device Device { get; }

    /// <summary>The StreamIDs from the fwspec.</summary>
    public IReadOnlyList<uint> Sids { get; }

    /// <summary>IOMMU_FWSPEC_PCI_RC_CANWBS.</summary>
    public bool Canwbs { get; }

    /// <summary>The paging domain attached, or null (identity, blocked, none).</summary>
    public ArmSmmuV3Domain? Domain { get; internal set; }

    /// <summary>Physical address of the CD table (0 until a stage-1 domain is attached).</summary>
    public ulong CdTablePa { get; private set; }

    /// <summary>arm_smmu_alloc_cd_tables(): a linear table of one CD (s1cdmax = 0).</summary>
    internal Errno EnsureCdTable()
    {
        if (CdTablePa != 0)
        {
            return Errno.Ok;
        }

        if (!Driver.TryAllocCoherent(CTXDESC_CD_SIZE, out ulong pa))
        {
            return Errno.ENOMEM;
        }

        CdTablePa = pa;
        return Errno.Ok;
    }

    /// <summary>
    /// arm_smmu_write_cd_entry() for SSID 0: a valid CD is first cleared (V=0) and invalidated,
    /// then dwords 1–7 and dword 0 are written, followed by CFGI_CD + CMD_SYNC.
    /// </summary>
    internal void WriteCd(ReadOnlySpan<ulong> cd)
    {
        ulong pa = CdTablePa;
        if ((Driver.ReadStruct64(pa) & CTXDESC_CD_0_V) != 0)
        {
            Driver.WriteStruct64(pa, 0);
            Driver.SyncCd(this);
        }

        for (int i = 1; i < CTXDESC_CD_DWORDS; i++)
        {
            Driver.WriteStruct64(pa + ((ulong)i * 8), cd[i]);
        }

        Driver.WriteStruct64(pa, cd[0]);
        Driver.SyncCd(this);
    }

    /// <summary>arm_smmu_clear_cd(): invalidate the CD once the STE no longer uses it.</summary>
    internal void ClearCd()
    {
        if (CdTablePa != 0 && (Driver.ReadStruct64(CdTablePa) & CTXDESC_CD_0_V) != 0)
        {
            Driver.WriteStruct64(CdTablePa, 0);
            Driver.SyncCd(this);
        }
    }

    internal void FreeCdTable()
    {
        if (CdTablePa != 0)
        {
            Driver.FreeCoherent(CdTablePa, CTXDESC_CD_SIZE);
            CdTablePa = 0;
        }
    }

    public override string ToString() => $"{Device.Name} (SIDs {string.Join(',', Sids.Select(s => $"0x{s:x}"))})";
}
