using IommuKit.Hardware.Memory;
using IommuKit.Hardware.PageTables;
using IommuKit.Hardware.PageTables.ArmLpae;

namespace IommuKit.Hardware.Tests.PageTables;

public sealed class ArmLpaeDirtyTests
{
    private const ulong Iova = 0x10_0000;

    [Fact]
    public void ReadAndClearDirty_WithHardwareDirtyWalker_ReportsWrittenPages()
    {
        var h = new PageTableHarness(PageTableHarness.S1(quirks: ArmLpaeQuirks.ArmHd));
        Assert.Equal(PageTableStatus.Ok, h.T.MapPages(Iova, 0x8000_0000, Sizes.K4, 4, IommuProt.Read | IommuProt.Write, out _));
        var rec = new Recorder();

        // Linux maps writable leaves writable-dirty (DBM, AP[2] clear): the first pass reports all.
        Assert.Equal(PageTableStatus.Ok, h.T.ReadAndClearDirty(Iova, 4 * Sizes.K4, noClear: false, rec));
        Assert.Equal([(Iova, Sizes.K4), (Iova + 0x1000, Sizes.K4), (Iova + 0x2000, Sizes.K4), (Iova + 0x3000, Sizes.K4)], rec.Ranges);

        rec.Ranges.Clear();
        Assert.Equal(PageTableStatus.Ok, h.T.ReadAndClearDirty(Iova, 4 * Sizes.K4, noClear: false, rec));
        Assert.Empty(rec.Ranges);

        // A device write through an HD walker makes page 2 dirty again.
        ArmLpaeWalkConfig cfg = h.T.CreateWalkConfig(BusAccess.Snoop) with { HardwareDirty = true };
        ArmLpaeWalker.Walk(h.Memory, in cfg, Iova + 0x2010, ArmLpaeAccess.Write, out ArmLpaeWalkResult w);
        Assert.Equal(ArmLpaeFault.None, w.Fault);

        Assert.Equal(PageTableStatus.Ok, h.T.ReadAndClearDirty(Iova, 4 * Sizes.K4, noClear: true, rec));
        Assert.Equal([(Iova + 0x2000, Sizes.K4)], rec.Ranges);
        rec.Ranges.Clear();
        Assert.Equal(PageTableStatus.Ok, h.T.ReadAndClearDirty(Iova, 4 * Sizes.K4, noClear: false, rec));
        Assert.Equal([(Iova + 0x2000, Sizes.K4)], rec.Ranges); // noClear left it dirty
    }

    [Fact]
    public void ReadAndClearDirty_WithoutHardwareDirty_WriteFaultsOnCleanPage()
    {
        var h = new PageTableHarness(PageTableHarness.S1(quirks: ArmLpaeQuirks.ArmHd));
        Assert.Equal(PageTableStatus.Ok, h.T.MapPages(Iova, 0x8000_0000, Sizes.K4, 1, IommuProt.Read | IommuProt.Write, out _));
        Assert.Equal(PageTableStatus.Ok, h.T.ReadAndClearDirty(Iova, Sizes.K4, noClear: false, new Recorder()));
        Assert.Equal(ArmLpaeFault.Permission, h.Walk(Iova, ArmLpaeAccess.Write).Fault);
    }

    [Fact]
    public void ReadAndClearDirty_HoleOrWrongFormatOrRange_Invalid()
    {
        var h = new PageTableHarness(PageTableHarness.S1(quirks: ArmLpaeQuirks.ArmHd));
        Assert.Equal(PageTableStatus.Ok, h.T.MapPages(Iova, 0x8000_0000, Sizes.K4, 1, IommuProt.Read | IommuProt.Write, out _));
        Assert.Equal(PageTableStatus.Invalid, h.T.ReadAndClearDirty(Iova, 2 * Sizes.K4, noClear: false, new Recorder()));
        Assert.Equal(PageTableStatus.Invalid, h.T.ReadAndClearDirty(Iova, 0, noClear: false, new Recorder()));
        Assert.Equal(PageTableStatus.Invalid, h.T.ReadAndClearDirty((1UL << 48) - 0x1000, 0x2000, noClear: false, new Recorder()));

        var s2 = new PageTableHarness(PageTableHarness.S2());
        Assert.Equal(PageTableStatus.Ok, s2.T.MapPages(Iova, 0x8000_0000, Sizes.K4, 1, IommuProt.Read | IommuProt.Write, out _));
        Assert.Equal(PageTableStatus.Invalid, s2.T.ReadAndClearDirty(Iova, Sizes.K4, noClear: false, new Recorder()));
    }

    private sealed class Recorder : IIommuDirtyRecorder
    {
        public List<(ulong Iova, ulong Length)> Ranges { get; } = [];

        public void Record(ulong iova, ulong length) => Ranges.Add((iova, length));
    }
}
