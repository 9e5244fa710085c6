namespace IommuKit.Kernel.Drivers.ArmSmmuV3;

/// <summary>ARM_SMMU_FEAT_*: what arm_smmu_device_hw_probe found (and what firmware forced).</summary>
[Flags]
public enum ArmSmmuV3Features
{
    None = 0,
    TwoLevelStrtab = 1 << 0,
    TwoLevelCdtab = 1 << 1,
    TtLe = 1 << 2,
    TtBe = 1 << 3,
    Pri = 1 << 4,
    Ats = 1 << 5,
    Sev = 1 << 6,
    Msi = 1 << 7,
    Coherency = 1 << 8,
    TransS1 = 1 << 9,
    TransS2 = 1 << 10,
    Stalls = 1 << 11,
    Hyp = 1 << 12,
    StallForce = 1 << 13,
    Vax = 1 << 14,
    RangeInv = 1 << 15,
    Btm = 1 << 16,
    Sva = 1 << 17,
    E2h = 1 << 18,
    Nesting = 1 << 19,
    AttrTypesOvr = 1 << 20,
    Ha = 1 << 21,
    Hd = 1 << 22,
    S2Fwb = 1 << 23,
}
