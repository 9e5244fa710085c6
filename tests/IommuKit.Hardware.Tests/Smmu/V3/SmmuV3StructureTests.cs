using IommuKit.Hardware.Smmu.V3;

namespace IommuKit.Hardware.Tests.Smmu.V3;

/// <summary>Bit layouts of STEs, CDs, event records and command opcodes against the reference tables.</summary>
public sealed class SmmuV3StructureTests
{
    [Fact]
    public void Ste_GoldenVector_DecodesEveryField()
    {
        // V, Config 0b101, S1Fmt 1, S1ContextPtr 0x4010_0040, S1CDMax 3.
        const ulong dw0 = 0x1800_0000_4010_005B;
        // S1DSS 2, S1CIR 1, S1COR 1, S1CSH 3, STRW 0b10.
        const ulong dw1 = 2 | (1 << 2) | (1 << 4) | (3 << 6) | (2UL << 30);
        // S2VMID 0x1234, S2T0SZ 24, S2SL0 1, S2IR0 1, S2OR0 3, S2SH0 2, S2TG 2, S2PS 4, S2AA64, S2HD, S2HA, S2R.
        const ulong dw2 = 0x1234 | (24UL << 32) | (1UL << 38) | (1UL << 40) | (3UL << 42) | (2UL << 44) | (2UL << 46) | (4UL << 48) |
            (1UL << 51) | (1UL << 55) | (1UL << 56) | (1UL << 58);
        const ulong dw3 = 0x0000_0012_3456_7000;
        var ste = new SmmuV3Ste(dw0, dw1, dw2, dw3);

        Assert.True(ste.V);
        Assert.Equal(0b101, ste.Config);
        Assert.Equal(1, ste.S1Fmt);
        Assert.Equal(0x4010_0040UL, ste.S1ContextPtr);
        Assert.Equal(3, ste.S1CdMax);
        Assert.Equal(2, ste.S1Dss);
        Assert.Equal(1, ste.S1Cir);
        Assert.Equal(1, ste.S1Cor);
        Assert.Equal(3, ste.S1Csh);
        Assert.Equal(2, ste.Strw);
        Assert.Equal(0x1234, ste.S2Vmid);
        Assert.Equal(24, ste.S2T0sz);
        Assert.Equal(1, ste.S2Sl0);
        Assert.Equal(1, ste.S2Ir0);
        Assert.Equal(3, ste.S2Or0);
        Assert.Equal(2, ste.S2Sh0);
        Assert.Equal(2, ste.S2Tg);
        Assert.Equal(4, ste.S2Ps);
        Assert.True(ste.S2Aa64);
        Assert.False(ste.S2Endi);
        Assert.True(ste.S2Hd);
        Assert.True(ste.S2Ha);
        Assert.False(ste.S2S);
        Assert.True(ste.S2R);
        Assert.Equal(0x12_3456_7000UL, ste.S2Ttb);
    }

    [Fact]
    public void Cd_LinuxStyleVector_MatchesHandAssembledValueAndDecodes()
    {
        // T0SZ 16, IRGN0 WBWA, ORGN0 WBWA, SH0 ISH, EPD1, V, IPS 48-bit, AA64, R, A, ASET, ASID 1.
        const ulong expected = 0x0001_E205_C000_3510;
        ulong[] cd = SmmuV3Spec.Cd(0x4567_8000, asid: 1);
        Assert.Equal(expected, cd[0]);

        var d = new SmmuV3Cd(cd[0], cd[1], cd[2], cd[3]);
        Assert.Equal(16, d.T0sz);
        Assert.Equal(0, d.Tg0);
        Assert.Equal(1, d.Ir0);
        Assert.Equal(1, d.Or0);
        Assert.Equal(3, d.Sh0);
        Assert.False(d.Epd0);
        Assert.True(d.Epd1);
        Assert.True(d.V);
        Assert.Equal(5, d.Ips);
        Assert.True(d.Aa64);
        Assert.True(d.R);
        Assert.True(d.A);
        Assert.False(d.S);
        Assert.False(d.Ha);
        Assert.Equal(1, d.Asid);
        Assert.Equal(0x4567_8000UL, d.Ttb0);
        Assert.Equal(0xF404FF44UL, d.Mair);
    }

    [Fact]
    public void Cd_Ttb1AndUpperFields_Decode()
    {
        ulong dw0 = (20UL << 16) | (3UL << 22) | (2UL << 24) | (1UL << 26) | (2UL << 28) | (1UL << 36) | (1UL << 38) | (1UL << 39) |
            (1UL << 42) | (1UL << 43) | (1UL << 44) | (1UL << 15) | (1UL << 14);
        var d = new SmmuV3Cd(dw0, 0, 0x000F_FFFF_FFFF_FFF0, 0);

        Assert.Equal(20, d.T1sz);
        Assert.Equal(3, d.Tg1);
        Assert.Equal(2, d.Ir1);
        Assert.Equal(1, d.Or1);
        Assert.Equal(2, d.Sh1);
        Assert.True(d.Wxn);
        Assert.True(d.Tbi0);
        Assert.True(d.Tbi1);
        Assert.True(d.Hd);
        Assert.True(d.Ha);
        Assert.True(d.S);
        Assert.True(d.Endi);
        Assert.True(d.Epd0);
        Assert.Equal(0x000F_FFFF_FFFF_FFF0UL, d.Ttb1);
    }

    [Fact]
    public void EventRecord_Words_AtReferencePositions()
    {
        Assert.Equal(0x0000_1234_0000_5810UL, SmmuV3EventRecord.Word0(SmmuV3EventId.F_TRANSLATION, 0x1234, true, 5));
        Assert.Equal(0x0000_028E_0000_0000UL, SmmuV3EventRecord.Word1(true, true, false, true, SmmuV3EventClass.Input, false));
        Assert.Equal(0UL, SmmuV3EventRecord.Word1(false, true, true, false, SmmuV3EventClass.Cd, false)); // a write: RnW = 0, InD = 0
        Assert.Equal(1UL << 44 | 1UL << 40 | 1UL << 35, SmmuV3EventRecord.Word1(false, false, false, false, SmmuV3EventClass.TranslationTable, true));

        var bytes = new byte[32];
        new SmmuV3EventRecord(0x0000_1234_0000_5810, 0x0000_028E_0000_0000, 0xFFFF_0000_1234_5678, 0x0000_0012_3456_7000).Write(bytes);
        var e = new SpecEvent(BitConverter.ToUInt64(bytes, 0), BitConverter.ToUInt64(bytes, 8), BitConverter.ToUInt64(bytes, 16), BitConverter.ToUInt64(bytes, 24));
        Assert.Equal(0x10, e.Id);
        Assert.True(e.Ssv);
        Assert.Equal(5u, e.Ssid);
        Assert.Equal(0x1234u, e.Sid);
        Assert.True(e.PnU);
        Assert.True(e.InD);
        Assert.True(e.RnW);
        Assert.True(e.S2);
        Assert.Equal(2, e.Class);
        Assert.Equal(0xFFFF_0000_1234_5678UL, e.InputAddr);
        Assert.Equal(0x12_3456_7000UL, e.Ipa);
    }

    [Theory]
    [InlineData(SmmuV3EventId.F_UUT, 0x01)]
    [InlineData(SmmuV3EventId.C_BAD_STREAMID, 0x02)]
    [InlineData(SmmuV3EventId.F_STE_FETCH, 0x03)]
    [InlineData(SmmuV3EventId.C_BAD_STE, 0x04)]
    [InlineData(SmmuV3EventId.F_STREAM_DISABLED, 0x06)]
    [InlineData(SmmuV3EventId.C_BAD_SUBSTREAMID, 0x08)]
    [InlineData(SmmuV3EventId.F_CD_FETCH, 0x09)]
    [InlineData(SmmuV3EventId.C_BAD_CD, 0x0A)]
    [InlineData(SmmuV3EventId.F_WALK_EABT, 0x0B)]
    [InlineData(SmmuV3EventId.F_TRANSLATION, 0x10)]
    [InlineData(SmmuV3EventId.F_ADDR_SIZE, 0x11)]
    [InlineData(SmmuV3EventId.F_ACCESS, 0x12)]
    [InlineData(SmmuV3EventId.F_PERMISSION, 0x13)]
    public void EventIds_ArchitectedNumbers(SmmuV3EventId id, byte number) => Assert.Equal(number, (byte)id);

    [Theory]
    [InlineData(SmmuV3Opcode.CMD_PREFETCH_CONFIG, 0x01)]
    [InlineData(SmmuV3Opcode.CMD_CFGI_STE, 0x03)]
    [InlineData(SmmuV3Opcode.CMD_CFGI_STE_RANGE, 0x04)]
    [InlineData(SmmuV3Opcode.CMD_CFGI_CD, 0x05)]
    [InlineData(SmmuV3Opcode.CMD_CFGI_CD_ALL, 0x06)]
    [InlineData(SmmuV3Opcode.CMD_TLBI_NH_ALL, 0x10)]
    [InlineData(SmmuV3Opcode.CMD_TLBI_NH_ASID, 0x11)]
    [InlineData(SmmuV3Opcode.CMD_TLBI_NH_VA, 0x12)]
    [InlineData(SmmuV3Opcode.CMD_TLBI_NH_VAA, 0x13)]
    [InlineData(SmmuV3Opcode.CMD_TLBI_EL2_ALL, 0x20)]
    [InlineData(SmmuV3Opcode.CMD_TLBI_EL2_VA, 0x22)]
    [InlineData(SmmuV3Opcode.CMD_TLBI_S12_VMALL, 0x28)]
    [InlineData(SmmuV3Opcode.CMD_TLBI_S2_IPA, 0x2A)]
    [InlineData(SmmuV3Opcode.CMD_TLBI_NSNH_ALL, 0x30)]
    [InlineData(SmmuV3Opcode.CMD_ATC_INV, 0x40)]
    [InlineData(SmmuV3Opcode.CMD_SYNC, 0x46)]
    public void Opcodes_ArchitectedNumbers(SmmuV3Opcode op, byte number) => Assert.Equal(number, (byte)op);

    [Fact]
    public void CommandEncoders_FieldsAtReferencePositions()
    {
        Assert.Equal((0x0000_0042_0000_0003UL, 1UL), SmmuV3Spec.CfgiSte(0x42));
        Assert.Equal((0x0000_0042_0000_7005UL, 0UL), SmmuV3Spec.CfgiCd(0x42, 7, leaf: false));
        Assert.Equal((0x0007_0003_0020_2012UL, 0x0000_1234_5678_0F01UL), SmmuV3Spec.TlbiNhVa(3, 7, 0x1234_5678_0000, num: 2, scale: 2, tg: 3, ttl: 3));
        Assert.Equal((0x0000_0005_0000_002AUL, 0x0000_00AB_CDEF_0001UL), SmmuV3Spec.TlbiS2Ipa(5, 0xAB_CDEF_0123));
        Assert.Equal((0x0000_0000_0000_1046UL, 0UL), SmmuV3Spec.Sync(cs: 1));
    }
}
