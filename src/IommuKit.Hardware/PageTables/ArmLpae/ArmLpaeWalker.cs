using System.Runtime.CompilerServices;
using IommuKit.Hardware.Memory;

namespace IommuKit.Hardware.PageTables.ArmLpae;

/// <summary>
/// The translation-table walk an Arm SMMU (or an MMU) performs on long-descriptor tables
/// (Arm ARM D8, VMSAv8-64, and the AArch32 LPAE variant): one stage, or two stages nested.
/// </summary>
/// <remarks>
/// <para>Allocation-free. Table reads use <see cref="ArmLpaeWalkConfig.WalkAccess"/>, so a
/// non-coherent walker reads RAM and not the CPU's cache. Hardware access-flag and dirty-state
/// updates are atomic compare-and-exchanges through the same path; a descriptor that changes under
/// an update restarts the walk.</para>
/// <para>Fault priority per lookup: external abort on the fetch, translation (invalid descriptor,
/// 0b01 at level 3, block not allowed at the level), address size (next-table or output address
/// beyond <see cref="ArmLpaeWalkConfig.OutputSize"/>), access flag, permission. An input address
/// beyond <see cref="ArmLpaeWalkConfig.InputSize"/> is a level-0 translation fault, as the Arm ARM
/// specifies for both stages (AArch64.VAIsOutOfRange / IPAIsOutOfRange); a table base beyond the
/// output size is a level-0 address-size fault.</para>
/// <para>Permissions follow the PE's rules: an instruction fetch needs execute permission only;
/// memory writable by unprivileged accesses is never privileged-executable; APTable, UXNTable and
/// PXNTable limit the levels below unless hierarchical permissions are disabled.</para>
/// <para>Not modelled: FEAT_LPA2 (52-bit with 4K/16K), FEAT_XNX (stage-2 XN[0]), FEAT_TTST,
/// the contiguous hint as a TLB grouping (reported only), TTBR0/TTBR1 selection (the caller
/// picks the table and passes the address within the regime).</para>
/// </remarks>
public static partial class ArmLpaeWalker
{
    private const int MaxUpdateRetries = 16;

    /// <summary>Walks one stage for <paramref name="inputAddress"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Walk(PhysicalMemory memory, in ArmLpaeWalkConfig cfg, ulong inputAddress, ArmLpaeAccess access, out ArmLpaeWalkResult result)
    {
        ArgumentNullException.ThrowIfNull(memory);
        if (!TryWalkFast(memory, in cfg, inputAddress, access, out result))
        {
            // Through a temporary, so that the caller's result never has its address taken by a
            // call and, once this is inlined, can live in registers.
            WalkReference(memory, in cfg, inputAddress, access, out ArmLpaeWalkResult reference);
            result = reference;
        }
    }

    /// <summary>
    /// The complete single-stage walk, with every fault, hardware update and hierarchical
    /// attribute; <see cref="Walk"/> uses it whenever its fast path declines.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void WalkReference(PhysicalMemory memory, in ArmLpaeWalkConfig cfg, ulong inputAddress, ArmLpaeAccess access, out ArmLpaeWalkResult result)
    {
        var direct = default(DirectFetch);
        WalkStage(memory, in cfg, ref direct, inputAddress, access, out result);
    }

    /// <summary>
    /// Walks stage 1 then stage 2: stage-1 table addresses and the stage-1 output are IPAs that
    /// stage 2 translates. A stage-2 fault while fetching a stage-1 descriptor reports
    /// <see cref="ArmLpaeWalkResult.Stage"/> = 2 with <see cref="ArmLpaeWalkResult.FaultOnTableFetch"/>.
    /// </summary>
    public static void WalkNested(PhysicalMemory memory, in ArmLpaeWalkConfig s1, in ArmLpaeWalkConfig s2, ulong inputAddress, ArmLpaeAccess access, out ArmLpaeWalkResult result)
    {
        ArgumentNullException.ThrowIfNull(memory);
        var viaStage2 = new Stage2Fetch(s2);
        WalkStage(memory, in s1, ref viaStage2, inputAddress, access, out ArmLpaeWalkResult r1);
        if (!r1.IsOk)
        {
            result = r1;
            return;
        }

        ulong ipa = r1.OutputAddress;
        var direct = default(DirectFetch);
        WalkStage(memory, in s2, ref direct, ipa, access, out ArmLpaeWalkResult r2);
        if (!r2.IsOk)
        {
            result = new ArmLpaeWalkResult
            {
                Fault = r2.Fault,
                Level = r2.Level,
                Stage = 2,
                Descriptor = r2.Descriptor,
                FaultAddress = r2.Fault == ArmLpaeFault.ExternalAbort ? r2.FaultAddress : ipa,
                IntermediateAddress = ipa,
            };
            return;
        }

        result = new ArmLpaeWalkResult(in r1, in r2, ipa);
    }

    /// <summary>True if a block descriptor is allowed at <paramref name="level"/> (Arm ARM AArch64.BlockDescSupported, without LPA2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool BlockAllowed(int level, int granuleShift, int outputSize) => granuleShift switch
    {
        12 => level is 1 or 2,
        14 => level == 2,
        16 => level == 2 || (level == 1 && outputSize == 52),
        _ => false,
    };

    /// <summary>
    /// The output address held by a descriptor (table or leaf) for a granule of
    /// 2^<paramref name="granuleShift"/> bytes: bits [47:granule]; with the 64K granule, bits
    /// [15:12] are OA[51:48].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong DescriptorAddress(ulong descriptor, int granuleShift)
    {
        ulong pa = descriptor & ArmLpaePte.AddrMask & ~((1UL << granuleShift) - 1);
        return granuleShift == 16 ? pa | ((descriptor & 0xF000) << 36) : pa;
    }

    /// <summary>
    /// One stage's walk. <typeparamref name="TFetch"/> turns a descriptor's address into the PA to
    /// read (identity, or a stage-2 translation for a nested walk's stage 1); as a struct type
    /// argument it is specialised away.
    /// </summary>
    private static void WalkStage<TFetch>(PhysicalMemory memory, in ArmLpaeWalkConfig cfg, ref TFetch fetch, ulong ia, ArmLpaeAccess access, out ArmLpaeWalkResult result)
        where TFetch : struct, IDescriptorFetch
    {
        for (int attempt = 0; ; attempt++)
        {
            if (!Descend(memory, in cfg, ref fetch, ia, out Leaf leaf, out result))
            {
                return;
            }

            if (Permit(memory, in cfg, ref fetch, ia, access, ref leaf, attempt, out result))
            {
                return;
            }
        }
    }

    /// <summary>
    /// Walks the tables down to the leaf. Returns false with <paramref name="fault"/> set for a
    /// fault on the way (or a leaf the translation, block or address-size checks reject).
    /// </summary>
    private static bool Descend<TFetch>(PhysicalMemory memory, in ArmLpaeWalkConfig cfg, ref TFetch fetch, ulong ia, out Leaf leaf, out ArmLpaeWalkResult fault)
        where TFetch : struct, IDescriptorFetch
    {
        int stage = cfg.Stage;
        int inputSize = cfg.InputSize;
        if (!cfg.IsValid || (ia >> inputSize) != 0)
        {
            leaf = default;
            SetFault(out fault, ArmLpaeFault.Translation, 0, stage, 0, stage == 2 ? ia : 0);
            return false;
        }

        int g = cfg.GranuleShift;
        int bpl = g - 3;
        int oas = cfg.OutputSize;
        int shift = cfg.StartShift;
        ulong table = cfg.StartTable;
        if ((table >> oas) != 0)
        {
            leaf = default;
            SetFault(out fault, ArmLpaeFault.AddressSize, 0, stage, 0, stage == 2 ? ia : 0);
            return false;
        }

        ulong addrMask = ArmLpaePte.AddrMask & ~((1UL << g) - 1);
        BusAccess walkAccess = cfg.WalkAccess;
        int level = cfg.StartLevel;
        ulong indexMask = cfg.StartIndexMask;
        ulong tableAttrs = 0; // OR of the table descriptors on the path (NSTable, APTable, UXN/PXNTable)
        ulong desc;
        ulong descPa;
        while (true)
        {
            ulong descAddr = table + (((ia >> shift) & indexMask) << 3);
            if (!fetch.Translate(memory, descAddr, out descPa, out fault))
            {
                leaf = default;
                return false;
            }

            if (memory.Read64(descPa, walkAccess, out desc) != BusStatus.Ok)
            {
                leaf = default;
                SetFault(out fault, ArmLpaeFault.ExternalAbort, level, stage, 0, descPa);
                return false;
            }

            if ((desc & 3) != 3 || level == 3)
            {
                break;
            }

            table = desc & addrMask;
            if (g == 16)
            {
                table |= (desc & 0xF000) << 36;
            }

            if ((table >> oas) != 0)
            {
                leaf = default;
                SetFault(out fault, ArmLpaeFault.AddressSize, level, stage, desc, stage == 2 ? ia : 0);
                return false;
            }

            tableAttrs |= desc;
            shift -= bpl;
            indexMask = (1UL << bpl) - 1;
            level++;
        }

        // desc: a page (level 3, 0b11), a block (0b01), or invalid.
        ulong type = desc & 3;
        if ((type & 1) == 0 || (level == 3 ? type != 3 : !BlockAllowed(level, g, oas)))
        {
            leaf = default;
            SetFault(out fault, ArmLpaeFault.Translation, level, stage, desc, stage == 2 ? ia : 0);
            return false;
        }

        ulong outBase = desc & addrMask & ~((1UL << shift) - 1);
        if (g == 16)
        {
            outBase |= (desc & 0xF000) << 36;
        }

        if ((outBase >> oas) != 0)
        {
            leaf = default;
            SetFault(out fault, ArmLpaeFault.AddressSize, level, stage, desc, stage == 2 ? ia : 0);
            return false;
        }

        leaf = new Leaf(desc, descPa, outBase, tableAttrs, level, shift);
        Unsafe.SkipInit(out fault);
        return true;
    }

    /// <summary>
    /// Access flag, permissions and hardware updates for a leaf. Returns true when
    /// <paramref name="result"/> is final, false if a hardware update lost a race and the walk
    /// must be repeated.
    /// </summary>
    private static bool Permit<TFetch>(PhysicalMemory memory, in ArmLpaeWalkConfig cfg, ref TFetch fetch, ulong ia, ArmLpaeAccess access, ref Leaf leaf, int attempt, out ArmLpaeWalkResult result)
        where TFetch : struct, IDescriptorFetch
    {
        int stage = cfg.Stage;
        ulong desc = leaf.Descriptor;
        int level = leaf.Level;
        bool af = (desc & ArmLpaePte.Af) != 0;
        if (!af && !cfg.HardwareAccessFlag)
        {
            SetFault(out result, ArmLpaeFault.AccessFlag, level, stage, desc, stage == 2 ? ia : 0);
            return true;
        }

        bool privileged = (access & ArmLpaeAccess.Privileged) != 0;
        bool isWrite = (access & ArmLpaeAccess.Write) != 0;
        ushort flags = (desc & ArmLpaePte.Dbm) != 0 ? ArmLpaeWalkResult.FlagDbm : (ushort)0;
        if ((desc & ArmLpaePte.Contiguous) != 0)
        {
            flags |= ArmLpaeWalkResult.FlagContiguous;
        }

        byte ap = 0;
        byte s2ap = 0;
        ulong set = af ? 0 : ArmLpaePte.Af; // bits the hardware sets
        ulong clear = 0; // bits the hardware clears
        if (stage == 1)
        {
            ulong tableAttrs = cfg.HierarchicalPermissionsDisabled ? leaf.TableAttrs & ArmLpaePte.NsTable : leaf.TableAttrs;

            // AP[2:1] limited by APTable: APTable[1] forces read-only, APTable[0] removes unprivileged access.
            ulong apTable = (tableAttrs >> ArmLpaePte.ApTableShift) & 3;
            ulong rdonly = ((desc >> 7) & 1) | (apTable >> 1);
            ulong unpriv = (desc >> 6) & 1 & ~apTable;
            if (isWrite && (flags & ArmLpaeWalkResult.FlagDbm) != 0 && cfg.HardwareDirty && ((desc >> 7) & 1) != 0 && (apTable >> 1) == 0
                && (privileged || unpriv != 0))
            {
                rdonly = 0;
                clear = ArmLpaePte.ApRdonly;
            }

            ap = (byte)((rdonly << 1) | unpriv);
            flags |= Stage1Permissions(
                rdonly != 0,
                unpriv != 0,
                ((desc & ArmLpaePte.Pxn) | (tableAttrs & ArmLpaePte.PxnTable)) != 0,
                ((desc & ArmLpaePte.Uxn) | (tableAttrs & ArmLpaePte.UxnTable)) != 0,
                privileged,
                cfg.Aarch64,
                cfg.Wxn);
            flags |= (ushort)(((desc & ArmLpaePte.NG) != 0 ? ArmLpaeWalkResult.FlagNotGlobal : 0)
                | (((desc & ArmLpaePte.Ns) | (tableAttrs & ArmLpaePte.NsTable)) != 0 ? ArmLpaeWalkResult.FlagNonSecure : 0));
        }
        else
        {
            ulong hap = (desc >> 6) & 3;
            if (isWrite && (flags & ArmLpaeWalkResult.FlagDbm) != 0 && cfg.HardwareDirty && (hap & 2) == 0)
            {
                hap |= 2;
                set |= ArmLpaePte.HapWrite;
            }

            s2ap = (byte)hap;
            flags |= Stage2Permissions((hap & 1) != 0, (hap & 2) != 0, (desc & ArmLpaePte.Uxn) != 0);
        }

        if ((flags & NeededPermission(access)) == 0)
        {
            SetFault(out result, ArmLpaeFault.Permission, level, stage, desc, stage == 2 ? ia : 0);
            return true;
        }

        if ((set | clear) != 0)
        {
            if (!fetch.CanUpdate(level, leaf.DescriptorPa, out result))
            {
                return true;
            }

            ulong updated = (desc | set) & ~clear;
            if (memory.CompareExchange64(leaf.DescriptorPa, desc, updated, cfg.WalkAccess, out ulong found) != BusStatus.Ok)
            {
                SetFault(out result, ArmLpaeFault.ExternalAbort, level, stage, desc, leaf.DescriptorPa);
                return true;
            }

            if (found != desc && attempt < MaxUpdateRetries)
            {
                return false; // the descriptor changed under us: walk again
            }

            desc = updated;
        }

        int shift = leaf.Shift;
        result = new ArmLpaeWalkResult(
            leaf.OutputBase | (ia & ((1UL << shift) - 1)),
            desc,
            level,
            stage,
            shift,
            stage == 1 ? (byte)((desc >> ArmLpaePte.AttrIndxShift) & 7) : (byte)0,
            stage == 2 ? (byte)((desc >> ArmLpaePte.MemAttrShift) & 0xF) : (byte)0,
            (byte)((desc >> ArmLpaePte.ShShift) & 3),
            ap,
            s2ap,
            flags);
        return true;
    }

    /// <summary>
    /// Stage-1 permissions of a leaf as the PE checks them, with APTable already folded into
    /// <paramref name="readOnly"/> and <paramref name="unprivileged"/> and the XNTable bits into
    /// <paramref name="pxn"/> and <paramref name="uxn"/>: readable, writable and executable flags.
    /// </summary>
    internal static ushort Stage1Permissions(bool readOnly, bool unprivileged, bool pxn, bool uxn, bool privileged, bool aarch64, bool wxn)
    {
        bool readable = privileged || unprivileged;
        bool writable = readable && !readOnly;

        // VMSAv8-64: memory writable at EL0 is never executable at EL1 (implied PXN).
        bool xn = aarch64 ? (privileged ? pxn || (unprivileged && !readOnly) : uxn) : uxn || (privileged && pxn);
        bool executable = !(xn || (wxn && writable));
        return (ushort)((readable ? ArmLpaeWalkResult.FlagReadable : 0)
            | (writable ? ArmLpaeWalkResult.FlagWritable : 0)
            | (executable ? ArmLpaeWalkResult.FlagExecutable : 0));
    }

    /// <summary>Stage-2 permissions from S2AP and XN (without FEAT_XNX only XN[1], bit 54, counts).</summary>
    internal static ushort Stage2Permissions(bool read, bool write, bool xn) =>
        (ushort)((read ? ArmLpaeWalkResult.FlagReadable : 0) | (write ? ArmLpaeWalkResult.FlagWritable : 0) | (xn ? 0 : ArmLpaeWalkResult.FlagExecutable));

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SetFault(out ArmLpaeWalkResult result, ArmLpaeFault fault, int level, int stage, ulong descriptor, ulong faultAddress) =>
        result = new ArmLpaeWalkResult(fault, level, stage, descriptor, faultAddress);

    /// <summary>How a stage reaches its descriptors.</summary>
    private interface IDescriptorFetch
    {
        /// <summary>The PA to read for a descriptor at <paramref name="descAddr"/>; false with a fault result if it cannot be reached.</summary>
        bool Translate(PhysicalMemory memory, ulong descAddr, out ulong descPa, out ArmLpaeWalkResult fault);

        /// <summary>False with a fault result if the hardware may not update the descriptor just read.</summary>
        bool CanUpdate(int level, ulong descPa, out ArmLpaeWalkResult fault);
    }

    /// <summary>The leaf a descent found.</summary>
    private readonly record struct Leaf(ulong Descriptor, ulong DescriptorPa, ulong OutputBase, ulong TableAttrs, int Level, int Shift);

    /// <summary>Descriptors at physical addresses.</summary>
    private struct DirectFetch : IDescriptorFetch
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly bool Translate(PhysicalMemory memory, ulong descAddr, out ulong descPa, out ArmLpaeWalkResult fault)
        {
            descPa = descAddr;
            Unsafe.SkipInit(out fault);
            return true;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly bool CanUpdate(int level, ulong descPa, out ArmLpaeWalkResult fault)
        {
            Unsafe.SkipInit(out fault);
            return true;
        }
    }

    /// <summary>Stage-1 descriptors at IPAs, read through a stage-2 walk (a stage-2 fault is reported as on a table fetch).</summary>
    private struct Stage2Fetch(ArmLpaeWalkConfig s2) : IDescriptorFetch
    {
        private readonly ArmLpaeWalkConfig _s2 = s2;
        private bool _writable;

        public bool Translate(PhysicalMemory memory, ulong descAddr, out ulong descPa, out ArmLpaeWalkResult fault)
        {
            var direct = default(DirectFetch);
            WalkStage(memory, in _s2, ref direct, descAddr, ArmLpaeAccess.Read, out ArmLpaeWalkResult t);
            if (!t.IsOk)
            {
                descPa = 0;
                fault = new ArmLpaeWalkResult
                {
                    Fault = t.Fault,
                    Level = t.Level,
                    Stage = 2,
                    FaultOnTableFetch = true,
                    Descriptor = t.Descriptor,
                    FaultAddress = t.Fault == ArmLpaeFault.ExternalAbort ? t.FaultAddress : descAddr,
                    IntermediateAddress = descAddr,
                };
                return false;
            }

            descPa = t.OutputAddress;
            _writable = t.Writable;
            Unsafe.SkipInit(out fault);
            return true;
        }

        public readonly bool CanUpdate(int level, ulong descPa, out ArmLpaeWalkResult fault)
        {
            if (_writable)
            {
                Unsafe.SkipInit(out fault);
                return true;
            }

            // The hardware update of a stage-1 descriptor needs stage-2 write permission.
            fault = new ArmLpaeWalkResult
            {
                Fault = ArmLpaeFault.Permission,
                Level = level,
                Stage = 2,
                FaultOnTableFetch = true,
                FaultAddress = descPa,
            };
            return false;
        }
    }
}
