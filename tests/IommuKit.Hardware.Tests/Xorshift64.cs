namespace IommuKit.Hardware.Tests;

/// <summary>The project's common PRNG (xorshift64, shifts 13/7/17): a fixed seed gives the same run everywhere.</summary>
internal sealed class Xorshift64(ulong seed = 0x9E3779B97F4A7C15)
{
    private ulong _state = seed;

    public ulong Next()
    {
        ulong x = _state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        _state = x;
        return x;
    }

    /// <summary>A value in [0, <paramref name="n"/>).</summary>
    public int Below(int n) => (int)(Next() % (ulong)n);
}
