using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using IommuKit.Hardware.Memory;

namespace IommuKit.Hardware.PageTables.ArmLpae;

/// <summary>The walker's fast path: the translations a device makes all day long.</summary>
public static partial class ArmLpaeWalker
{
    // Permission flags of a leaf, indexed by: bit 0 AP[1] / S2AP[0] (descriptor bit 6),
    // bit 1 AP[2] / S2AP[1] (bit 7), bit 2 PXN (bit 53), bit 3 UXN / XN (bit 54), bit 4 a privileged
    // access, bit 5 VMSAv8-64, bit 6 WXN, bit 7 stage 2. Computed once with the reference walk's
    // rules (Stage1Permissions, Stage2Permissions) for leaves without hierarchical attributes.
    private static readonly byte[] LeafPermissions = BuildLeafPermissions();

    /// <summary>
    /// One stage, for a walk that ends in a valid leaf whose access flag is set, has no DBM bit,
    /// passes its permission check and (at stage 1) has no NSTable/APTable/XNTable above it. Returns
    /// false for anything else (a fault, a hardware update, hierarchical attributes, a bus error),
    /// and the caller runs the reference walk, which decides it; a false return changes nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool TryWalkFast(PhysicalMemory memory, in ArmLpaeWalkConfig cfg, ulong ia, ArmLpaeAccess access, out ArmLpaeWalkResult result) =>
        cfg.GranuleShift == 12
            ? TryWalkFast<ArmLpaeGranule4K>(memory, in cfg, ia, access, out result)
            : TryWalkFastLargeGranule(memory, in cfg, ia, access, out result);

    /// <summary>The fast walk for the 16K and 64K granules, out of line so that callers inline only the 4K one.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TryWalkFastLargeGranule(PhysicalMemory memory, in ArmLpaeWalkConfig cfg, ulong ia, ArmLpaeAccess access, out ArmLpaeWalkResult result) =>
        cfg.GranuleShift == 14
            ? TryWalkFast<ArmLpaeGranule16K>(memory, in cfg, ia, access, out result)
            : TryWalkFast<ArmLpaeGranule64K>(memory, in cfg, ia, access, out result);

    /// <summary><see cref="TryWalkFast(PhysicalMemory, in ArmLpaeWalkConfig, ulong, ArmLpaeAccess, out ArmLpaeWalkResult)"/> with the granule's constants folded in.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe bool TryWalkFast<TGranule>(PhysicalMemory memory, in ArmLpaeWalkConfig cfg, ulong ia, ArmLpaeAccess access, out ArmLpaeWalkResult result)
        where TGranule : struct, IArmLpaeGranule
    {
        Unsafe.SkipInit(out result);
        if (!cfg.IsValid || (ia >> cfg.InputSize) != 0 || cfg.GranuleShift != TGranule.Shift
            || !memory.TryGetReadView(cfg.WalkAccess, out byte* view, out ulong viewBase, out ulong viewSize))
        {
            return false;
        }

        int g = TGranule.Shift;
        int oas = cfg.OutputSize;
        int startBits = cfg.StartBits;
        int shift = cfg.StartShift;
        ulong table = cfg.StartTable;
        ulong indexMask = (1UL << startBits) - 1;
        ulong addrMask = ArmLpaePte.AddrMask & ~((1UL << g) - 1);
        ulong highMask = g == 16 ? 0xF000UL : 0; // 64K granule: descriptor bits [15:12] are OA[51:48]
        int level = cfg.StartLevel;
        ulong tableAttrs = 0; // the table descriptors on the path, ORed
        ulong startTable = table;
        ulong desc;
        while (true)
        {
            // Descriptor addresses are 8-byte aligned by construction, so one aligned load reads one.
            // A table address beyond the output size is caught after the loop (the OR of the
            // addresses is beyond it exactly when one of them is); reading through it first is
            // harmless, as the walk is then handed to the reference walk.
            ulong off = table + (((ia >> shift) & indexMask) << 3) - viewBase;
            if (off >= viewSize)
            {
                return false;
            }

            // A plain load: aligned 8-byte loads are single-copy atomic, and each level's address
            // depends on the previous descriptor, which orders the loads as a walker's are.
            desc = *(ulong*)(view + off);
            if ((~desc & 3) != 0 || level == 3)
            {
                break;
            }

            table = (desc & addrMask) | ((desc & highMask) << 36);
            tableAttrs |= desc;
            shift -= g - 3;
            indexMask = (1UL << (g - 3)) - 1;
            level++;
        }

        GC.KeepAlive(memory); // the view's mapping belongs to memory
        // The leaf: a page at level 3 or an allowed block, with AF set and no DBM bit (an update
        // or an access-flag fault is the reference walk's business).
        int stage = cfg.Stage;
        if ((desc & (ArmLpaePte.Af | ArmLpaePte.Dbm)) != ArmLpaePte.Af
            || (level == 3 ? (~desc & 3) != 0 : (desc & 3) != 1 || !BlockAllowed(level, g, oas))
            || ((tableAttrs >> 59) != 0 && stage == 1))
        {
            return false;
        }

        ulong outBase = (desc & addrMask & ~((1UL << shift) - 1)) | ((desc & highMask) << 36);
        ulong addresses = startTable | outBase | (tableAttrs & addrMask) | ((tableAttrs & highMask) << 36);
        int index = (int)(((desc >> 6) & 3) | ((desc >> 51) & 0xC)) | ((int)(access & ArmLpaeAccess.Privileged) << 2) | cfg.PermissionIndexBits;
        // The table has 256 entries and the index 8 bits, so the read needs no bounds check.
        ushort flags = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(LeafPermissions), index & 0xFF);
        if ((addresses >> oas) != 0 || (flags & NeededPermission(access)) == 0)
        {
            return false;
        }

        result = new ArmLpaeWalkResult(outBase | (ia & ((1UL << shift) - 1)), desc, level, stage, shift, flags);
        return true;
    }

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

    private static byte[] BuildLeafPermissions()
    {
        var table = new byte[256];
        for (int i = 0; i < table.Length; i++)
        {
            table[i] = (byte)((i & 128) != 0
                ? Stage2Permissions(read: (i & 1) != 0, write: (i & 2) != 0, xn: (i & 8) != 0)
                : Stage1Permissions(
                    readOnly: (i & 2) != 0,
                    unprivileged: (i & 1) != 0,
                    pxn: (i & 4) != 0,
                    uxn: (i & 8) != 0,
                    privileged: (i & 16) != 0,
                    aarch64: (i & 32) != 0,
                    wxn: (i & 64) != 0));
        }

        return table;
    }
}
