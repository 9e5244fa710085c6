namespace IommuKit.Hardware.Tests.Smmu.V3;

/// <summary>
/// Encoders for SMMUv3 in-memory structures and commands, written from the reference tables
/// (hardware-iommus.md §2 and the SMMUv3 spec §4, §5, §7), independent of the model's decoders.
/// </summary>
internal static class SmmuV3Spec
{
    // Register offsets (§6.3).
    public const ulong IDR0 = 0x0, IDR1 = 0x4, IDR3 = 0xC, IDR5 = 0x14, IIDR = 0x18, AIDR = 0x1C;
    public const ulong CR0 = 0x20, CR0ACK = 0x24, CR1 = 0x28, CR2 = 0x2C, GBPA = 0x44;
    public const ulong IRQ_CTRL = 0x50, IRQ_CTRLACK = 0x54, GERROR = 0x60, GERRORN = 0x64;
    public const ulong STRTAB_BASE = 0x80, STRTAB_BASE_CFG = 0x88;
    public const ulong CMDQ_BASE = 0x90, CMDQ_PROD = 0x98, CMDQ_CONS = 0x9C;
    public const ulong EVTQ_BASE = 0xA0, EVTQ_PROD = 0x100A8, EVTQ_CONS = 0x100AC;

    public const uint CR0_SMMUEN = 1, CR0_EVTQEN = 4, CR0_CMDQEN = 8;

    /// <summary>CR1: queue and table accesses Inner/Outer WB, Inner Shareable (what Linux programs).</summary>
    public const uint CR1_WB_ISH = 1 | (1 << 2) | (3 << 4) | (1 << 6) | (1 << 8) | (3 << 10);

    /// <summary>Linux's io-pgtable MAIR: idx0 NC, idx1 WB RWA, idx2 Device-nGnRE, idx3 iNC/oWB.</summary>
    public const ulong LinuxMair = 0xF404FF44;

    // Event IDs (§7.3).
    public const byte C_BAD_STREAMID = 0x02, F_STE_FETCH = 0x03, C_BAD_STE = 0x04, F_STREAM_DISABLED = 0x06;
    public const byte C_BAD_SUBSTREAMID = 0x08, F_CD_FETCH = 0x09, C_BAD_CD = 0x0A, F_WALK_EABT = 0x0B;
    public const byte F_TRANSLATION = 0x10, F_ADDR_SIZE = 0x11, F_ACCESS = 0x12, F_PERMISSION = 0x13;

    /// <summary>STE for stage-1 translation through a CD table (Config 0b101).</summary>
    public static ulong[] SteS1(ulong cdTable, int cdMax = 0, int s1Fmt = 0, int s1Dss = 0, ushort vmid = 0, int strw = 0)
    {
        var ste = new ulong[8];
        ste[0] = 1 | (0b101UL << 1) | ((ulong)s1Fmt << 4) | (cdTable & 0x00FF_FFFF_FFFF_FFC0) | ((ulong)cdMax << 59);
        ste[1] = (ulong)s1Dss | (1UL << 2) | (1UL << 4) | (3UL << 6) | ((ulong)strw << 30); // S1CIR = S1COR = WBRA, S1CSH = ISH
        ste[2] = vmid;
        return ste;
    }

    /// <summary>Stage-2 fields (dwords 2 and 3) for a 4K-granule, 48-bit IPA, 48-bit PA table starting at level 0.</summary>
    public static void SetS2(ulong[] ste, ulong s2ttb, ushort vmid, bool record = true, int t0sz = 16, int sl0 = 2, int tg = 0, int ps = 5)
    {
        ste[2] = vmid | ((ulong)t0sz << 32) | ((ulong)sl0 << 38) | (1UL << 40) | (1UL << 42) | (3UL << 44) |
            ((ulong)tg << 46) | ((ulong)ps << 48) | (1UL << 51) | (record ? 1UL << 58 : 0);
        ste[3] = s2ttb & 0x000F_FFFF_FFFF_FFF0;
    }

    public static ulong[] SteS2(ulong s2ttb, ushort vmid, bool record = true)
    {
        var ste = new ulong[8];
        ste[0] = 1 | (0b110UL << 1);
        SetS2(ste, s2ttb, vmid, record);
        return ste;
    }

    public static ulong[] SteNested(ulong cdTable, ulong s2ttb, ushort vmid, bool s2Record = true)
    {
        ulong[] ste = SteS1(cdTable);
        ste[0] = (ste[0] & ~0xEUL) | (0b111UL << 1);
        SetS2(ste, s2ttb, vmid, s2Record);
        return ste;
    }

    public static ulong[] SteBypass() => [1 | (0b100UL << 1), 0, 0, 0, 0, 0, 0, 0];

    public static ulong[] SteAbort() => [1, 0, 0, 0, 0, 0, 0, 0];

    /// <summary>A stage-1 CD: 48-bit VA (T0SZ 16), 4K granule, WBWA ISH walks, EPD1, IPS 48 bits, AA64.</summary>
    public static ulong[] Cd(ulong ttb0, ushort asid, bool record = true, bool abort = true, ulong mair = LinuxMair, bool ha = false, bool hd = false)
    {
        var cd = new ulong[8];
        cd[0] = 16 | (0UL << 6) | (1UL << 8) | (1UL << 10) | (3UL << 12) | (1UL << 30) | (1UL << 31) | (5UL << 32) |
            (1UL << 41) | (hd ? 1UL << 42 : 0) | (ha ? 1UL << 43 : 0) | (record ? 1UL << 45 : 0) | (abort ? 1UL << 46 : 0) |
            (1UL << 47) | ((ulong)asid << 48);
        cd[1] = ttb0 & 0x000F_FFFF_FFFF_FFF0;
        cd[3] = mair;
        return cd;
    }

    // Commands (§4, hardware-iommus.md §2.5).
    public static (ulong, ulong) CfgiSte(uint sid, bool leaf = true) => (0x03 | ((ulong)sid << 32), leaf ? 1UL : 0);

    public static (ulong, ulong) CfgiAll() => (0x04, 31);

    public static (ulong, ulong) CfgiSteRange(uint sid, int range) => (0x04 | ((ulong)sid << 32), (ulong)range);

    public static (ulong, ulong) CfgiCd(uint sid, uint ssid, bool leaf = true) => (0x05 | ((ulong)ssid << 12) | ((ulong)sid << 32), leaf ? 1UL : 0);

    public static (ulong, ulong) CfgiCdAll(uint sid) => (0x06 | ((ulong)sid << 32), 0);

    public static (ulong, ulong) TlbiNhAll(ushort vmid) => (0x10 | ((ulong)vmid << 32), 0);

    public static (ulong, ulong) TlbiNhAsid(ushort vmid, ushort asid) => (0x11 | ((ulong)vmid << 32) | ((ulong)asid << 48), 0);

    public static (ulong, ulong) TlbiNhVa(ushort vmid, ushort asid, ulong va, bool leaf = true, int num = 0, int scale = 0, int tg = 0, int ttl = 0) =>
        (0x12 | ((ulong)num << 12) | ((ulong)scale << 20) | ((ulong)vmid << 32) | ((ulong)asid << 48),
         (leaf ? 1UL : 0) | ((ulong)ttl << 8) | ((ulong)tg << 10) | (va & ~0xFFFUL));

    public static (ulong, ulong) TlbiNhVaa(ushort vmid, ulong va) => (0x13 | ((ulong)vmid << 32), 1 | (va & ~0xFFFUL));

    public static (ulong, ulong) TlbiS12Vmall(ushort vmid) => (0x28 | ((ulong)vmid << 32), 0);

    public static (ulong, ulong) TlbiS2Ipa(ushort vmid, ulong ipa) => (0x2A | ((ulong)vmid << 32), 1 | (ipa & 0x00FF_FFFF_FFFF_F000));

    public static (ulong, ulong) TlbiNsnhAll() => (0x30, 0);

    public static (ulong, ulong) Sync(int cs = 0) => (0x46 | ((ulong)cs << 12), 0);

    // Translation table descriptors (hardware-iommus.md §1.4).
    public const ulong Table = 0b11;

    /// <summary>Stage-1 leaf: AF, SH, AttrIndx, AP[2] (read-only), AP[1] (unprivileged), nG.</summary>
    public static ulong S1Leaf(ulong pa, bool page, int attrIndx = 1, bool readOnly = false, bool unpriv = true, bool nG = true, int sh = 3, bool af = true) =>
        (pa & 0x0000_FFFF_FFFF_F000) | (page ? 0b11UL : 0b01UL) | ((ulong)attrIndx << 2) | (unpriv ? 1UL << 6 : 0) |
        (readOnly ? 1UL << 7 : 0) | ((ulong)sh << 8) | (af ? 1UL << 10 : 0) | (nG ? 1UL << 11 : 0);

    /// <summary>Stage-2 leaf: MemAttr, S2AP (bit 6 read, bit 7 write), SH, AF.</summary>
    public static ulong S2Leaf(ulong pa, bool page, int memAttr = 0xF, bool read = true, bool write = true, int sh = 3) =>
        (pa & 0x0000_FFFF_FFFF_F000) | (page ? 0b11UL : 0b01UL) | ((ulong)memAttr << 2) | (read ? 1UL << 6 : 0) |
        (write ? 1UL << 7 : 0) | ((ulong)sh << 8) | (1UL << 10);
}
