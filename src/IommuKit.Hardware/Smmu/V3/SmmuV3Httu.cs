namespace IommuKit.Hardware.Smmu.V3;

/// <summary>SMMU_IDR0.HTTU: hardware translation-table updates.</summary>
public enum SmmuV3Httu
{
    /// <summary>0b00: no hardware updates; AF = 0 is an Access flag fault.</summary>
    None = 0,

    /// <summary>0b01: hardware update of the access flag (CD.HA / STE.S2HA).</summary>
    AccessFlag = 1,

    /// <summary>0b10: access flag and dirty state (CD.HD / STE.S2HD with DBM).</summary>
    AccessAndDirty = 2,
}
