using IommuKit.Hardware.Dma;
using IommuKit.Hardware.Memory;
using static IommuKit.Hardware.Smmu.V2.SmmuV2Registers;

namespace IommuKit.Hardware.Smmu.V2;

/// <summary>
/// An Arm System MMU architecture v1/v2 (IHI 0062; MMU-400/401/500 class): stream matching or
/// indexing, translation context banks with stage-1, stage-2 and nested translation over Arm
/// long-descriptor tables in simulated memory, a TLB, and context and global fault reporting.
/// Software programs it only through its registers (<see cref="IMmioDevice"/>); masters' DMA
/// enters through <see cref="IDmaTarget"/> and leaves translated into <see cref="PhysicalMemory"/>.
/// </summary>
/// <remarks>
/// <para><b>Not implemented</b> (a transaction or register that would need them behaves as stated):</para>
/// <list type="bullet">
/// <item>Security extensions: no Secure state, no Secure register aliases (nsCR0, nsGFSR, …),
/// IDR0.SES = 0; every transaction and register access is Non-secure. sCR1, NSCFG fields are
/// stored or ignored; FSYNR0.NSSTATE/NSATTR read 0.</item>
/// <item>Stalls: SCTLR.CFCFG = 1, sCR0.GSE/STALLD and HUPCF are stored but faults always
/// terminate; SMMU_CBn_RESUME is ignored; FSR.SS is never set.</item>
/// <item>Interrupts beyond a level: <see cref="GlobalInterruptPending"/>,
/// <see cref="ContextInterruptPending"/> and the rising-edge events; no MSI, no interrupt
/// controller. Configuration access faults (sGFSR.CAF, sCR0.GCFGFRE/GCFGFIE) are never raised.</item>
/// <item>Address translation operations other than SMMU_CBn_ATS1PR (no ATS1PW/UR/UW, no global
/// GATS*), which completes at once (ATSR.ACTIVE reads 0) and neither uses nor fills the TLB.</item>
/// <item>The AArch32 short-descriptor format (a bank with TCR.EAE = 0 faults as a translation
/// fault), big-endian walks (SCTLR.E is stored, walks are little-endian), SCTLR.AFFD and
/// hardware access-flag/dirty updates (AF = 0 is an access flag fault), SCTLR.UWXN,
/// stage-2 FWB and XN[0] (see the LPAE walker).</item>
/// <item>Walk caches and TLB lockdown: TLBIVAL / TLBIVAAL / TLBIIPAS2L act as their non-L forms;
/// no TLB conflict or lockdown faults (FSR.TLBMCF/TLBLKF), no unsupported upstream transactions
/// (UUT). Hypervisor contexts (CBAR.HYPC) do not exist, so TLBIALLH invalidates nothing.</item>
/// <item>The performance monitors, the implementation-defined GID / PM pages and ACTLR / sACR
/// behaviour (stored, no effect), broadcast TLB maintenance, transient / read / write
/// allocation hints, shareability overrides.</item>
/// </list>
/// <para><b>Modelling choices</b> where the architecture leaves latitude or where it is
/// simplified: a stream-match conflict with sCR0.SMCFCFG = 0 (UNPREDICTABLE) uses the
/// lowest-numbered matching SMR; a stream ID wider than the implemented stream ID bits matches
/// no SMR; a client address beyond the upstream bus size (IDR2.UBS) is a level-0 translation
/// fault; S2CR.TYPE fault (or the reserved 3) is an invalid context fault; a CBAR type the bank
/// cannot have is an invalid context fault; a "stage 1, stage 2 fault" bank records a level-0
/// translation fault in its own FSR once stage 1 succeeds. Faults are recorded only while the
/// fault status register is clear; a later fault just sets MULTI. Context interrupt n belongs to
/// context bank n on SMMUv2 and to CBAR.IRPTNDX on SMMUv1.</para>
/// <para><b>Coherency</b>: a translated access snoops the CPU caches
/// (<see cref="BusAccess.Snoop"/>) only if its final memory type is Normal inner and outer
/// Write-Back — stage-1 MAIR attribute, stage-2 MemAttr, the CBAR stage-2-bypass MEMATTR, or the
/// S2CR / sCR0 / SCTLR override when MTCFG = 1, combined so that the weaker type wins — and the
/// transaction is not No-Snoop; otherwise it goes to RAM directly (<see cref="BusAccess.NoSnoop"/>).
/// Untranslated accesses without an override keep the master's own attribute. Table walks snoop
/// only if the SMMU is wired coherently (<c>coherentWalk</c>, what firmware's <c>dma-coherent</c>
/// on the SMMU node describes) and the bank's TCR walk attributes (IRGN and ORGN) are both
/// Write-Back; IDR0.CTTW is only advertised.</para>
/// <para><b>Threading</b>: register accesses and TLB fills are serialised by one lock; the
/// translation path is lock-free on a TLB hit (a sequence counter validates what it read and
/// falls back to the locked path on a race). Interrupt events are raised outside the lock.</para>
/// </remarks>
public sealed partial class SmmuV2 : IMmioDevice, IDmaTarget
{
    private const uint Scr0ResetValue = sCR0_CLIENTPD | sCR0_SMCFCFG;
    private const uint S2crResetValue = S2CR_TYPE_FAULT << S2CR_TYPE_Shift;

    private readonly PhysicalMemory _memory;
    private readonly SmmuV2Features _features;
    private readonly bool _coherentWalk;
    private readonly Lock _lock = new();
    private readonly uint[] _smr;
    private readonly uint[] _s2cr;
    private readonly SmmuV2ContextBank[] _banks;
    private readonly SmmuV2Tlb _tlb;
    private readonly int _pageShift;
    private readonly int _numPage;
    private readonly int _numS2Banks;
    private readonly bool _version2;
    private readonly bool _streamMatching;
    private readonly int _upstreamBusBits;

    private int _seq;
    private int _mutationDepth;
    private long _walkCount;

    private uint _scr0;
    private uint _scr2;
    private uint _sacr;
    private uint _sgfsr;
    private uint _sgfsynr0;
    private uint _sgfsynr1;
    private uint _sgfsynr2;
    private ulong _sgfar;

    /// <summary>
    /// Creates an SMMU in its reset state (sCR0.CLIENTPD = 1: everything bypasses until software
    /// enables it). <paramref name="memory"/> is where table walks and translated DMA go;
    /// <paramref name="coherentWalk"/> says whether the table walker snoops CPU caches.
    /// </summary>
    /// <exception cref="ArgumentException">The feature combination is not buildable.</exception>
    public SmmuV2(PhysicalMemory memory, SmmuV2Features features, bool coherentWalk)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(features);
        features.Validate();
        _memory = memory;
        _features = features;
        _coherentWalk = coherentWalk;
        _version2 = features.ArchitectureVersion == 2;
        _streamMatching = features.StreamMatching;
        _upstreamBusBits = features.UpstreamBusBits;
        _pageShift = features.PageShift;
        _numPage = features.GlobalPages;
        _numS2Banks = features.Stage2ContextBanks;
        _smr = new uint[features.StreamMatching ? features.StreamMatchRegisterGroups : 0];
        _s2cr = new uint[features.StreamMappingGroups];
        _banks = new SmmuV2ContextBank[features.ContextBanks];
        for (int i = 0; i < _banks.Length; i++)
        {
            _banks[i] = new SmmuV2ContextBank(i);
        }

        _tlb = new SmmuV2Tlb(features.TlbEntries);
        _lineLevel = new bool[Math.Max(1, features.ContextInterruptCount)];
        _lineScratch = new bool[_lineLevel.Length];
        ResetLocked();
    }

    /// <summary>Raised (outside the SMMU's lock) when the global fault interrupt goes from deasserted to asserted.</summary>
    public event Action? GlobalInterruptRaised;

    /// <summary>Raised (outside the SMMU's lock) when context interrupt line n goes from deasserted to asserted; the argument is n.</summary>
    public event Action<int>? ContextInterruptRaised;

    /// <summary>The configuration the SMMU was built with.</summary>
    public SmmuV2Features Features => _features;

    /// <summary>True if table walks snoop CPU caches (firmware's <c>dma-coherent</c> on the SMMU node).</summary>
    public bool CoherentWalk => _coherentWalk;

    /// <summary>Size of the MMIO region to map: 2 × NUMPAGE register pages.</summary>
    public ulong RegisterSpaceSize => _features.RegisterSpaceSize;

    /// <summary>Table walks performed so far (TLB misses that walked, and ATS1PR operations).</summary>
    public long WalkCount => Interlocked.Read(ref _walkCount);

    /// <summary>Valid TLB entries (for tests and diagnostics).</summary>
    public int TlbEntryCount
    {
        get
        {
            lock (_lock)
            {
                return _tlb.Count;
            }
        }
    }

    /// <summary>Offset of context bank <paramref name="contextBank"/>'s register page from the start of the register space.</summary>
    public ulong ContextBankOffset(int contextBank)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(contextBank);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(contextBank, _banks.Length);
        return (ulong)(_numPage + contextBank) << _pageShift;
    }

    /// <summary>Returns every register to its reset value and empties the TLB (a hardware reset).</summary>
    public void Reset()
    {
        lock (_lock)
        {
            BeginMutation();
            ResetLocked();
            EndMutation();
        }
    }

    private void ResetLocked()
    {
        _scr0 = Scr0ResetValue;
        _scr2 = 0;
        _sacr = 0;
        _sgfsr = 0;
        _sgfsynr0 = 0;
        _sgfsynr1 = 0;
        _sgfsynr2 = 0;
        _sgfar = 0;
        Array.Clear(_smr);
        Array.Fill(_s2cr, S2crResetValue);
        foreach (SmmuV2ContextBank b in _banks)
        {
            b.Sctlr = 0;
            b.Actlr = 0;
            b.Tcr2 = 0;
            b.Tcr = 0;
            b.Contextidr = 0;
            b.Mair0 = 0;
            b.Mair1 = 0;
            b.Fsr = 0;
            b.Fsynr0 = 0;
            b.Fsynr1 = 0;
            b.Ttbr0 = 0;
            b.Ttbr1 = 0;
            b.Par = 0;
            b.Far = 0;
            b.Ipafar = 0;
            b.Cbar = 0;
            b.Cba2r = 0;
            b.Cbfrsynra = 0;
            b.Dirty = true;
        }

        _tlb.InvalidateAll();
        ClearStreamCache();
        _globalLevel = false;
        Array.Clear(_lineLevel);
    }

    /// <summary>Marks the start of a change to state the lock-free translation path reads (caller holds the lock).</summary>
    private void BeginMutation()
    {
        if (_mutationDepth++ == 0)
        {
            Interlocked.Increment(ref _seq);
        }
    }

    /// <summary>Marks the end of the change (caller holds the lock).</summary>
    private void EndMutation()
    {
        if (--_mutationDepth == 0)
        {
            Volatile.Write(ref _seq, _seq + 1);
        }
    }
}
