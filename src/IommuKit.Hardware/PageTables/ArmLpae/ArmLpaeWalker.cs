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
/// specifies for both stages (AArch64.VAIsOutOfRange / IPAIsOutOfRange).</para>
/// <para>Not modelled: FEAT_LPA2 (52-bit with 4K/16K), FEAT_XNX (stage-2 XN[0]), FEAT_TTST,
/// the contiguous hint as a TLB grouping (reported only), TTBR0/TTBR1 selection (the caller
/// picks the table and passes the address within the regime).</para>
/// </remarks>
public static class ArmLpaeWalker
{
    private const int MaxUpdateRetries = 16;

    /// <summary>Walks one stage for <paramref name="inputAddress"/>.</summary>
    public static void Walk(PhysicalMemory memory, in ArmLpaeWalkConfig cfg, ulong inputAddress, ArmLpaeAccess access, out ArmLpaeWalkResult result)
    {
        ArgumentNullException.ThrowIfNull(memory);
        WalkStage(memory, in cfg, in cfg, nested: false, inputAddress, access, out result);
    }

    /// <summary>
    /// Walks stage 1 then stage 2: stage-1 table addresses and the stage-1 output are IPAs that
    /// stage 2 translates. A stage-2 fault while fetching a stage-1 descriptor reports
    /// <see cref="ArmLpaeWalkResult.Stage"/> = 2 with <see cref="ArmLpaeWalkResult.FaultOnTableFetch"/>.
    /// </summary>
    public static void WalkNested(PhysicalMemory memory, in ArmLpaeWalkConfig s1, in ArmLpaeWalkConfig s2, ulong inputAddress, ArmLpaeAccess access, out ArmLpaeWalkResult result)
    {
        ArgumentNullException.ThrowIfNull(memory);
        WalkStage(memory, in s1, in s2, nested: true, inputAddress, access, out ArmLpaeWalkResult r1);
        if (!r1.IsOk)
        {
            result = r1;
            return;
        }

        ulong ipa = r1.OutputAddress;
        WalkStage(memory, in s2, in s2, nested: false, ipa, access, out ArmLpaeWalkResult r2);
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

        result = new ArmLpaeWalkResult
        {
            Level = r1.Level,
            Stage = 2,
            OutputAddress = r2.OutputAddress,
            IntermediateAddress = ipa,
            BlockShift = Math.Min(r1.BlockShift, r2.BlockShift),
            Descriptor = r1.Descriptor,
            AttrIndx = r1.AttrIndx,
            S2MemAttr = r2.S2MemAttr,
            Shareability = r1.Shareability,
            S2Shareability = r2.Shareability,
            AccessPermissions = r1.AccessPermissions,
            S2AccessPermissions = r2.S2AccessPermissions,
            NotGlobal = r1.NotGlobal,
            NonSecure = r1.NonSecure,
            ContiguousHint = r1.ContiguousHint,
            DirtyBitModifier = r1.DirtyBitModifier,
            Readable = r1.Readable && r2.Readable,
            Writable = r1.Writable && r2.Writable,
            Executable = r1.Executable && r2.Executable,
        };
    }

    /// <summary>True if a block descriptor is allowed at <paramref name="level"/> (Arm ARM AArch64.BlockDescSupported, without LPA2).</summary>
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

    private static void WalkStage(PhysicalMemory memory, in ArmLpaeWalkConfig cfg, in ArmLpaeWalkConfig s2, bool nested, ulong ia, ArmLpaeAccess access, out ArmLpaeWalkResult result)
    {
        int stage = cfg.Stage;
        if (!cfg.IsValid || (cfg.InputSize < 64 && (ia >> cfg.InputSize) != 0))
        {
            result = Fault(ArmLpaeFault.Translation, 0, stage, 0, stage == 2 ? ia : 0);
            return;
        }

        int g = cfg.GranuleShift;
        int bpl = g - 3;
        int oas = cfg.OutputSize;
        int startLevel = cfg.StartLevel;
        int startBits = cfg.InputSize - ArmLpaeWalkConfig.LevelShift(startLevel, g);
        int startAlign = Math.Max(startBits + 3, 6);
        ulong startBase = cfg.TableBase & ~((1UL << startAlign) - 1);
        if ((startBase >> oas) != 0)
        {
            result = Fault(ArmLpaeFault.AddressSize, 0, stage, 0, stage == 2 ? ia : 0);
            return;
        }

        for (int attempt = 0; ; attempt++)
        {
            int level = startLevel;
            int indexBits = startBits;
            ulong tableBase = startBase;
            ulong apTable = 0;
            bool uxnTable = false;
            bool pxnTable = false;
            bool nsTable = false;
            ulong desc;
            ulong descPa;
            bool s2Writable = true;
            while (true)
            {
                int shift = ((4 - level) * bpl) + 3;
                ulong descAddr = tableBase + (((ia >> shift) & ((1UL << indexBits) - 1)) << 3);
                descPa = descAddr;
                if (nested)
                {
                    WalkStage(memory, in s2, in s2, nested: false, descAddr, ArmLpaeAccess.Read, out ArmLpaeWalkResult t);
                    if (!t.IsOk)
                    {
                        result = new ArmLpaeWalkResult
                        {
                            Fault = t.Fault,
                            Level = t.Level,
                            Stage = 2,
                            FaultOnTableFetch = true,
                            Descriptor = t.Descriptor,
                            FaultAddress = t.Fault == ArmLpaeFault.ExternalAbort ? t.FaultAddress : descAddr,
                            IntermediateAddress = descAddr,
                        };
                        return;
                    }

                    descPa = t.OutputAddress;
                    s2Writable = t.Writable;
                }

                if (memory.Read64(descPa, cfg.WalkAccess, out desc) != BusStatus.Ok)
                {
                    result = Fault(ArmLpaeFault.ExternalAbort, level, stage, 0, descPa);
                    return;
                }

                if ((desc & ArmLpaePte.Valid) == 0)
                {
                    result = Fault(ArmLpaeFault.Translation, level, stage, desc, stage == 2 ? ia : 0);
                    return;
                }

                if (level == 3)
                {
                    if ((desc & 2) == 0)
                    {
                        result = Fault(ArmLpaeFault.Translation, level, stage, desc, stage == 2 ? ia : 0);
                        return;
                    }

                    break;
                }

                if ((desc & 2) == 0)
                {
                    if (!BlockAllowed(level, g, oas))
                    {
                        result = Fault(ArmLpaeFault.Translation, level, stage, desc, stage == 2 ? ia : 0);
                        return;
                    }

                    break;
                }

                ulong next = DescriptorAddress(desc, g);
                if ((next >> oas) != 0)
                {
                    result = Fault(ArmLpaeFault.AddressSize, level, stage, desc, stage == 2 ? ia : 0);
                    return;
                }

                if (stage == 1)
                {
                    nsTable |= (desc & ArmLpaePte.NsTable) != 0;
                    if (!cfg.HierarchicalPermissionsDisabled)
                    {
                        apTable |= (desc >> ArmLpaePte.ApTableShift) & 3;
                        uxnTable |= (desc & ArmLpaePte.UxnTable) != 0;
                        pxnTable |= (desc & ArmLpaePte.PxnTable) != 0;
                    }
                }

                tableBase = next;
                indexBits = bpl;
                level++;
            }

            // A leaf at `level`.
            int blockShift = ((4 - level) * bpl) + 3;
            ulong outBase = DescriptorAddress(desc, g) & ~((1UL << blockShift) - 1);
            if ((outBase >> oas) != 0 || (!cfg.Aarch64 && (outBase >> 40) != 0))
            {
                result = Fault(ArmLpaeFault.AddressSize, level, stage, desc, stage == 2 ? ia : 0);
                return;
            }

            bool af = (desc & ArmLpaePte.Af) != 0;
            if (!af && !cfg.HardwareAccessFlag)
            {
                result = Fault(ArmLpaeFault.AccessFlag, level, stage, desc, stage == 2 ? ia : 0);
                return;
            }

            bool privileged = (access & ArmLpaeAccess.Privileged) != 0;
            bool isWrite = (access & ArmLpaeAccess.Write) != 0;
            bool isExec = (access & ArmLpaeAccess.Execute) != 0 && !isWrite;
            bool dbm = (desc & ArmLpaePte.Dbm) != 0;
            bool readable;
            bool writable;
            bool executable;
            byte ap = 0;
            byte s2ap = 0;
            ulong update = 0;
            if (stage == 1)
            {
                // AP[2:1] limited by APTable: APTable[1] forces read-only, APTable[0] removes unprivileged access.
                ulong rdonly = ((desc >> 7) & 1) | ((apTable >> 1) & 1);
                ulong unpriv = ((desc >> 6) & 1) & ~apTable & 1;
                bool hwDirtyable = isWrite && cfg.HardwareDirty && dbm && ((desc >> 7) & 1) != 0 && ((apTable >> 1) & 1) == 0 && (privileged || unpriv != 0);
                if (hwDirtyable)
                {
                    rdonly = 0;
                    update |= ArmLpaePte.ApRdonly;
                }

                ap = (byte)((rdonly << 1) | unpriv);
                readable = privileged || unpriv != 0;
                writable = readable && rdonly == 0;
                bool xn;
                if (cfg.Aarch64)
                {
                    // Memory writable at EL0 is never executable at EL1 (implied PXN).
                    xn = privileged
                        ? (desc & ArmLpaePte.Pxn) != 0 || pxnTable || (unpriv != 0 && rdonly == 0)
                        : (desc & ArmLpaePte.Uxn) != 0 || uxnTable;
                }
                else
                {
                    xn = (desc & ArmLpaePte.Uxn) != 0 || uxnTable || (privileged && ((desc & ArmLpaePte.Pxn) != 0 || pxnTable));
                }

                if (cfg.Wxn && writable)
                {
                    xn = true;
                }

                executable = !xn;
            }
            else
            {
                ulong hap = (desc >> 6) & 3;
                if (isWrite && cfg.HardwareDirty && dbm && (hap & 2) == 0)
                {
                    hap |= 2;
                    update |= ArmLpaePte.HapWrite;
                }

                s2ap = (byte)hap;
                readable = (hap & 1) != 0;
                writable = (hap & 2) != 0;
                executable = (desc & ArmLpaePte.Uxn) == 0; // without FEAT_XNX only XN[1] (bit 54) counts
            }

            bool permitted = isWrite ? writable : isExec ? executable : readable;
            if (!permitted)
            {
                result = Fault(ArmLpaeFault.Permission, level, stage, desc, stage == 2 ? ia : 0);
                return;
            }

            if (!af)
            {
                update |= ArmLpaePte.Af;
            }

            if (update != 0)
            {
                if (nested && !s2Writable)
                {
                    // The hardware update of a stage-1 descriptor needs stage-2 write permission.
                    result = new ArmLpaeWalkResult
                    {
                        Fault = ArmLpaeFault.Permission,
                        Level = level,
                        Stage = 2,
                        FaultOnTableFetch = true,
                        FaultAddress = descPa,
                    };
                    return;
                }

                BusStatus s = memory.CompareExchange64(descPa, desc, desc | update, cfg.WalkAccess, out ulong found);
                if (s != BusStatus.Ok)
                {
                    result = Fault(ArmLpaeFault.ExternalAbort, level, stage, desc, descPa);
                    return;
                }

                if (found != desc && attempt < MaxUpdateRetries)
                {
                    continue; // the descriptor changed under us: walk again
                }

                desc |= update;
            }

            ulong offsetMask = (1UL << blockShift) - 1;
            result = new ArmLpaeWalkResult
            {
                Level = level,
                Stage = stage,
                OutputAddress = outBase | (ia & offsetMask),
                BlockShift = blockShift,
                Descriptor = desc,
                AttrIndx = stage == 1 ? (byte)((desc >> ArmLpaePte.AttrIndxShift) & 7) : (byte)0,
                S2MemAttr = stage == 2 ? (byte)((desc >> ArmLpaePte.MemAttrShift) & 0xF) : (byte)0,
                Shareability = (byte)((desc >> ArmLpaePte.ShShift) & 3),
                S2Shareability = stage == 2 ? (byte)((desc >> ArmLpaePte.ShShift) & 3) : (byte)0,
                AccessPermissions = ap,
                S2AccessPermissions = s2ap,
                NotGlobal = stage == 1 && (desc & ArmLpaePte.NG) != 0,
                NonSecure = stage == 1 && ((desc & ArmLpaePte.Ns) != 0 || nsTable),
                ContiguousHint = (desc & ArmLpaePte.Contiguous) != 0,
                DirtyBitModifier = dbm,
                Readable = readable,
                Writable = writable,
                Executable = executable,
            };
            return;
        }
    }

    private static ArmLpaeWalkResult Fault(ArmLpaeFault fault, int level, int stage, ulong descriptor, ulong faultAddress) => new()
    {
        Fault = fault,
        Level = level,
        Stage = stage,
        Descriptor = descriptor,
        FaultAddress = faultAddress,
    };
}
