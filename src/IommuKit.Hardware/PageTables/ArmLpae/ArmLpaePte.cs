using System.Runtime.CompilerServices;

namespace IommuKit.Hardware.PageTables.ArmLpae;

/// <summary>
/// Bits of an Arm long descriptor as Linux's <c>io-pgtable-arm.c</c> writes them, and the
/// encoding helpers shared by the page-table code, the walker and the CLI.
/// </summary>
public static class ArmLpaePte
{
    /// <summary>Bit 0: valid.</summary>
    public const ulong Valid = 1UL << 0;

    /// <summary>Bits 1:0 mask (type).</summary>
    public const ulong TypeMask = 3;

    /// <summary>Type 0b01: block (levels 0–2).</summary>
    public const ulong TypeBlock = 1;

    /// <summary>Type 0b11: table (levels 0–2) or page (level 3).</summary>
    public const ulong TypeTable = 3;

    /// <summary>Type 0b11 at level 3: page.</summary>
    public const ulong TypePage = 3;

    /// <summary>Output-address field, bits 47:12 (<c>ARM_LPAE_PTE_ADDR_MASK</c>).</summary>
    public const ulong AddrMask = 0x0000_FFFF_FFFF_F000;

    /// <summary>Stage-1 AttrIndx[2:0] shift (bits 4:2).</summary>
    public const int AttrIndxShift = 2;

    /// <summary>Stage-2 MemAttr[3:0] shift (bits 5:2).</summary>
    public const int MemAttrShift = 2;

    /// <summary>Bit 5: NS (stage-1 leaf).</summary>
    public const ulong Ns = 1UL << 5;

    /// <summary>Bit 6: AP[1], unprivileged access (stage 1).</summary>
    public const ulong ApUnpriv = 1UL << 6;

    /// <summary>Bit 7: AP[2], read-only (stage 1).</summary>
    public const ulong ApRdonly = 1UL << 7;

    /// <summary>Bit 6: S2AP[0], read (stage 2).</summary>
    public const ulong HapRead = 1UL << 6;

    /// <summary>Bit 7: S2AP[1], write (stage 2).</summary>
    public const ulong HapWrite = 1UL << 7;

    /// <summary>SH[1:0] shift (bits 9:8).</summary>
    public const int ShShift = 8;

    /// <summary>SH = outer shareable.</summary>
    public const ulong ShOs = 2UL << ShShift;

    /// <summary>SH = inner shareable.</summary>
    public const ulong ShIs = 3UL << ShShift;

    /// <summary>Bit 10: access flag.</summary>
    public const ulong Af = 1UL << 10;

    /// <summary>Bit 11: not global (stage 1).</summary>
    public const ulong NG = 1UL << 11;

    /// <summary>Bit 51: dirty bit modifier (HD quirk).</summary>
    public const ulong Dbm = 1UL << 51;

    /// <summary>Bit 52: contiguous hint.</summary>
    public const ulong Contiguous = 1UL << 52;

    /// <summary>Bit 53: PXN (stage 1) / XN[0] (stage 2).</summary>
    public const ulong Pxn = 1UL << 53;

    /// <summary>Bit 54: UXN, XN in AArch32 (stage 1) / XN[1] (stage 2).</summary>
    public const ulong Uxn = 1UL << 54;

    /// <summary>Bits 54:53, what Linux sets for <c>IOMMU_NOEXEC</c> (<c>ARM_LPAE_PTE_XN</c>).</summary>
    public const ulong Xn = 3UL << 53;

    /// <summary>Bit 55: Linux's software bit <c>SW_SYNC</c> (the table PTE was cleaned for a non-coherent walker).</summary>
    public const ulong SwSync = 1UL << 55;

    /// <summary>Bits 58:55: software-reserved bits of a leaf.</summary>
    public const ulong SoftwareMask = 0xFUL << 55;

    /// <summary>Bit 59: PXNTable (stage-1 table descriptor).</summary>
    public const ulong PxnTable = 1UL << 59;

    /// <summary>Bit 60: UXNTable / XNTable (stage-1 table descriptor).</summary>
    public const ulong UxnTable = 1UL << 60;

    /// <summary>Bits 62:61: APTable (stage-1 table descriptor).</summary>
    public const int ApTableShift = 61;

    /// <summary>Bit 63: NSTable (table descriptor, ARM_NS quirk).</summary>
    public const ulong NsTable = 1UL << 63;

    /// <summary>MAIR index Linux uses for Normal non-cacheable memory (attribute 0x44).</summary>
    public const int MairIdxNc = 0;

    /// <summary>MAIR index for Normal write-back RW-allocate memory (0xFF), <c>IOMMU_CACHE</c>.</summary>
    public const int MairIdxCache = 1;

    /// <summary>MAIR index for Device-nGnRE (0x04), <c>IOMMU_MMIO</c>.</summary>
    public const int MairIdxDevice = 2;

    /// <summary>MAIR index for inner non-cacheable, outer write-back (0xF4); defined but not selected.</summary>
    public const int MairIdxIncOcache = 3;

    /// <summary>The MAIR value Linux programs for stage-1 tables.</summary>
    public const ulong Mair = 0xF404FF44;

    /// <summary>Stage-2 MemAttr 0b1111: Normal outer/inner write-back.</summary>
    public const int MemAttrOiwb = 0xF;

    /// <summary>Stage-2 MemAttr 0b0101: Normal non-cacheable.</summary>
    public const int MemAttrNc = 0x5;

    /// <summary>Stage-2 MemAttr 0b0001: Device-nGnRE.</summary>
    public const int MemAttrDevice = 0x1;

    /// <summary>Stage-2 MemAttr 0b0110 with FWB: forced write-back.</summary>
    public const int MemAttrFwbWb = 0x6;

    /// <summary>True for the stage-1 formats.</summary>
    public static bool IsStage1(ArmLpaeFormat format) => format is ArmLpaeFormat.Arm64LpaeS1 or ArmLpaeFormat.Arm32LpaeS1;

    /// <summary>
    /// <c>arm_lpae_prot_to_pte</c>: the attribute and permission bits of a leaf for
    /// <paramref name="prot"/> (no type, no address).
    /// </summary>
    public static ulong ProtToPte(ArmLpaeFormat format, ArmLpaeQuirks quirks, IommuProt prot)
    {
        ulong pte;
        if (IsStage1(format))
        {
            pte = NG;
            if ((prot & IommuProt.Write) == 0 && (prot & IommuProt.Read) != 0)
            {
                pte |= ApRdonly;
            }
            else if ((quirks & ArmLpaeQuirks.ArmHd) != 0)
            {
                pte |= Dbm;
            }

            if ((prot & IommuProt.Priv) == 0)
            {
                pte |= ApUnpriv;
            }

            if ((prot & IommuProt.Mmio) != 0)
            {
                pte |= (ulong)MairIdxDevice << AttrIndxShift;
            }
            else if ((prot & IommuProt.Cache) != 0)
            {
                pte |= (ulong)MairIdxCache << AttrIndxShift;
            }
        }
        else
        {
            pte = 0;
            if ((prot & IommuProt.Read) != 0)
            {
                pte |= HapRead;
            }

            if ((prot & IommuProt.Write) != 0)
            {
                pte |= HapWrite;
            }

            int memAttr;
            if ((prot & IommuProt.Mmio) != 0)
            {
                memAttr = MemAttrDevice;
            }
            else if ((prot & IommuProt.Cache) != 0)
            {
                memAttr = (quirks & ArmLpaeQuirks.ArmS2Fwb) != 0 ? MemAttrFwbWb : MemAttrOiwb;
            }
            else
            {
                memAttr = MemAttrNc;
            }

            pte |= (ulong)memAttr << MemAttrShift;
        }

        // Only cacheable memory is meaningfully inner shareable; NC and Device are outer.
        pte |= (prot & IommuProt.Cache) != 0 ? ShIs : ShOs;
        if ((prot & IommuProt.NoExec) != 0)
        {
            pte |= Xn;
        }

        if ((quirks & ArmLpaeQuirks.ArmNs) != 0)
        {
            pte |= Ns;
        }

        return pte | Af;
    }

    /// <summary>
    /// <c>paddr_to_iopte</c>: the output-address field for <paramref name="pa"/>; PA[51:48] fold
    /// into bits 15:12 (only meaningful with the 64K granule, where those bits are otherwise zero).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong PaddrToPte(ulong pa) => (pa | (pa >> 36)) & AddrMask;

    /// <summary><c>iopte_to_paddr</c>: the output address of a descriptor for a granule of 2^<paramref name="granuleShift"/> bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong PteToPaddr(ulong pte, int granuleShift)
    {
        ulong pa = pte & AddrMask;
        return granuleShift < 16 ? pa : (pa | (pa << 36)) & (AddrMask << 4);
    }

    /// <summary>
    /// The leaf descriptor Linux writes for <paramref name="pa"/> with <paramref name="prot"/> at
    /// <paramref name="level"/> (type page at level 3, block above).
    /// </summary>
    public static ulong LeafDescriptor(ArmLpaeFormat format, ArmLpaeQuirks quirks, IommuProt prot, ulong pa, int level) =>
        ProtToPte(format, quirks, prot) | (level == 3 ? TypePage : TypeBlock) | PaddrToPte(pa);

    /// <summary>The table descriptor Linux writes for a next-level table at <paramref name="tablePa"/>.</summary>
    public static ulong TableDescriptor(ArmLpaeQuirks quirks, ulong tablePa) =>
        PaddrToPte(tablePa) | TypeTable | ((quirks & ArmLpaeQuirks.ArmNs) != 0 ? NsTable : 0);
}
