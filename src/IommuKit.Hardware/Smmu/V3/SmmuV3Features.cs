namespace IommuKit.Hardware.Smmu.V3;

/// <summary>
/// What an SMMUv3 implementation supports. The model derives its ID registers (SMMU_IDR0/1/3/5,
/// SMMU_IIDR, SMMU_AIDR) from this record and enforces the same limits when it validates
/// STEs, CDs and commands. Defaults describe a typical SMMUv3.2 on an Armv8 server: both
/// stages, 16-bit ASIDs and VMIDs, hardware access/dirty updates, 2-level stream and CD tables,
/// 48-bit physical addresses, all three granules, range invalidation.
/// </summary>
public sealed record SmmuV3Features
{
    /// <summary>IDR0.S1P: stage-1 translation.</summary>
    public bool Stage1 { get; init; } = true;

    /// <summary>IDR0.S2P: stage-2 translation.</summary>
    public bool Stage2 { get; init; } = true;

    /// <summary>
    /// IDR0.COHACC: the implementation says its own accesses (table walks, queues) are
    /// IO-coherent. Advertised only: whether they really snoop is the constructor's
    /// <c>coherentWalk</c> (how the SMMU is wired), as Linux trusts firmware over this bit.
    /// </summary>
    public bool CoherentAccess { get; init; } = true;

    /// <summary>IDR0.ASID16: 16-bit ASIDs (else 8-bit).</summary>
    public bool Asid16 { get; init; } = true;

    /// <summary>IDR0.VMID16: 16-bit VMIDs (else 8-bit).</summary>
    public bool Vmid16 { get; init; } = true;

    /// <summary>IDR0.HTTU: hardware update of the access flag (and dirty state) in translation tables.</summary>
    public SmmuV3Httu Httu { get; init; } = SmmuV3Httu.AccessAndDirty;

    /// <summary>IDR0.Hyp: EL2 StreamWorlds (STE.STRW = EL2, SMMU_CR2.E2H, CMD_TLBI_EL2_*).</summary>
    public bool Hyp { get; init; }

    /// <summary>IDR0.ST_LEVEL: 2-level stream tables.</summary>
    public bool TwoLevelStreamTable { get; init; } = true;

    /// <summary>IDR0.CD2L: 2-level context-descriptor tables.</summary>
    public bool TwoLevelCdTable { get; init; } = true;

    /// <summary>
    /// IDR0.TERM_MODEL = 1: a faulting transaction is always aborted, CD.A = 0 (RAZ/WI
    /// termination) is ILLEGAL. False: both termination behaviours are supported.
    /// </summary>
    public bool TerminateAbortOnly { get; init; }

    /// <summary>IDR1.SIDSIZE: StreamID bits (0–32).</summary>
    public int StreamIdBits { get; init; } = 16;

    /// <summary>IDR1.SSIDSIZE: SubstreamID bits (0–20; 0 = substreams unsupported).</summary>
    public int SubstreamIdBits { get; init; } = 20;

    /// <summary>IDR1.CMDQS: log2 of the largest Command queue (0–19).</summary>
    public int CommandQueueLog2Entries { get; init; } = 10;

    /// <summary>IDR1.EVENTQS: log2 of the largest Event queue (0–19).</summary>
    public int EventQueueLog2Entries { get; init; } = 10;

    /// <summary>IDR3.RIL: range-based TLB invalidation and the TTL level hint.</summary>
    public bool RangeInvalidation { get; init; } = true;

    /// <summary>IDR5.OAS as a size in bits: 32, 36, 40, 42, 44, 48 or 52.</summary>
    public int OutputAddressBits { get; init; } = 48;

    /// <summary>IDR5.GRAN4K.</summary>
    public bool Granule4K { get; init; } = true;

    /// <summary>IDR5.GRAN16K.</summary>
    public bool Granule16K { get; init; } = true;

    /// <summary>IDR5.GRAN64K.</summary>
    public bool Granule64K { get; init; } = true;

    /// <summary>SMMU_IIDR (implementer, revision, variant, product ID). 0 matches no erratum list.</summary>
    public uint Iidr { get; init; }

    /// <summary>The IMPLEMENTATION DEFINED reset value of SMMU_GBPA.ABORT (true: deny by default).</summary>
    public bool GbpaAbortAtReset { get; init; }

    /// <summary>TLB capacity in entries (a power of two, at least 64); 4-way set associative.</summary>
    public int TlbEntries { get; init; } = 4096;

    /// <summary>Configuration-cache capacity in STEs (at least 16); CDs are cached per STE.</summary>
    public int ConfigCacheEntries { get; init; } = 1024;

    /// <summary>Throws <see cref="ArgumentException"/> if the record describes no implementable SMMU.</summary>
    public void Validate()
    {
        if (!Stage1 && !Stage2)
        {
            throw new ArgumentException("An SMMUv3 implements stage 1, stage 2 or both.");
        }

        if (StreamIdBits is < 0 or > 32 || SubstreamIdBits is < 0 or > 20)
        {
            throw new ArgumentException("SIDSIZE is 0-32 and SSIDSIZE 0-20.");
        }

        if (CommandQueueLog2Entries is < 0 or > 19 || EventQueueLog2Entries is < 0 or > 19)
        {
            throw new ArgumentException("CMDQS and EVENTQS are 0-19.");
        }

        if (OutputAddressBits is not (32 or 36 or 40 or 42 or 44 or 48 or 52))
        {
            throw new ArgumentException("OAS is one of 32, 36, 40, 42, 44, 48, 52 bits.");
        }

        if (!Granule4K && !Granule16K && !Granule64K)
        {
            throw new ArgumentException("At least one translation granule is supported.");
        }

        if (TlbEntries < 64 || (TlbEntries & (TlbEntries - 1)) != 0)
        {
            throw new ArgumentException("TlbEntries is a power of two, at least 64.");
        }

        if (ConfigCacheEntries < 16)
        {
            throw new ArgumentException("ConfigCacheEntries is at least 16.");
        }
    }
}
