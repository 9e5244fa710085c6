using System.Numerics;
using IommuKit.Hardware.Dma;
using IommuKit.Hardware.Memory;

namespace IommuKit.Hardware.Smmu.V3;

/// <summary>
/// An Arm SMMUv3 (architecture version 3.2, Non-secure programming interface): software drives
/// it only through its MMIO registers (<see cref="IMmioDevice"/>, pages 0 and 1) and the
/// structures it places in simulated RAM (Stream table, CDs, translation tables, Command and
/// Event queues); devices' DMA enters through <see cref="IDmaTarget"/> or <see cref="Translate"/>.
/// </summary>
/// <remarks>
/// <para>Not implemented (a guest sees the feature as absent in the ID registers, or the
/// behaviour described):</para>
/// <list type="bullet">
/// <item>Secure and Realm programming interfaces (SMMU_S_*, SMMU_R_*), SEC_SID, Secure stage 2.</item>
/// <item>PCIe ATS, ATC invalidation and PRI (IDR0.ATS = PRI = 0; CMD_ATC_INV, CMD_PRI_RESP are illegal).</item>
/// <item>The stall fault model (IDR0.STALL_MODEL = 0b01: CD.S = 1, STE.S2S = 1 and STE.S1STALLD = 1 are ILLEGAL; CMD_RESUME, CMD_STALL_TERM are illegal).</item>
/// <item>MSIs (IDR0.MSI = 0: the *_IRQ_CFG registers are RES0; interrupts are wired and edge-triggered, see <see cref="InterruptRaised"/>).</item>
/// <item>AArch32 (VMSAv8-32 LPAE) tables (IDR0.TTF = AArch64 only), big-endian tables (TTENDIAN = LE), VMSAv9-128, FEAT_LPA2 (DS), 52-bit VAs (VAX = 0), STT.</item>
/// <item>Broadcast TLB maintenance (BTM = 0), VMID wildcards, the PRI queue, GATOS/VATOS, event merging, MPAM, MEC, DPT, ECMDQ, PMCG, RAS.</item>
/// <item>Attribute and permission overrides (IDR1.ATTR_TYPES_OVR = ATTR_PERMS_OVR = 0): STE.MTCFG/MemAttr/SHCFG/ALLOCCFG/PRIVCFG/INSTCFG and GBPA's override fields are not applied (they read back in GBPA).</item>
/// <item>CD.AFFD, STE.S2AFFD, CD.PAN, CD.HAD, STE.S2PTW, STE.S2FWB (IDR3.FWB = 0), TBI's effect on invalidation, the TTL hint (invalidations never narrow by level or granule).</item>
/// <item>Walk caches: only leaf translations are cached, so a miss always walks from the table base; CMD_PREFETCH_* do nothing.</item>
/// <item>CMD_SYNC completes at once: all commands run synchronously when SMMU_CMDQ_PROD is written; a translation racing on another thread with an invalidation may still finish with the old configuration.</item>
/// </list>
/// <para>Caching: valid STEs, L1STDs, CDs and L1CDs are cached from their first use until a
/// matching CMD_CFGI_*; leaf translations until a matching CMD_TLBI_*. Invalid structures are
/// never cached. A driver that forgets an invalidation keeps seeing the old configuration or
/// translation, as on hardware. Caches have a bounded size (<see cref="SmmuV3Features"/>) and
/// evict silently when full, which the architecture allows.</para>
/// <para>Memory attributes: a translated transaction snoops the CPU caches when the final
/// attributes are Normal Inner and Outer Write-Back (stage 1 MAIR[AttrIndx]; stage 2 MemAttr
/// 0b1111; both for a nested translation) and Inner or Outer Shareable, and the transaction is
/// not No-Snoop; otherwise it does not. A bypassed transaction snoops unless it is No-Snoop.
/// The SMMU's own accesses (queues, Stream table, CDs, table walks and hardware updates) snoop
/// when the SMMU is wired coherently (<c>coherentWalk</c>) and their programmed attributes
/// (SMMU_CR1 queue and table fields, STE.S1CIR/S1COR/S1CSH, CD.IRx/ORx/SHx,
/// STE.S2IR0/S2OR0/S2SH0) are Write-Back and shareable. IDR0.COHACC only advertises; Linux takes
/// coherency from firmware (<c>dma-coherent</c>) and ignores it.</para>
/// <para>Faults: configuration errors and external aborts are always recorded; the four
/// translation-related faults are recorded if CD.R (stage 1) or STE.S2R (stage 2) is set. A
/// stage-1 fault terminates with an abort if CD.A, else RAZ/WI; everything else aborts. A
/// stage-1 Address Size fault of a transaction that bypasses stage 1 (input address beyond the
/// OAS) is always recorded. An Abort STE and GBPA.ABORT abort silently.</para>
/// <para>Threading: MMIO, command processing, cache fills and event recording take one lock;
/// a TLB hit does not (entries carry a sequence number).</para>
/// </remarks>
public sealed partial class SmmuV3 : IMmioDevice, IDmaTarget
{
    /// <summary>Size of the MMIO region: register pages 0 and 1, 64 KiB each.</summary>
    public const ulong MmioSize = SmmuV3Registers.Size;

    private readonly PhysicalMemory _memory;
    private readonly Lock _lock = new();
    private readonly SmmuV3Tlb _tlb;
    private readonly int _oas;
    private readonly int _steFastMask;
    private readonly SmmuV3StreamConfig?[] _steFast;
    private readonly Dictionary<uint, SmmuV3StreamConfig> _stes = [];
    private readonly Dictionary<uint, ulong> _l1Stds = [];
    private int _pendingIrqs;

    /// <summary>Creates an SMMU in its reset state.</summary>
    /// <param name="memory">The physical address space the SMMU reads structures from and sends translated transactions to.</param>
    /// <param name="features">What the implementation supports (drives the ID registers).</param>
    /// <param name="coherentWalk">
    /// Whether the SMMU's own accesses can snoop the CPU caches (it sits on a coherent port); the
    /// truth that firmware's <c>dma-coherent</c> should describe, independent of IDR0.COHACC.
    /// </param>
    public SmmuV3(PhysicalMemory memory, SmmuV3Features features, bool coherentWalk)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(features);
        features.Validate();
        _memory = memory;
        Features = features;
        CoherentWalk = coherentWalk;
        _oas = features.OutputAddressBits;
        _tlb = new SmmuV3Tlb(features.TlbEntries);
        int fast = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Min(features.ConfigCacheEntries, 1024));
        _steFast = new SmmuV3StreamConfig?[fast];
        _steFastMask = fast - 1;
        _idr0 = ComputeIdr0(features);
        _idr1 = ComputeIdr1(features);
        _idr3 = features.RangeInvalidation ? 1u << SmmuV3Registers.IDR3_RIL : 0;
        _idr5 = ComputeIdr5(features);
        _gbpa = features.GbpaAbortAtReset ? SmmuV3Registers.GBPA_ABORT : 0;
    }

    /// <summary>The implementation's feature set.</summary>
    public SmmuV3Features Features { get; }

    /// <summary>True if the SMMU's own accesses can snoop the CPU caches.</summary>
    public bool CoherentWalk { get; }

    /// <summary>
    /// Called when a wired interrupt fires (edge). Invoked after the SMMU has released its lock,
    /// on the thread whose MMIO write or DMA caused it.
    /// </summary>
    public Action<SmmuV3Irq>? InterruptRaised { get; set; }

    /// <summary>Valid TLB entries (diagnostics and tests).</summary>
    internal int TlbEntryCount
    {
        get
        {
            lock (_lock)
            {
                return _tlb.Count;
            }
        }
    }

    /// <inheritdoc />
    public DmaStatus DmaRead(uint streamId, ulong address, Span<byte> destination, DmaAttributes attributes)
    {
        while (!destination.IsEmpty)
        {
            Translate(streamId, address, attributes, write: false, out SmmuV3Translation t);
            int n = (int)Math.Min((ulong)destination.Length, Math.Max(t.Length, 1));
            switch (t.Status)
            {
                case SmmuV3TranslationStatus.Aborted:
                    return DmaStatus.Fault;
                case SmmuV3TranslationStatus.Terminated:
                    destination[..n].Clear();
                    break;
                default:
                    if (_memory.Read(t.OutputAddress, destination[..n], t.Access) != BusStatus.Ok)
                    {
                        return DmaStatus.BusError;
                    }

                    break;
            }

            destination = destination[n..];
            address += (ulong)n;
        }

        return DmaStatus.Ok;
    }

    /// <inheritdoc />
    public DmaStatus DmaWrite(uint streamId, ulong address, ReadOnlySpan<byte> source, DmaAttributes attributes)
    {
        while (!source.IsEmpty)
        {
            Translate(streamId, address, attributes, write: true, out SmmuV3Translation t);
            int n = (int)Math.Min((ulong)source.Length, Math.Max(t.Length, 1));
            switch (t.Status)
            {
                case SmmuV3TranslationStatus.Aborted:
                    return DmaStatus.Fault;
                case SmmuV3TranslationStatus.Terminated:
                    break; // write ignored
                default:
                    if (_memory.Write(t.OutputAddress, source[..n], t.Access) != BusStatus.Ok)
                    {
                        return DmaStatus.BusError;
                    }

                    break;
            }

            source = source[n..];
            address += (ulong)n;
        }

        return DmaStatus.Ok;
    }

    /// <summary>Marks an interrupt to be signalled once the lock is released (caller holds the lock).</summary>
    private void PendIrq(SmmuV3Irq irq) => _pendingIrqs |= 1 << (int)irq;

    /// <summary>Signals the interrupts pended under the lock. Call without holding the lock.</summary>
    private void FlushIrqs()
    {
        if (Volatile.Read(ref _pendingIrqs) == 0)
        {
            return;
        }

        int pending;
        lock (_lock)
        {
            pending = _pendingIrqs;
            _pendingIrqs = 0;
        }

        Action<SmmuV3Irq>? handler = InterruptRaised;
        if (handler is null)
        {
            return;
        }

        for (int i = 0; i < 3; i++)
        {
            if ((pending & (1 << i)) != 0)
            {
                handler((SmmuV3Irq)i);
            }
        }
    }
}
