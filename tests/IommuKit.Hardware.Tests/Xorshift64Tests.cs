namespace IommuKit.Hardware.Tests;

public sealed class Xorshift64Tests
{
    [Fact]
    public void Next_DefaultSeed_MatchesTheCommonTestVector()
    {
        var rng = new Xorshift64();

        Assert.Equal(0xdc1b77ae0bf34dadUL, rng.Next());
        Assert.Equal(0x64f0eeb9026e6076UL, rng.Next());
        Assert.Equal(0x7b07ce91e5906136UL, rng.Next());
    }
}
