using System.Runtime.CompilerServices;
using IommuKit.Hardware.Memory;

namespace IommuKit.Hardware.Smmu.V3;

/// <summary>
/// Memory-attribute rules of the model: which SMMU accesses and which translated transactions
/// snoop the CPU caches.
/// </summary>
/// <remarks>
/// An access snoops when it is Normal Inner and Outer Write-Back cacheable and Inner or Outer
/// Shareable. For the SMMU's own accesses (queues, stream table, CDs, table walks) that also
/// needs the SMMU to be wired coherently (<c>coherentWalk</c>); for a client transaction it
/// needs the transaction not to be No-Snoop.
/// </remarks>
internal static class SmmuV3Attributes
{
    /// <summary>
    /// CD.IRx/ORx, STE.S2IR0/S2OR0 and STE.S1CIR/S1COR encoding: 0 NC, 1 WB (RA/WA), 2 WT, 3 WB
    /// (no allocate). Write-back is 1 or 3.
    /// </summary>
    public static bool RegionIsWriteBack(int rgn) => (rgn & 1) != 0;

    /// <summary>SMMU_CR1 encoding: 0 NC, 1 WB, 2 WT (3 reserved, treated as NC).</summary>
    public static bool Cr1IsWriteBack(int cache) => cache == 1;

    /// <summary>SH: 0b10 Outer, 0b11 Inner Shareable; 0b00 (and reserved 0b01) Non-shareable.</summary>
    public static bool IsShareable(int sh) => sh >= 2;

    /// <summary>The bus attribute of an SMMU-originated access with the given cacheability and shareability.</summary>
    public static BusAccess OwnAccess(bool coherentWalk, bool innerWb, bool outerWb, int sh) =>
        coherentWalk && innerWb && outerWb && IsShareable(sh) ? BusAccess.Snoop : BusAccess.NoSnoop;

    /// <summary>
    /// A MAIR attribute byte is Normal Inner and Outer Write-Back: each nibble is 0b11RW
    /// (non-transient) or 0b01RW with RW != 0 (transient). 0b0000xxxx is Device, 0b0100 NC.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool MairIsWriteBack(ulong mair, int attrIndx)
    {
        int attr = (int)(mair >> (8 * attrIndx)) & 0xFF;
        return NibbleIsWriteBack(attr >> 4) && NibbleIsWriteBack(attr & 0xF);
    }

    /// <summary>
    /// Stage-2 MemAttr[3:0] (without FWB) is Normal Outer and Inner Write-Back: MemAttr[3:2] = 0b11
    /// (outer WB) and MemAttr[1:0] = 0b11 (inner WB).
    /// </summary>
    public static bool S2MemAttrIsWriteBack(int memAttr) => (memAttr & 0xF) == 0xF;

    private static bool NibbleIsWriteBack(int n) => (n & 0xC) == 0xC || ((n & 0xC) == 0x4 && (n & 3) != 0);
}
