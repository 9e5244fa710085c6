using IommuKit.Hardware.PageTables;
using IommuKit.Hardware.PageTables.ArmLpae;

namespace IommuKit.Hardware.Tests.PageTables;

public sealed class ArmLpaePteTests
{
    // hardware-iommus.md §1.4: stage 1 — always nG and AF; R without W → AP[2]; no PRIV → AP[1];
    // MMIO → AttrIndx 2, CACHE → 1, else 0; CACHE → SH inner, else outer; NOEXEC → bits 54:53.
    [Theory]
    [InlineData(IommuProt.Read, ArmLpaeQuirks.None, 0xEC0UL)]
    [InlineData(IommuProt.Write, ArmLpaeQuirks.None, 0xE40UL)]
    [InlineData(IommuProt.Read | IommuProt.Write, ArmLpaeQuirks.None, 0xE40UL)]
    [InlineData(IommuProt.Read | IommuProt.Write | IommuProt.Cache, ArmLpaeQuirks.None, 0xF44UL)]
    [InlineData(IommuProt.Read | IommuProt.Write | IommuProt.Mmio, ArmLpaeQuirks.None, 0xE48UL)]
    [InlineData(IommuProt.Read | IommuProt.Write | IommuProt.Mmio | IommuProt.Cache, ArmLpaeQuirks.None, 0xF48UL)]
    [InlineData(IommuProt.Read | IommuProt.Write | IommuProt.NoExec, ArmLpaeQuirks.None, 0x0060_0000_0000_0E40UL)]
    [InlineData(IommuProt.Read | IommuProt.Write | IommuProt.Priv, ArmLpaeQuirks.None, 0xE00UL)]
    [InlineData(IommuProt.Read | IommuProt.Priv, ArmLpaeQuirks.None, 0xE80UL)]
    [InlineData(IommuProt.Read | IommuProt.Cache | IommuProt.NoExec, ArmLpaeQuirks.None, 0x0060_0000_0000_0FC4UL)]
    [InlineData(IommuProt.Read | IommuProt.Write, ArmLpaeQuirks.ArmHd, 0x0008_0000_0000_0E40UL)]
    [InlineData(IommuProt.Read, ArmLpaeQuirks.ArmHd, 0xEC0UL)]
    [InlineData(IommuProt.Read | IommuProt.Write, ArmLpaeQuirks.ArmNs, 0xE60UL)]
    public void ProtToPte_Stage1_MatchesLinux(IommuProt prot, ArmLpaeQuirks quirks, ulong expected)
    {
        Assert.Equal(expected, ArmLpaePte.ProtToPte(ArmLpaeFormat.Arm64LpaeS1, quirks, prot));
        Assert.Equal(expected, ArmLpaePte.ProtToPte(ArmLpaeFormat.Arm32LpaeS1, quirks, prot));
    }

    // Stage 2 — S2AP read bit 6 / write bit 7; MemAttr MMIO 0b0001, CACHE 0b1111 (FWB 0b0110), else 0b0101; no nG.
    [Theory]
    [InlineData(IommuProt.Read, ArmLpaeQuirks.None, 0x654UL)]
    [InlineData(IommuProt.Write, ArmLpaeQuirks.None, 0x694UL)]
    [InlineData(IommuProt.Read | IommuProt.Write, ArmLpaeQuirks.None, 0x6D4UL)]
    [InlineData(IommuProt.Read | IommuProt.Write | IommuProt.Cache, ArmLpaeQuirks.None, 0x7FCUL)]
    [InlineData(IommuProt.Read | IommuProt.Write | IommuProt.Cache, ArmLpaeQuirks.ArmS2Fwb, 0x7D8UL)]
    [InlineData(IommuProt.Read | IommuProt.Write | IommuProt.Mmio, ArmLpaeQuirks.None, 0x6C4UL)]
    [InlineData(IommuProt.Read | IommuProt.Write | IommuProt.Mmio | IommuProt.Cache, ArmLpaeQuirks.ArmS2Fwb, 0x7C4UL)]
    [InlineData(IommuProt.Read | IommuProt.Write | IommuProt.NoExec, ArmLpaeQuirks.None, 0x0060_0000_0000_06D4UL)]
    [InlineData(IommuProt.Read | IommuProt.Write | IommuProt.Priv, ArmLpaeQuirks.None, 0x6D4UL)]
    public void ProtToPte_Stage2_MatchesLinux(IommuProt prot, ArmLpaeQuirks quirks, ulong expected)
    {
        Assert.Equal(expected, ArmLpaePte.ProtToPte(ArmLpaeFormat.Arm64LpaeS2, quirks, prot));
        Assert.Equal(expected, ArmLpaePte.ProtToPte(ArmLpaeFormat.Arm32LpaeS2, quirks, prot));
    }

    [Fact]
    public void LeafDescriptor_W3Page_Is0xF47()
    {
        // benchmark-workloads.md W3: (PA & 0x0000FFFFFFFFF000) | 0xF47 for R|W|CACHE at level 3.
        ulong d = ArmLpaePte.LeafDescriptor(ArmLpaeFormat.Arm64LpaeS1, ArmLpaeQuirks.None, IommuProt.Read | IommuProt.Write | IommuProt.Cache, 0x8000_1000, 3);
        Assert.Equal(0x8000_1F47UL, d);
    }

    [Fact]
    public void LeafDescriptor_Block_HasType01()
    {
        ulong d = ArmLpaePte.LeafDescriptor(ArmLpaeFormat.Arm64LpaeS2, ArmLpaeQuirks.None, IommuProt.Read, 0x4020_0000, 2);
        Assert.Equal(0x4020_0655UL, d);
    }

    [Theory]
    [InlineData(0x0000_1234_5678_0000UL, 0x0000_1234_5678_0000UL)]
    [InlineData(0x000F_0000_0001_0000UL, 0x0000_0000_0001_F000UL)] // PA[51:48] folded into bits 15:12
    [InlineData(0x000A_BCDE_F012_0000UL, 0x0000_BCDE_F012_A000UL)]
    public void PaddrToPte_52BitPacking(ulong pa, ulong field)
    {
        Assert.Equal(field, ArmLpaePte.PaddrToPte(pa));
        Assert.Equal(pa, ArmLpaePte.PteToPaddr(field | 3, 16));
    }

    [Fact]
    public void PteToPaddr_SmallGranule_IgnoresFoldedBits()
    {
        Assert.Equal(0x0000_0000_0001_F000UL, ArmLpaePte.PteToPaddr(0x0000_0000_0001_F003UL, 12));
    }

    [Fact]
    public void TableDescriptor_NsQuirk_SetsNsTable()
    {
        Assert.Equal(0x4000_1003UL, ArmLpaePte.TableDescriptor(ArmLpaeQuirks.None, 0x4000_1000));
        Assert.Equal(0x8000_0000_4000_1003UL, ArmLpaePte.TableDescriptor(ArmLpaeQuirks.ArmNs, 0x4000_1000));
    }
}
