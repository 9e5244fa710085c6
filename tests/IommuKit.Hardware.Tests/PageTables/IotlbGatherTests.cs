using IommuKit.Hardware.PageTables;

namespace IommuKit.Hardware.Tests.PageTables;

public sealed class IotlbGatherTests
{
    [Fact]
    public void New_IsEmpty()
    {
        var g = new IotlbGather();
        Assert.True(g.IsEmpty);
        Assert.Equal(ulong.MaxValue, g.Start);
        Assert.Equal(0UL, g.End);
        Assert.False(g.IsDisjoint(0x1000, 0x1000));
    }

    [Fact]
    public void Add_ExtendsRangeAndSetsPgSize()
    {
        var g = new IotlbGather();
        g.Add(0x3000, 0x1000);
        g.Add(0x1000, 0x1000);
        Assert.Equal(0x1000UL, g.Start);
        Assert.Equal(0x3FFFUL, g.End);
        Assert.Equal(0x1000UL, g.PgSize);
        Assert.False(g.IsEmpty);
    }

    [Theory]
    [InlineData(0x4000UL, 0x1000UL, false)] // adjacent above
    [InlineData(0x0000UL, 0x1000UL, false)] // adjacent below
    [InlineData(0x5000UL, 0x1000UL, true)]
    [InlineData(0x2000UL, 0x1000UL, false)]
    public void IsDisjoint_AsLinux(ulong iova, ulong size, bool disjoint)
    {
        var g = new IotlbGather();
        g.Add(0x1000, 0x3000);
        Assert.Equal(disjoint, g.IsDisjoint(iova, size));
    }

    [Fact]
    public void NeedsSyncBefore_OtherSizeOrDisjoint()
    {
        var g = new IotlbGather();
        g.Add(0x20_0000, 0x1000);
        Assert.False(g.NeedsSyncBefore(0x20_1000, 0x1000));
        Assert.True(g.NeedsSyncBefore(0x40_0000, 0x20_0000));
        Assert.True(g.NeedsSyncBefore(0x90_0000, 0x1000));
    }

    [Fact]
    public void Reset_EmptiesButKeepsQueued()
    {
        var g = new IotlbGather { Queued = true };
        g.Add(0x1000, 0x1000);
        g.Reset();
        Assert.True(g.IsEmpty);
        Assert.Equal(0UL, g.PgSize);
        Assert.True(g.Queued);
    }
}
