using System.Numerics;
using System.Runtime.CompilerServices;
using IommuKit.Hardware.Memory;

namespace IommuKit.Hardware.PageTables.ArmLpae;

/// <summary>
/// Linux's Arm LPAE io-pgtable (<c>drivers/iommu/io-pgtable-arm.c</c>, current mainline): the
/// page-table code IOMMU drivers (arm-smmu, arm-smmu-v3, …) use to build long-descriptor tables
/// in memory. Tables live in simulated RAM in the exact byte format an SMMU walks.
/// </summary>
/// <remarks>
/// <para>Behaviour follows the kernel: the IOMMU core chooses page sizes, <see cref="MapPages"/>
/// installs <c>pgcount</c> leaves of one size (stopping at the end of a table page); a leaf in the
/// way is <see cref="PageTableStatus.Exists"/>; a table in the way of a block is unmapped and freed
/// (with <see cref="IIoPageTableFlushOps.TlbFlushWalk"/>). <see cref="UnmapPages"/> returns the
/// bytes unmapped: 0 for a partial unmap of a block (since "Remove split on unmap behavior", ~v6.13)
/// and a short count at a hole. <see cref="IovaToPhys"/> returns 0 for an unmapped IOVA.</para>
/// <para>Software accesses RAM through <see cref="BusAccess.Cpu"/>. With a non-coherent walker,
/// every PTE write is followed by a clean of the PTE's cache line (<c>dma_sync_single_for_device</c>),
/// new tables are cleaned as <c>dma_map_single</c> would, and table PTEs carry the software bit
/// <c>SW_SYNC</c> once cleaned, as in Linux.</para>
/// <para>Threading: lock-free like Linux. Tables are installed with compare-and-exchange (the loser
/// frees its table); map and unmap of disjoint ranges and concurrent walks are safe. Overlapping
/// map/unmap races are the caller's bug, as in the kernel.</para>
/// <para>Not modelled: the ARM_MALI_LPAE format, the debugfs <c>pgtable_walk</c>. WARNs are not reported (the NoWarn quirk is accepted and changes nothing
/// observable).</para>
/// </remarks>
public sealed unsafe class ArmLpaeIoPageTable
{
    private const int MaxLevels = 4;

    private readonly PhysicalMemory _memory;
    private readonly ITablePageAllocator _allocator;
    private readonly IIoPageTableFlushOps _flushOps;
    private readonly bool _coherent;
    private readonly long _iaextExpected; // the IOVA's bits above the input size: 0, or all ones with TTBR1
    private readonly int _ias;
    private readonly int _oas;
    private readonly int _granuleShift;
    private readonly int _bitsPerLevel;
    private readonly int _startLevel;
    private readonly int _pgdBits;
    private readonly ulong _pgsizeBitmap;
    private readonly ulong _granule;
    private readonly int _ptesPerTable;
    private readonly ulong _nsTable;
    private readonly ArmLpaeFormat _format;
    private readonly ArmLpaeQuirks _quirks;
    private readonly int _startShift;
    private readonly ulong _pgdIndexMask;
    private readonly ulong _tableIndexMask;
    private ulong _pgdPa;

    // The last prot seen by MapPages and its PTE bits, in one word so racing maps never pair a
    // prot with another prot's bits: bits 63:58 the IommuProt, the rest the PTE attributes
    // (which never use bits 63:56).
    private ulong _protCache;
    private int _freed;

    // The kernel's direct map of RAM, for reading PTEs (Linux dereferences iopte pointers): the
    // largest RAM region when CPU accesses do not go through a cache model, else empty.
    private readonly byte* _directMap;
    private readonly ulong _directMapBase;
    private readonly ulong _directMapSize;

    // The same RAM as a walk view for the single-leaf map and unmap (PhysicalMemory.GetWalkView):
    // PA-indexed, with the bits a table descriptor may have set for its next table to be in the view.
    // Only a coherent walker's tables have one (see the constructor).
    private readonly byte* _walkView;
    private readonly ulong _walkViewSize;
    private readonly ulong _walkTableCheck;

    private ArmLpaeIoPageTable(
        IoPageTableConfig config, PhysicalMemory memory, ITablePageAllocator allocator, IIoPageTableFlushOps flushOps, int startLevel, int pgdBits)
    {
        Config = config;
        _memory = memory;
        _allocator = allocator;
        _flushOps = flushOps;
        _format = config.Format;
        _quirks = config.Quirks;
        _coherent = config.CoherentWalk;
        _iaextExpected = (config.Quirks & ArmLpaeQuirks.ArmTtbr1) != 0 ? -1 : 0;
        _ias = config.Ias;
        _oas = config.Oas;
        _pgsizeBitmap = config.PgsizeBitmap;
        _granuleShift = BitOperations.TrailingZeroCount(config.PgsizeBitmap);
        _bitsPerLevel = _granuleShift - 3;
        _granule = 1UL << _granuleShift;
        _ptesPerTable = 1 << _bitsPerLevel;
        _startLevel = startLevel;
        _pgdBits = pgdBits;
        _nsTable = (config.Quirks & ArmLpaeQuirks.ArmNs) != 0 ? ArmLpaePte.NsTable : 0;
        _startShift = LevelShift(startLevel);
        _pgdIndexMask = (1UL << pgdBits) - 1;
        _tableIndexMask = (1UL << _bitsPerLevel) - 1;
        _protCache = ProtCacheEntry(_format, _quirks, IommuProt.Read | IommuProt.Write | IommuProt.Cache);
        if (!memory.TryGetReadView(BusAccess.Cpu, out _directMap, out _directMapBase, out _directMapSize))
        {
            _directMapSize = 0;
        }

        // A non-coherent walker's tables carry the software-sync bit in their table PTEs, which the
        // single-leaf paths decline: give them no view, so they decline at once.
        _walkView = memory.GetWalkView(BusAccess.Cpu, out _walkViewSize);
        if (!_coherent)
        {
            _walkViewSize = 0;
        }

        _walkTableCheck = ~(ArmLpaePte.AddrMask & (_walkViewSize - 1) & ~(_granule - 1));
    }

    /// <summary>The configuration after <c>arm_lpae_restrict_pgsizes</c> and the format's limits.</summary>
    public IoPageTableConfig Config { get; }

    /// <summary>The page and block sizes this table supports.</summary>
    public ulong PgsizeBitmap => _pgsizeBitmap;

    /// <summary>log2 of the granule (12, 14 or 16).</summary>
    public int GranuleShift => _granuleShift;

    /// <summary>Index bits per level below the start level (granule shift − 3).</summary>
    public int BitsPerLevel => _bitsPerLevel;

    /// <summary>The level of the top table (after stage-2 concatenation).</summary>
    public int StartLevel => _startLevel;

    /// <summary>Number of levels walked (4 − <see cref="StartLevel"/>).</summary>
    public int Levels => MaxLevels - _startLevel;

    /// <summary>Index bits of the top table: it has 2^PgdBits entries.</summary>
    public int PgdBits => _pgdBits;

    /// <summary>Size of the top table in bytes (8 × 2^<see cref="PgdBits"/>; the allocation is at least 64 bytes).</summary>
    public ulong PgdSize => 8UL << _pgdBits;

    /// <summary>Physical address of the top table.</summary>
    public ulong PgdPa => _pgdPa;

    /// <summary>The TTBR (stage 1) or VTTBR (stage 2) value Linux hands the driver: the PGD's physical address.</summary>
    public ulong Ttbr => _pgdPa;

    /// <summary>Stage-1 translation control (<c>arm_lpae_s1_cfg.tcr</c>); default for stage-2 tables.</summary>
    public ArmLpaeTcr Tcr { get; private init; }

    /// <summary>Stage-2 translation control (<c>arm_lpae_s2_cfg.vtcr</c>); default for stage-1 tables.</summary>
    public ArmLpaeVtcr Vtcr { get; private init; }

    /// <summary>MAIR for stage 1 (0xF404FF44); 0 for stage 2.</summary>
    public ulong Mair { get; private init; }

    /// <summary>
    /// <c>alloc_io_pgtable_ops</c> for an Arm LPAE format: restricts the page sizes and address
    /// sizes, computes the geometry and register values, and allocates the PGD. Returns
    /// <see cref="PageTableStatus.Invalid"/> where Linux refuses the configuration (unknown quirk
    /// for the stage, no usable granule, address sizes beyond the format, an output size without
    /// IPS/PS encoding, OUTER_WBWA with a coherent walker, too many concatenated tables) and
    /// <see cref="PageTableStatus.NoMemory"/> if the PGD cannot be allocated.
    /// </summary>
    public static PageTableStatus TryCreate(
        IoPageTableConfig cfg, PhysicalMemory memory, ITablePageAllocator allocator, IIoPageTableFlushOps flushOps, out ArmLpaeIoPageTable? table)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(allocator);
        ArgumentNullException.ThrowIfNull(flushOps);
        table = null;

        // arm_32_lpae_alloc_pgtable_s1/s2: limits checked before the 64-bit path runs.
        switch (cfg.Format)
        {
            case ArmLpaeFormat.Arm32LpaeS1:
                if (cfg.Ias > 32 || cfg.Oas > 40)
                {
                    return PageTableStatus.Invalid;
                }

                cfg = cfg with { PgsizeBitmap = cfg.PgsizeBitmap & (SZ4K | SZ2M | SZ1G) };
                break;
            case ArmLpaeFormat.Arm32LpaeS2:
                if (cfg.Ias > 40 || cfg.Oas > 40)
                {
                    return PageTableStatus.Invalid;
                }

                cfg = cfg with { PgsizeBitmap = cfg.PgsizeBitmap & (SZ4K | SZ2M | SZ1G) };
                break;
            case ArmLpaeFormat.Arm64LpaeS1:
            case ArmLpaeFormat.Arm64LpaeS2:
                break;
            default:
                return PageTableStatus.Invalid;
        }

        bool stage1 = ArmLpaePte.IsStage1(cfg.Format);
        ArmLpaeQuirks allowed = stage1
            ? ArmLpaeQuirks.ArmNs | ArmLpaeQuirks.ArmTtbr1 | ArmLpaeQuirks.ArmOuterWbwa | ArmLpaeQuirks.ArmHd | ArmLpaeQuirks.NoWarn
            : ArmLpaeQuirks.ArmS2Fwb | ArmLpaeQuirks.NoWarn;
        if ((cfg.Quirks & ~allowed) != 0)
        {
            return PageTableStatus.Invalid;
        }

        cfg = RestrictPgsizes(cfg);
        if ((cfg.PgsizeBitmap & (SZ4K | SZ16K | SZ64K)) == 0 || cfg.Ias > 52 || cfg.Oas > 52)
        {
            return PageTableStatus.Invalid;
        }

        int pgShift = BitOperations.TrailingZeroCount(cfg.PgsizeBitmap);
        int bitsPerLevel = pgShift - 3;
        int vaBits = cfg.Ias - pgShift;
        if (vaBits <= 0)
        {
            // Linux computes a nonsensical geometry here (start level 4); refuse it instead.
            return PageTableStatus.Invalid;
        }

        int levels = (vaBits + bitsPerLevel - 1) / bitsPerLevel;
        int startLevel = MaxLevels - levels;
        int pgdBits = vaBits - (bitsPerLevel * (levels - 1));

        int ps = ArmLpaeWalkConfig.PsFromAddressSize(cfg.Oas);
        int sh = cfg.CoherentWalk ? 3 : 2;
        int irgn = cfg.CoherentWalk ? 1 : 0;
        ArmLpaeTcr tcr = default;
        ArmLpaeVtcr vtcr = default;
        ulong mair = 0;
        if (stage1)
        {
            int orgn = irgn;
            if ((cfg.Quirks & ArmLpaeQuirks.ArmOuterWbwa) != 0)
            {
                if (cfg.CoherentWalk)
                {
                    return PageTableStatus.Invalid;
                }

                orgn = 1;
            }

            bool tg1 = (cfg.Quirks & ArmLpaeQuirks.ArmTtbr1) != 0;
            int tg = pgShift switch
            {
                12 => tg1 ? 2 : 0,
                14 => tg1 ? 1 : 2,
                _ => tg1 ? 3 : 1,
            };
            if (ps < 0)
            {
                return PageTableStatus.Invalid;
            }

            tcr = new ArmLpaeTcr(64 - cfg.Ias, irgn, orgn, sh, tg, ps);
            mair = ArmLpaePte.Mair;
        }
        else
        {
            if (ConcatMandatory(cfg, pgShift, startLevel))
            {
                if ((1UL << pgdBits) > MaxConcatPages)
                {
                    return PageTableStatus.Invalid;
                }

                pgdBits += bitsPerLevel;
                startLevel++;
            }

            int sl = startLevel;
            int tg;
            switch (pgShift)
            {
                case 12:
                    tg = 0;
                    sl++; // SL0 counts differently for the 4K granule
                    break;
                case 14:
                    tg = 2;
                    break;
                default:
                    tg = 1;
                    break;
            }

            if (ps < 0)
            {
                return PageTableStatus.Invalid;
            }

            vtcr = new ArmLpaeVtcr(64 - cfg.Ias, ~sl & 3, irgn, irgn, sh, tg, ps);
        }

        var t = new ArmLpaeIoPageTable(cfg, memory, allocator, flushOps, startLevel, pgdBits)
        {
            Tcr = tcr,
            Vtcr = vtcr,
            Mair = mair,
        };
        if (!t.TryAllocTable(8UL << pgdBits, out ulong pgd))
        {
            return PageTableStatus.NoMemory;
        }

        t._pgdPa = pgd;
        table = t;
        return PageTableStatus.Ok;
    }

    /// <summary>
    /// <c>arm_lpae_restrict_pgsizes</c>: choose the granule (the CPU page size if offered, else the
    /// largest smaller one, else the smallest larger one), keep only that granule's block sizes, and
    /// clamp ias/oas to 48 bits (52 with the 64K granule).
    /// </summary>
    public static IoPageTableConfig RestrictPgsizes(IoPageTableConfig cfg)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        ulong pageSize = cfg.CpuPageSize;
        ulong pageMask = ~(pageSize - 1);
        ulong bitmap = cfg.PgsizeBitmap;
        ulong granule;
        if ((bitmap & pageSize) != 0)
        {
            granule = pageSize;
        }
        else if ((bitmap & ~pageMask) != 0)
        {
            granule = 1UL << (63 - BitOperations.LeadingZeroCount(bitmap & ~pageMask));
        }
        else if ((bitmap & pageMask) != 0)
        {
            granule = 1UL << BitOperations.TrailingZeroCount(bitmap & pageMask);
        }
        else
        {
            granule = 0;
        }

        int maxAddrBits = 48;
        ulong pageSizes;
        switch (granule)
        {
            case SZ4K:
                pageSizes = SZ4K | SZ2M | SZ1G;
                break;
            case SZ16K:
                pageSizes = SZ16K | SZ32M;
                break;
            case SZ64K:
                maxAddrBits = 52;
                pageSizes = SZ64K | SZ512M;
                if (cfg.Oas > 48)
                {
                    pageSizes |= 1UL << 42; // 4TB
                }

                break;
            default:
                pageSizes = 0;
                break;
        }

        return cfg with
        {
            PgsizeBitmap = bitmap & pageSizes,
            Ias = Math.Min(cfg.Ias, maxAddrBits),
            Oas = Math.Min(cfg.Oas, maxAddrBits),
        };
    }

    /// <summary>
    /// <c>arm_lpae_concat_mandatory</c> (Arm DDI0487 R_DXBSH, R_SRKBC): stage 2 must start one level
    /// lower with concatenated tables for 16K at level 0 with a 48-bit ias or oas, 4K at level 0
    /// with a 40- or 42-bit oas, and 16K at level 1 with a 40-bit oas.
    /// </summary>
    /// <remarks>
    /// The old rule (v4.x to ~v6.14) concatenated whenever the walk would start at level 0 and the
    /// level-0 table had at most 16 entries, to shorten the stage-2 walk.
    /// </remarks>
    public static bool ConcatMandatory(IoPageTableConfig cfg, int granuleShift, int startLevel)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        if (granuleShift == 14 && startLevel == 0)
        {
            return cfg.Oas == 48 || cfg.Ias == 48;
        }

        if (granuleShift == 12 && startLevel == 0)
        {
            return cfg.Oas is 40 or 42;
        }

        return granuleShift == 14 && startLevel == 1 && cfg.Oas == 40;
    }

    /// <summary>
    /// The walk configuration an SMMU programmed from this table's TCR/VTCR and TTBR would use.
    /// </summary>
    public ArmLpaeWalkConfig CreateWalkConfig(BusAccess walkAccess)
    {
        bool stage1 = ArmLpaePte.IsStage1(_format);
        return new ArmLpaeWalkConfig
        {
            Stage = stage1 ? 1 : 2,
            GranuleShift = _granuleShift,
            InputSize = _ias,
            OutputSize = _oas,
            StartLevel = _startLevel,
            TableBase = _pgdPa,
            WalkAccess = walkAccess,
            Aarch64 = _format is ArmLpaeFormat.Arm64LpaeS1 or ArmLpaeFormat.Arm64LpaeS2,
        };
    }

    /// <summary>
    /// <c>arm_lpae_map_pages</c>: installs up to <paramref name="pgcount"/> leaves of
    /// <paramref name="pgsize"/> at <paramref name="iova"/> → <paramref name="paddr"/>, stopping at
    /// the end of the table page; <paramref name="mapped"/> receives the bytes mapped (the caller
    /// loops for the rest).
    /// </summary>
    public PageTableStatus MapPages(ulong iova, ulong paddr, ulong pgsize, ulong pgcount, IommuProt prot, out ulong mapped)
    {
        mapped = 0;
        ThrowIfFreed();
        if (pgsize == 0 || (pgsize & _pgsizeBitmap) != pgsize)
        {
            return PageTableStatus.Invalid;
        }

        long iaext = ((long)iova >> _ias) ^ _iaextExpected; // TTBR1 tables hold sign-extended IOVAs

        if (iaext != 0 || (paddr >> _oas) != 0)
        {
            return PageTableStatus.Range;
        }

        if ((prot & (IommuProt.Read | IommuProt.Write)) == 0)
        {
            return PageTableStatus.Invalid;
        }

        ulong cached = Volatile.Read(ref _protCache);
        if ((int)(cached >> ProtCacheShift) != (int)prot)
        {
            cached = ProtCacheEntry(_format, _quirks, prot);
            Volatile.Write(ref _protCache, cached);
        }

        ulong pteProt = cached & ((1UL << ProtCacheShift) - 1);
        if (pgcount == 1 && (pgsize & (pgsize - 1)) == 0
            && TryFindLeafSlot(iova, pgsize, out ulong slot, out ulong pte, out ulong type) && WriteLeaf(slot, pte, paddr, pteProt | type))
        {
            mapped = pgsize;
            return PageTableStatus.Ok;
        }

        return MapFromRoot(iova, paddr, pgsize, pgcount, pteProt, out mapped);
    }

    /// <summary>
    /// The single-leaf paths' way down, as page-by-page maps and unmaps ask (<see cref="MapPages"/>
    /// writes an empty slot, <see cref="UnmapPages"/> clears a leaf):
    /// <see cref="TryFindLeafSlot{TGranule}"/> for the table's granule.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryFindLeafSlot(ulong iova, ulong pgsize, out ulong pa, out ulong pte, out ulong type) =>
        _granuleShift switch
        {
            12 => TryFindLeafSlot<ArmLpaeGranule4K>(iova, pgsize, out pa, out pte, out type),
            14 => TryFindLeafSlot<ArmLpaeGranule16K>(iova, pgsize, out pa, out pte, out type),
            _ => TryFindLeafSlot<ArmLpaeGranule64K>(iova, pgsize, out pa, out pte, out type),
        };

    /// <summary>
    /// Reads down from the root through the walk view to the slot a leaf of <paramref name="pgsize"/>
    /// (a single size of the bitmap) has for <paramref name="iova"/>: its PA, its PTE and the leaf
    /// type of its level (a page at level 3, a block above). False, having changed nothing, when the
    /// way there leaves the view or meets anything but a table descriptor as this code writes it
    /// (its table's address | 0b11: one masked compare with 0b11, and the next table is at PTE − 3).
    /// One block of code per level, entered at the start level, with the granule's shifts and masks
    /// folded in: page-by-page maps and unmaps are throughput bound, so every instruction counts.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryFindLeafSlot<TGranule>(ulong iova, ulong pgsize, out ulong pa, out ulong pte, out ulong type)
        where TGranule : struct, IArmLpaeGranule
    {
        int g = TGranule.Shift;
        int leafShift = BitOperations.TrailingZeroCount(pgsize);
        ulong levelMask = (1UL << (g - 3)) - 1;
        byte* view = _walkView;
        ulong tableCheck = _walkTableCheck;
        type = ArmLpaePte.TypeBlock;
        pte = 0;
        pa = _pgdPa + (((iova >> _startShift) & _pgdIndexMask) << 3);
        if (pa >= _walkViewSize)
        {
            return false; // also when there is no view
        }

        switch (_startLevel)
        {
            case 0:
                pte = Volatile.Read(ref *(ulong*)(view + pa));
                if (ArmLpaeWalkConfig.LevelShift(0, g) == leafShift || (pte & tableCheck) != 3)
                {
                    return false; // no granule has level-0 leaves here
                }

                pa = pte - 3 + (((iova >> ArmLpaeWalkConfig.LevelShift(1, g)) & levelMask) << 3);
                goto case 1;
            case 1:
                pte = Volatile.Read(ref *(ulong*)(view + pa));
                if (ArmLpaeWalkConfig.LevelShift(1, g) == leafShift)
                {
                    return true;
                }

                if ((pte & tableCheck) != 3)
                {
                    return false;
                }

                pa = pte - 3 + (((iova >> ArmLpaeWalkConfig.LevelShift(2, g)) & levelMask) << 3);
                goto case 2;
            case 2:
                pte = Volatile.Read(ref *(ulong*)(view + pa));
                if (ArmLpaeWalkConfig.LevelShift(2, g) == leafShift)
                {
                    return true;
                }

                if ((pte & tableCheck) != 3)
                {
                    return false;
                }

                pa = pte - 3 + (((iova >> g) & levelMask) << 3);
                goto default;
            default:
                if (g != leafShift)
                {
                    return false;
                }

                pte = Volatile.Read(ref *(ulong*)(view + pa));
                type = ArmLpaePte.TypePage;
                return true;
        }
    }

    /// <summary>
    /// The single-leaf map's last step (<c>arm_lpae_init_pte</c> for an empty slot): the PTE at
    /// <paramref name="pa"/> must be 0; the leaf is written through the bus (a slot of a new table
    /// may be the first write to its RAM). The walker is coherent (else there is no walk view), so
    /// nothing is cleaned. Anything else returns false having changed nothing, and
    /// <see cref="MapFromRoot"/> decides it as Linux does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool WriteLeaf(ulong pa, ulong pte, ulong paddr, ulong pteBase)
    {
        if (pte != 0)
        {
            return false; // a leaf (EEXIST) or a table to replace: the general path decides
        }

        WritePte(pa, pteBase | ArmLpaePte.PaddrToPte(paddr));
        return true;
    }

    /// <summary><see cref="MapPages"/> from the start level, as <c>__arm_lpae_map</c> does.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private PageTableStatus MapFromRoot(ulong iova, ulong paddr, ulong pgsize, ulong pgcount, ulong pteProt, out ulong mapped)
    {
        mapped = 0;
        int level = _startLevel;
        int shift = _startShift;
        ulong indexMask = _pgdIndexMask;
        ulong table = _pgdPa;
        while (true)
        {
            ulong index = (iova >> shift) & indexMask;
            ulong ptep = table + (index << 3);
            if (pgsize == 1UL << shift)
            {
                // arm_lpae_max_entries: stay within this table page (a concatenated PGD counts per page).
                ulong maxEntries = (ulong)_ptesPerTable - (index & (ulong)(_ptesPerTable - 1));
                int num = (int)Math.Min(pgcount, maxEntries);
                PageTableStatus s = InitPtes(iova, paddr, pteProt, level, num, ptep, table, shift);
                if (s == PageTableStatus.Ok)
                {
                    mapped = (ulong)num * pgsize;
                }

                return s;
            }

            if (level >= MaxLevels - 1)
            {
                return PageTableStatus.Invalid; // WARN in Linux: no size matched down to the last level
            }

            ulong pte = ReadPte(ptep);
            if (pte == 0)
            {
                if (!TryAllocTable(_granule, out ulong newTable))
                {
                    return PageTableStatus.NoMemory;
                }

                pte = InstallTable(newTable, ptep, 0);
                if (pte != 0)
                {
                    FreeTable(newTable, _granule); // lost the race: use the winner's table
                }
                else
                {
                    table = newTable;
                    shift -= _bitsPerLevel;
                    indexMask = _tableIndexMask;
                    level++;
                    continue;
                }
            }
            else if (!_coherent && (pte & ArmLpaePte.SwSync) == 0)
            {
                SyncPtes(ptep, 1);
            }

            if ((pte & ArmLpaePte.TypeMask) == ArmLpaePte.TypeBlock)
            {
                return PageTableStatus.Exists; // a leaf on the way: an unmap is required first
            }

            table = PteToPaddr(pte);
            shift -= _bitsPerLevel;
            indexMask = _tableIndexMask;
            level++;
        }
    }

    /// <summary>
    /// <c>arm_lpae_unmap_pages</c>: clears up to <paramref name="pgcount"/> leaves of
    /// <paramref name="pgsize"/> from <paramref name="iova"/> (within one table page) and returns
    /// the bytes unmapped: 0 for a bad size, an out-of-range IOVA, a hole at the start or a partial
    /// unmap of a larger block; fewer than asked when a hole is met. Unless
    /// <paramref name="gather"/> is null or <see cref="IotlbGather.Queued"/>, each leaf is reported
    /// with <see cref="IIoPageTableFlushOps.TlbAddPage"/>; tables removed are flushed with
    /// <see cref="IIoPageTableFlushOps.TlbFlushWalk"/> and freed at once.
    /// </summary>
    public ulong UnmapPages(ulong iova, ulong pgsize, ulong pgcount, IotlbGather? gather)
    {
        ThrowIfFreed();
        if (pgsize == 0 || (pgsize & _pgsizeBitmap) != pgsize || pgcount == 0)
        {
            return 0;
        }

        long iaext = ((long)iova >> _ias) ^ _iaextExpected; // TTBR1 tables hold sign-extended IOVAs

        if (iaext != 0)
        {
            return 0;
        }

        if (pgcount == 1 && (pgsize & (pgsize - 1)) == 0
            && TryFindLeafSlot(iova, pgsize, out ulong pa, out ulong pte, out ulong type) && ClearLeaf(iova, pgsize, gather, pa, pte, type))
        {
            return pgsize;
        }

        return UnmapFromRoot(gather, iova, pgsize, pgcount);
    }

    /// <summary>
    /// The single-leaf unmap's last step: the PTE at <paramref name="pa"/> must be a leaf of
    /// <paramref name="type"/> (a page at level 3, a block above); it is cleared and reported.
    /// Anything else (a hole, a table where the leaf should be, a larger block) returns false having
    /// changed nothing, and the general walk decides it as Linux does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool ClearLeaf(ulong iova, ulong pgsize, IotlbGather? gather, ulong pa, ulong pte, ulong type)
    {
        if ((pte & ArmLpaePte.TypeMask) != type)
        {
            return false;
        }

        // A valid leaf is not in a hole of the view (they read as 0), so it is RAM, and it was
        // written, so that RAM is already counted as backed: clear it straight through the view
        // (__arm_lpae_clear_pte). The walker is coherent (else there is no walk view): no clean.
        Volatile.Write(ref *(ulong*)(_walkView + pa), 0);
        GC.KeepAlive(this);
        if (gather is not null && !gather.Queued)
        {
            _flushOps.TlbAddPage(gather, iova, pgsize);
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private ulong UnmapFromRoot(IotlbGather? gather, ulong iova, ulong pgsize, ulong pgcount) =>
        Unmap(gather, iova, pgsize, pgcount, _startLevel, _pgdPa, _startShift, _pgdIndexMask);

    /// <summary>
    /// <c>arm_lpae_iova_to_phys</c>: the physical address <paramref name="iova"/> maps to, or 0.
    /// As in Linux, bits above the input size are not checked (the index masks drop them).
    /// </summary>
    public ulong IovaToPhys(ulong iova)
    {
        ThrowIfFreed();
        int level = _startLevel;
        int shift = _startShift;
        ulong indexMask = _pgdIndexMask;
        ulong table = _pgdPa;
        while (true)
        {
            ulong pte = ReadPte(table + (((iova >> shift) & indexMask) << 3));
            ulong type = pte & ArmLpaePte.TypeMask;
            if (level == MaxLevels - 1)
            {
                return type == ArmLpaePte.TypePage ? PteToPaddr(pte) | (iova & ((1UL << shift) - 1)) : 0;
            }

            if (type == ArmLpaePte.TypeBlock)
            {
                return PteToPaddr(pte) | (iova & ((1UL << shift) - 1));
            }

            if (type != ArmLpaePte.TypeTable)
            {
                return 0;
            }

            table = PteToPaddr(pte);
            shift -= _bitsPerLevel;
            indexMask = _tableIndexMask;
            level++;
        }
    }

    /// <summary>
    /// <c>arm_lpae_read_and_clear_dirty</c> (ARM_64_LPAE_S1 with the HD quirk): walks
    /// [<paramref name="iova"/>, +<paramref name="size"/>), records every leaf that is
    /// writable-dirty (DBM = 1, AP[2] = 0) and, unless <paramref name="noClear"/>, makes it
    /// writable-clean again by setting AP[2] atomically. As in Linux the walk stops with
    /// <see cref="PageTableStatus.Invalid"/> at an unmapped entry, and no cache maintenance follows
    /// the update. The caller flushes the TLB afterwards.
    /// </summary>
    public PageTableStatus ReadAndClearDirty(ulong iova, ulong size, bool noClear, IIommuDirtyRecorder recorder)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        ThrowIfFreed();
        if (size == 0 || ((iova + size - 1) & ~((1UL << _ias) - 1)) != 0 || _format != ArmLpaeFormat.Arm64LpaeS1)
        {
            return PageTableStatus.Invalid;
        }

        ulong addr = iova;
        return DirtyWalk(ref addr, iova + size, noClear, recorder, _pgdPa, _startLevel) ? PageTableStatus.Ok : PageTableStatus.Invalid;
    }

    /// <summary>
    /// <c>arm_lpae_free_pgtable</c>: frees every table, the PGD last. The caller has flushed the TLB
    /// and the hardware no longer walks the table. Further use of the object is a programming error.
    /// </summary>
    public void Free()
    {
        if (Interlocked.Exchange(ref _freed, 1) != 0)
        {
            return;
        }

        FreePgtable(_startLevel, _pgdPa);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int LevelShift(int level) => ((MaxLevels - level) * _bitsPerLevel) + 3;

    /// <summary><c>iopte_leaf</c>: a page at level 3, a block above.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsLeaf(ulong pte, int level) =>
        (pte & ArmLpaePte.TypeMask) == (level == MaxLevels - 1 ? ArmLpaePte.TypePage : ArmLpaePte.TypeBlock);

    /// <summary><c>arm_lpae_init_pte</c>: checks the slots, frees tables a block replaces, writes the leaves.</summary>
    private PageTableStatus InitPtes(ulong iova, ulong paddr, ulong prot, int level, int num, ulong ptep, ulong table, int shift)
    {
        ulong size = 1UL << shift;
        for (int i = 0; i < num; i++)
        {
            ulong pte = ReadPte(ptep + ((ulong)i << 3));
            if (IsLeaf(pte, level))
            {
                return PageTableStatus.Exists;
            }

            if ((pte & ArmLpaePte.TypeMask) == ArmLpaePte.TypeTable)
            {
                // Unmap and free the old table before overwriting it with a block entry.
                if (Unmap(null, iova + ((ulong)i * size), size, 1, level, table, shift, level == _startLevel ? _pgdIndexMask : _tableIndexMask) != size)
                {
                    return PageTableStatus.Invalid;
                }
            }
        }

        ulong type = level == MaxLevels - 1 ? ArmLpaePte.TypePage : ArmLpaePte.TypeBlock;
        ulong pteBase = prot | type;
        for (int i = 0; i < num; i++)
        {
            WritePte(ptep + ((ulong)i << 3), pteBase | ArmLpaePte.PaddrToPte(paddr + ((ulong)i * size)));
        }

        if (!_coherent)
        {
            SyncPtes(ptep, num);
        }

        return PageTableStatus.Ok;
    }

    /// <summary><c>arm_lpae_install_table</c>: compare-and-exchange the table PTE in; returns the old value.</summary>
    private ulong InstallTable(ulong tablePa, ulong ptep, ulong curr)
    {
        ulong pte = ArmLpaePte.PaddrToPte(tablePa) | ArmLpaePte.TypeTable | _nsTable;
        BusStatus s = _memory.CompareExchange64(ptep, curr, pte, BusAccess.Cpu, out ulong old);
        if (s != BusStatus.Ok)
        {
            ThrowBadTable(ptep, s);
        }

        if (_coherent || (old & ArmLpaePte.SwSync) != 0)
        {
            return old;
        }

        // Even if it is not ours, there is no point waiting: clean it now.
        SyncPtes(ptep, 1);
        if (old == curr)
        {
            WritePte(ptep, pte | ArmLpaePte.SwSync);
        }

        return old;
    }

    /// <summary><c>__arm_lpae_unmap</c>, iteratively, from the table at <paramref name="level"/>.</summary>
    private ulong Unmap(IotlbGather? gather, ulong iova, ulong size, ulong pgcount, int level, ulong table, int shift, ulong indexMask)
    {
        while (level < MaxLevels)
        {
            ulong index = (iova >> shift) & indexMask;
            ulong ptep = table + (index << 3);
            ulong pte = ReadPte(ptep);
            if (pte == 0)
            {
                return 0; // WARN: unmap of a hole
            }

            if (size == 1UL << shift)
            {
                ulong maxEntries = (ulong)_ptesPerTable - (index & (ulong)(_ptesPerTable - 1));
                int num = (int)Math.Min(pgcount, maxEntries);
                int i = 0;
                while (true)
                {
                    if (!IsLeaf(pte, level))
                    {
                        ClearPtes(ptep + ((ulong)i << 3), 1);
                        _flushOps.TlbFlushWalk(iova + ((ulong)i * size), size, _granule);
                        FreePgtable(level + 1, PteToPaddr(pte));
                    }

                    if (++i == num)
                    {
                        break;
                    }

                    pte = ReadPte(ptep + ((ulong)i << 3));
                    if (pte == 0)
                    {
                        break; // WARN: a hole inside the range
                    }
                }

                ClearPtes(ptep, i);
                if (gather is not null && !gather.Queued)
                {
                    for (int j = 0; j < i; j++)
                    {
                        _flushOps.TlbAddPage(gather, iova + ((ulong)j * size), size);
                    }
                }

                return (ulong)i * size;
            }

            if (IsLeaf(pte, level))
            {
                return 0; // WARN: "Unmap of a partial large IOPTE is not allowed"
            }

            table = PteToPaddr(pte);
            shift -= _bitsPerLevel;
            indexMask = _tableIndexMask;
            level++;
        }

        return 0;
    }

    /// <summary><c>__arm_lpae_iopte_walk</c> with the <c>visit_dirty</c> visitor; false where Linux returns -EINVAL.</summary>
    private bool DirtyWalk(ref ulong addr, ulong end, bool noClear, IIommuDirtyRecorder recorder, ulong table, int level)
    {
        int shift = LevelShift(level);
        ulong mask = level == _startLevel ? _pgdIndexMask : _tableIndexMask;
        ulong size = 1UL << shift;
        for (ulong idx = (addr >> shift) & mask; idx <= mask && addr < end; idx++)
        {
            ulong ptep = table + (idx << 3);
            ulong pte = ReadPte(ptep);
            if (IsLeaf(pte, level))
            {
                // iopte_writeable_dirty: DBM set and AP[2] clear.
                if ((pte & (ArmLpaePte.Dbm | ArmLpaePte.ApRdonly)) == ArmLpaePte.Dbm)
                {
                    recorder.Record(addr, size);
                    if (!noClear)
                    {
                        SetBitAtomically(ptep, ArmLpaePte.ApRdonly);
                    }
                }

                addr += size;
                continue;
            }

            if (level == MaxLevels - 1 || (pte & ArmLpaePte.TypeMask) != ArmLpaePte.TypeTable)
            {
                return false;
            }

            if (!DirtyWalk(ref addr, end, noClear, recorder, PteToPaddr(pte), level + 1))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary><c>set_bit</c> on a PTE: atomic against the walker's hardware updates.</summary>
    private void SetBitAtomically(ulong ptep, ulong bit)
    {
        ulong old = ReadPte(ptep);
        while (true)
        {
            BusStatus s = _memory.CompareExchange64(ptep, old, old | bit, BusAccess.Cpu, out ulong found);
            if (s != BusStatus.Ok)
            {
                ThrowBadTable(ptep, s);
            }

            if (found == old)
            {
                return;
            }

            old = found;
        }
    }

    /// <summary><c>__arm_lpae_free_pgtable</c>: frees the subtree below a table, then the table.</summary>
    private void FreePgtable(int level, ulong table)
    {
        ulong tableSize = level == _startLevel ? 8UL << _pgdBits : _granule;
        if (level < MaxLevels - 1)
        {
            ulong end = table + tableSize;
            for (ulong ptep = table; ptep != end; ptep += 8)
            {
                ulong pte = ReadPte(ptep);
                if (pte == 0 || IsLeaf(pte, level))
                {
                    continue;
                }

                FreePgtable(level + 1, PteToPaddr(pte));
            }
        }

        FreeTable(table, tableSize);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong PteToPaddr(ulong pte) => ArmLpaePte.PteToPaddr(pte, _granuleShift);

    private static ulong ProtCacheEntry(ArmLpaeFormat format, ArmLpaeQuirks quirks, IommuProt prot) =>
        ((ulong)(uint)prot << ProtCacheShift) | ArmLpaePte.ProtToPte(format, quirks, prot);

    private bool TryAllocTable(ulong size, out ulong pa)
    {
        // Very small start tables still need 64-byte alignment (__arm_lpae_alloc_pages).
        int bytes = (int)Math.Max(size, 64);
        if (!_allocator.TryAllocate(bytes, out pa))
        {
            return false;
        }

        if (!_coherent)
        {
            _memory.Cache?.Clean(pa, (ulong)bytes); // dma_map_single(DMA_TO_DEVICE)
        }

        return true;
    }

    private void FreeTable(ulong pa, ulong size) => _allocator.Free(pa, (int)Math.Max(size, 64));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong ReadPte(ulong pa)
    {
        // PTE addresses are 8-byte aligned by construction.
        ulong off = pa - _directMapBase;
        if (off < _directMapSize)
        {
            ulong pte = Volatile.Read(ref *(ulong*)(_directMap + off));
            GC.KeepAlive(this); // _memory, which owns the mapping, lives as long as this table
            return pte;
        }

        return ReadPteSlow(pa);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private ulong ReadPteSlow(ulong pa)
    {
        BusStatus s = _memory.Read64(pa, BusAccess.Cpu, out ulong v);
        if (s != BusStatus.Ok)
        {
            ThrowBadTable(pa, s);
        }

        return v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WritePte(ulong pa, ulong value)
    {
        BusStatus s = _memory.Write64(pa, value, BusAccess.Cpu);
        if (s != BusStatus.Ok)
        {
            ThrowBadTable(pa, s);
        }
    }

    /// <summary><c>__arm_lpae_clear_pte</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ClearPtes(ulong ptep, int num)
    {
        for (int i = 0; i < num; i++)
        {
            WritePte(ptep + ((ulong)i << 3), 0);
        }

        if (!_coherent && num != 0)
        {
            SyncPtes(ptep, num);
        }
    }

    /// <summary><c>__arm_lpae_sync_pte</c>: dma_sync_single_for_device of the PTEs.</summary>
    private void SyncPtes(ulong ptep, int num) => _memory.Cache?.Clean(ptep, (ulong)num * 8);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ThrowIfFreed()
    {
        if (Volatile.Read(ref _freed) != 0)
        {
            ThrowFreed();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowFreed() =>
        throw new ObjectDisposedException(nameof(ArmLpaeIoPageTable), "The page table was freed.");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadTable(ulong pa, BusStatus s) =>
        throw new InvalidOperationException($"Page-table memory at 0x{pa:x} is not RAM ({s}); the allocator handed out bad pages.");

    private const ulong SZ4K = 1UL << 12;
    private const ulong SZ16K = 1UL << 14;
    private const ulong SZ64K = 1UL << 16;
    private const ulong SZ2M = 1UL << 21;
    private const ulong SZ32M = 1UL << 25;
    private const ulong SZ512M = 1UL << 29;
    private const ulong SZ1G = 1UL << 30;
    private const int MaxConcatPages = 16;
    private const int ProtCacheShift = 58;
}
