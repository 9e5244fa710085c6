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
    /// and the caller runs the reference walk, which decides it; a false return changes nothing and
    /// leaves the result undefined.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool TryWalkFast(PhysicalMemory memory, in ArmLpaeWalkConfig cfg, ulong ia, ArmLpaeAccess access, out ArmLpaeWalkResult result)
    {
        // Inlined for the 4K granule from level 0 (48-bit inputs, what Linux gives a stage-1 domain),
        // with its start level a constant; every other configuration walks out of line.
        int entry = cfg.FastEntry - 1; // 4 × granule + start level
        if (entry == 0)
        {
            return TryWalkFast<ArmLpaeGranule4K>(memory, in cfg, 0, ia, access, out result);
        }

        // Through a temporary, like the reference walk in Walk: no call takes the result's address.
        bool ok = TryWalkFastOutOfLine(memory, in cfg, entry, ia, access, out ArmLpaeWalkResult other);
        result = other;
        return ok;
    }

    // The permission nibbles, computed once with the reference walk's own rules for leaves without
    // hierarchical attributes: word [PermissionWord] has in nibble i readable (1), writable (2) and
    // executable (4) for a leaf whose AP[1] / S2AP[0], AP[2] / S2AP[1], PXN and UXN / XN are bits
    // 0-3 of i. A fast result decodes its permissions with them when they are read.
    private static readonly ulong[] PermissionNibbles = BuildPermissionNibbles();

    // For each word and access (ArmLpaeAccess & 7), the fast walk's leaf permission test: a mask and
    // value over those four bits (mask | value << 4) such that every leaf matching it has the
    // permission the access needs, matching as many of the allowed combinations as one masked
    // compare can; NeverMatches where none is allowed. The rest decline to the reference walk.
    private static readonly ushort[] PermissionChecks = BuildPermissionChecks();

    private const ushort NeverMatches = 0xFFFF;

    /// <summary>The permission word for a stage-1 configuration and privilege, or stage 2 (index into the permission tables).</summary>
    internal static int PermissionWord(int stage, bool aarch64, bool wxn, bool privileged) =>
        stage == 2 ? 8 : (aarch64 ? 4 : 0) | (wxn ? 2 : 0) | (privileged ? 1 : 0);

    /// <summary>The readable/writable/executable flags of a leaf without hierarchical attributes above it.</summary>
    internal static ushort LeafPermissionFlags(int word, ulong descriptor) =>
        (ushort)(((PermissionNibbles[word] >> (4 * PermissionNibble(descriptor))) & 7) * ArmLpaeWalkResult.FlagReadable);

    /// <summary>
    /// The fast walk's leaf permission test for <paramref name="access"/> under permission word
    /// <paramref name="word"/>, as descriptor bits: a leaf passes when (descriptor &amp; mask) == value
    /// (a value of all ones never matches).
    /// </summary>
    internal static (ulong Mask, ulong Value) LeafPermissionCheck(int word, ArmLpaeAccess access)
    {
        ushort check = PermissionChecks[(word * 8) + ((int)access & 7)];
        return check == NeverMatches ? (0, ulong.MaxValue) : (ExpandNibble(check & 0xF), ExpandNibble(check >> 4));
    }

    /// <summary>The fast walk for the configurations callers do not inline (<see cref="ArmLpaeWalkConfig.FastEntry"/> − 1 = <paramref name="entry"/>).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TryWalkFastOutOfLine(PhysicalMemory memory, in ArmLpaeWalkConfig cfg, int entry, ulong ia, ArmLpaeAccess access, out ArmLpaeWalkResult result)
    {
        switch (entry >> 2)
        {
            case 0:
                return TryWalkFast<ArmLpaeGranule4K>(memory, in cfg, entry & 3, ia, access, out result);
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

        // Every table address is checked against the walk view before it is loaded from: the start
        // table's here, each next table's by its descriptor's compare. The input is within the input
        // size, so its index bits at the start level need no mask: they select an entry of the
        // start table (or of the concatenated ones).
        int g = TGranule.Shift;
        byte* view = memory.GetWalkView(cfg.WalkAccess, out ulong viewSize);
        ulong address = cfg.StartTable + ((ia >> ArmLpaeWalkConfig.LevelShift(startLevel, g)) << 3);
        if (address >= viewSize)
        {
            return false; // also when there is no view (size 0)
        }

        ulong levelMask = (1UL << (g - 3)) - 1;

        // A table descriptor passes this masked compare with 0b11 exactly when its next-table
        // address lies in the view and within the output size, and every other bit (hierarchical
        // attributes, ignored and RES0 bits) is zero: then the next table is at descriptor − 3.
        // Anything else declines, and the reference walk decides it.
        ulong tableCheck = cfg.TableCheckMask | (0 - viewSize);
        ulong desc;

        // Descriptor addresses are 8-byte aligned by construction, so one aligned load reads one: a
        // plain load, as aligned 8-byte loads are single-copy atomic, and each level's address
        // depends on the previous descriptor, which orders the loads as a walker's are.
        switch (startLevel)
        {
            case 0:
                desc = *(ulong*)(view + address);
                if ((desc & tableCheck) != 3)
                {
                    return false; // no granule has a level-0 block here
                }

                address = desc - 3 + (((ia >> ArmLpaeWalkConfig.LevelShift(1, g)) & levelMask) << 3);
                goto case 1;
            case 1:
                desc = *(ulong*)(view + address);
                if ((desc & tableCheck) != 3)
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
                if ((desc & tableCheck) != 3)
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
    /// one masked compare requires a valid leaf of the level's type with AF set, no DBM bit (an
    /// update or an access-flag fault is the reference walk's business), no address beyond the
    /// output size and permission bits that allow the access; it becomes the result, whose
    /// permission flags are decoded from the descriptor when read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool FastLeaf<TGranule>(PhysicalMemory memory, in ArmLpaeWalkConfig cfg, ulong ia, ArmLpaeAccess access, ulong desc, int level, int shift, out ArmLpaeWalkResult result)
        where TGranule : struct, IArmLpaeGranule
    {
        GC.KeepAlive(memory); // the view's mapping belongs to memory
        ulong expected = level == 3 ? cfg.LeafCheckValue(access) : cfg.LeafCheckValue(access) ^ 2; // a page, or a block
        if ((desc & cfg.LeafCheckMask(access)) != expected)
        {
            Unsafe.SkipInit(out result);
            return false;
        }

        ulong offsetMask = (1UL << shift) - 1;
        ulong outBase = NextTable<TGranule>(desc) & ~offsetMask;
        result = new ArmLpaeWalkResult(outBase | (ia & offsetMask), desc, cfg.FastResultInfo(access, level));
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
    private static ushort NeededPermission(ArmLpaeAccess access) =>
        (access & ArmLpaeAccess.Write) != 0 ? ArmLpaeWalkResult.FlagWritable
        : (access & ArmLpaeAccess.Execute) != 0 ? ArmLpaeWalkResult.FlagExecutable
        : ArmLpaeWalkResult.FlagReadable;

    /// <summary>The permission bits of a leaf as a nibble: AP[1] / S2AP[0], AP[2] / S2AP[1], PXN, UXN / XN.</summary>
    private static int PermissionNibble(ulong descriptor) => (int)(((descriptor >> 6) & 3) | ((descriptor >> 51) & 0xC));

    /// <summary>A permission nibble's bits in descriptor positions (6, 7, 53, 54).</summary>
    private static ulong ExpandNibble(int nibble) => ((ulong)(nibble & 3) << 6) | ((ulong)(nibble & 0xC) << 51);

    private static ushort[] BuildPermissionChecks()
    {
        var checks = new ushort[PermissionNibbles.Length * 8];
        for (int word = 0; word < PermissionNibbles.Length; word++)
        {
            for (int access = 0; access < 8; access++)
            {
                int needed = NeededPermission((ArmLpaeAccess)access) / ArmLpaeWalkResult.FlagReadable;
                ushort best = NeverMatches;
                int bestCount = 0;
                for (int mask = 0; mask < 16; mask++)
                {
                    for (int value = mask; ; value = (value - 1) & mask) // every subset of mask
                    {
                        int count = 0;
                        bool sound = true;
                        for (int i = 0; i < 16 && sound; i++)
                        {
                            if ((i & mask) == value)
                            {
                                sound = ((int)(PermissionNibbles[word] >> (i * 4)) & needed) != 0;
                                count++;
                            }
                        }

                        if (sound && count > bestCount)
                        {
                            (best, bestCount) = ((ushort)(mask | (value << 4)), count);
                        }

                        if (value == 0)
                        {
                            break;
                        }
                    }
                }

                checks[(word * 8) + access] = best;
            }
        }

        return checks;
    }

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
