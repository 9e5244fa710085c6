using System.Runtime.CompilerServices;
using IommuKit.Hardware.Memory;

namespace IommuKit.Hardware.PageTables.ArmLpae;

/// <summary>The walker's fast path: the translations a device makes all day long.</summary>
/// <remarks>
/// Locals are not zeroed on entry (every one is assigned before it is read): inlined into a caller's
/// loop, zeroing the temporaries of the slow paths would cost stores on every walk.
/// </remarks>
[SkipLocalsInit]
public static partial class ArmLpaeWalker
{
    /// <summary>
    /// One stage, for a walk that ends in a valid leaf whose access flag is set, has no DBM bit,
    /// passes its permission check and (at stage 1) has no NSTable/APTable/XNTable above it. Returns
    /// false for anything else (a fault, a hardware update, hierarchical attributes, a bus error),
    /// and the caller runs the reference walk, which decides it; a false return changes nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool TryWalkFast(PhysicalMemory memory, in ArmLpaeWalkConfig cfg, ulong ia, ArmLpaeAccess access, out ArmLpaeWalkResult result)
    {
        int entry = cfg.FastEntry - 1; // 4 × granule + start level
        if ((uint)entry < 4)
        {
            return TryWalkFast<ArmLpaeGranule4K>(memory, in cfg, entry, ia, access, out result);
        }

        // Through a temporary, like the reference walk in Walk: no call takes the result's address.
        bool ok = TryWalkFastLargeGranule(memory, in cfg, entry, ia, access, out ArmLpaeWalkResult large);
        result = large;
        return ok;
    }

    // The fast walk's permission nibbles, computed once with the reference walk's own rules for
    // leaves without hierarchical attributes: word [stage 2 ? 8 : VMSAv8-64 × 4 + WXN × 2 +
    // privileged] has in nibble i readable (1), writable (2) and executable (4) for a leaf whose
    // AP[1] / S2AP[0], AP[2] / S2AP[1], PXN and UXN / XN are bits 0–3 of i.
    private static readonly ulong[] PermissionNibbles = BuildPermissionNibbles();

    /// <summary>The fast walk's permission nibbles for one configuration and privilege (see <see cref="PermissionNibbles"/>).</summary>
    internal static ulong LeafPermissionNibbles(int stage, bool aarch64, bool wxn, bool privileged) =>
        PermissionNibbles[stage == 2 ? 8 : (aarch64 ? 4 : 0) | (wxn ? 2 : 0) | (privileged ? 1 : 0)];

    /// <summary>The fast walk for the 16K and 64K granules, out of line so that callers inline only the 4K one.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TryWalkFastLargeGranule(PhysicalMemory memory, in ArmLpaeWalkConfig cfg, int entry, ulong ia, ArmLpaeAccess access, out ArmLpaeWalkResult result)
    {
        switch (entry >> 2)
        {
            case 1:
                return TryWalkFast<ArmLpaeGranule16K>(memory, in cfg, entry & 3, ia, access, out result);
            case 2:
                return TryWalkFast<ArmLpaeGranule64K>(memory, in cfg, entry & 3, ia, access, out result);
            default:
                Unsafe.SkipInit(out result);
                return false;
        }
    }

    /// <summary>
    /// <see cref="TryWalkFast(PhysicalMemory, in ArmLpaeWalkConfig, ulong, ArmLpaeAccess, out ArmLpaeWalkResult)"/>
    /// with the granule's constants folded in and one block of code per level, entered at the
    /// start level. A device's translations are latency bound: the fewer instructions a walk
    /// takes, the more walks the CPU overlaps, so a level is a load and one masked compare.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe bool TryWalkFast<TGranule>(PhysicalMemory memory, in ArmLpaeWalkConfig cfg, int startLevel, ulong ia, ArmLpaeAccess access, out ArmLpaeWalkResult result)
        where TGranule : struct, IArmLpaeGranule
    {
        Unsafe.SkipInit(out result);
        if ((ia & cfg.InputOverflowMask) != 0)
        {
            return false;
        }

        // Every table address below is checked against the view before it is loaded from: the start
        // table here, each next table by its descriptor's compare.
        byte* view = memory.GetWalkView(cfg.WalkAccess, out ulong viewBase, out ulong viewSize);
        ulong address = cfg.StartTable + (((ia >> cfg.StartShift) & cfg.StartIndexMask) << 3);
        if (address - viewBase >= viewSize)
        {
            return false; // also when there is no view (size 0)
        }

        int g = TGranule.Shift;
        ulong levelMask = (1UL << (g - 3)) - 1;

        // A table descriptor passes this masked compare exactly when it is 0b11, its next-table
        // address lies in the view and within the output size, and every other bit (hierarchical
        // attributes, ignored and RES0 bits) is zero: then the next table is at descriptor − 3.
        // Anything else declines, and the reference walk decides it.
        ulong tableCheck = cfg.TableCheckMask | (0 - viewSize);
        ulong tableValue = viewBase | 3;
        ulong desc;

        // Descriptor addresses are 8-byte aligned by construction, so one aligned load reads one: a
        // plain load, as aligned 8-byte loads are single-copy atomic, and each level's address
        // depends on the previous descriptor, which orders the loads as a walker's are.
        switch (startLevel)
        {
            case 0:
                desc = *(ulong*)(view + address);
                if ((desc & tableCheck) != tableValue)
                {
                    return false; // no granule has a level-0 block here
                }

                address = desc - 3 + (((ia >> ArmLpaeWalkConfig.LevelShift(1, g)) & levelMask) << 3);
                goto case 1;
            case 1:
                desc = *(ulong*)(view + address);
                if ((desc & tableCheck) != tableValue)
                {
                    if ((desc & 3) == 3 || !BlockAllowed(1, g, cfg.OutputSize))
                    {
                        return false;
                    }

                    return FastLeaf<TGranule>(memory, in cfg, ia, access, desc, 1, ArmLpaeWalkConfig.LevelShift(1, g), out result);
                }

                address = desc - 3 + (((ia >> ArmLpaeWalkConfig.LevelShift(2, g)) & levelMask) << 3);
                goto case 2;
            case 2:
                desc = *(ulong*)(view + address);
                if ((desc & tableCheck) != tableValue)
                {
                    if ((desc & 3) == 3)
                    {
                        return false;
                    }

                    return FastLeaf<TGranule>(memory, in cfg, ia, access, desc, 2, ArmLpaeWalkConfig.LevelShift(2, g), out result); // every granule has level-2 blocks
                }

                address = desc - 3 + (((ia >> g) & levelMask) << 3);
                goto default;
            default:
                desc = *(ulong*)(view + address);
                return FastLeaf<TGranule>(memory, in cfg, ia, access, desc, 3, g, out result);
        }
    }

    /// <summary>
    /// The fast walk's last step, inlined at each level that can hold a leaf so its constants fold:
    /// the leaf must have AF set and no DBM bit (an update or an access-flag fault is the reference
    /// walk's business), no address beyond the output size, and a permission nibble that allows the
    /// access; it becomes the result.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool FastLeaf<TGranule>(PhysicalMemory memory, in ArmLpaeWalkConfig cfg, ulong ia, ArmLpaeAccess access, ulong desc, int level, int shift, out ArmLpaeWalkResult result)
        where TGranule : struct, IArmLpaeGranule
    {
        GC.KeepAlive(memory); // the view's mapping belongs to memory
        ulong leafType = level == 3 ? 3UL : 1UL; // a page, or a block
        ulong offsetMask = (1UL << shift) - 1;
        int nibble = (int)(((desc >> 4) & 0xC) | ((desc >> 49) & 0x30)); // 4 × (AP[2:1] | PXN << 2 | UXN << 3)
        uint flags = ((uint)(cfg.LeafPermissions(access) >> nibble) & 7) * ArmLpaeWalkResult.FlagReadable;
        if ((desc & cfg.LeafCheckMask) != (ArmLpaePte.Af | leafType) || (flags & NeededPermission(access)) == 0)
        {
            Unsafe.SkipInit(out result);
            return false;
        }

        ulong outBase = NextTable<TGranule>(desc) & ~offsetMask;
        result = new ArmLpaeWalkResult(outBase | (ia & offsetMask), desc, ArmLpaeWalkResult.FastInfo(level, 0, shift) | cfg.FastResultInfo | flags);
        return true;
    }

    /// <summary>The output address a descriptor holds at the granule's alignment (with 64K, OA[51:48] from bits [15:12]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong NextTable<TGranule>(ulong desc)
        where TGranule : struct, IArmLpaeGranule =>
        TGranule.Shift == 16
            ? (desc & ArmLpaePte.AddrMask & ~0xFFFFUL) | ((desc & 0xF000) << 36)
            : desc & ArmLpaePte.AddrMask & ~((1UL << TGranule.Shift) - 1);

    /// <summary>The permission flag an access needs: write, execute (a fetch that is not a write) or read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ushort NeededPermission(ArmLpaeAccess access) =>
        (ushort)((NeededByAccess >> ((int)(access & (ArmLpaeAccess.Write | ArmLpaeAccess.Execute)) * 8)) & 0xFF);

    // NeededPermission's answers, one byte per (Write, Execute) pair: read, write, execute, write.
    private const uint NeededByAccess =
        ArmLpaeWalkResult.FlagReadable
        | (ArmLpaeWalkResult.FlagWritable << 8)
        | (ArmLpaeWalkResult.FlagExecutable << 16)
        | ((uint)ArmLpaeWalkResult.FlagWritable << 24);

    private static ulong[] BuildPermissionNibbles()
    {
        var words = new ulong[9];
        for (int w = 0; w < words.Length; w++)
        {
            for (int i = 0; i < 16; i++)
            {
                ushort flags = w == 8
                    ? Stage2Permissions(read: (i & 1) != 0, write: (i & 2) != 0, xn: (i & 8) != 0)
                    : Stage1Permissions(
                        readOnly: (i & 2) != 0,
                        unprivileged: (i & 1) != 0,
                        pxn: (i & 4) != 0,
                        uxn: (i & 8) != 0,
                        privileged: (w & 1) != 0,
                        aarch64: (w & 4) != 0,
                        wxn: (w & 2) != 0);
                words[w] |= (ulong)((flags / ArmLpaeWalkResult.FlagReadable) & 7) << (i * 4);
            }
        }

        return words;
    }
}
