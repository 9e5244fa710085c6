using IommuKit.Firmware.DeviceTree.Properties;

namespace IommuKit.Firmware.Tests.Properties;

public sealed class DtStringsTests
{
    [Fact]
    public void TryReadStringList_Compatible_ReturnsEveryString()
    {
        byte[] value = "qcom,sm8250-smmu-500\0arm,mmu-500\0"u8.ToArray();
        Assert.True(DtStrings.TryReadStringList(value, out string[] list));
        Assert.Equal(["qcom,sm8250-smmu-500", "arm,mmu-500"], list);
    }

    [Fact]
    public void TryReadStringList_EmptyStringInside_IsKept()
    {
        Assert.True(DtStrings.TryReadStringList("a\0\0b\0"u8, out string[] list));
        Assert.Equal(["a", "", "b"], list);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { (byte)'o', (byte)'k' })]
    [InlineData(new byte[] { (byte)'a', 0, (byte)'b' })]
    public void TryReadStringList_NotNulTerminated_ReturnsFalse(byte[] value)
    {
        Assert.False(DtStrings.TryReadStringList(value, out string[] list));
        Assert.Empty(list);
    }

    [Fact]
    public void TryReadString_NoNul_ReturnsFalse()
    {
        Assert.False(DtStrings.TryReadString("okay"u8, out _));
        Assert.True(DtStrings.TryReadString("okay\0x\0"u8, out string first));
        Assert.Equal("okay", first);
    }

    [Fact]
    public void IndexOf_Compatible_IgnoresAsciiCaseOnlyWhenAsked()
    {
        byte[] value = DtStrings.Encode("nvidia,tegra194-smmu", "nvidia,smmu-500");
        Assert.Equal(1, DtStrings.IndexOf(value, "nvidia,smmu-500"));
        Assert.Equal(-1, DtStrings.IndexOf(value, "NVIDIA,smmu-500"));
        Assert.Equal(1, DtStrings.IndexOf(value, "NVIDIA,SMMU-500", ignoreCase: true));
        Assert.Equal(-1, DtStrings.IndexOf(value, "nvidia,smmu", ignoreCase: true));
    }

    [Theory]
    [InlineData("@", "`")]
    [InlineData("[", "{")]
    public void AsciiEquals_NonLettersDifferingInBit5_AreNotEqual(string a, string b)
    {
        Assert.False(DtStrings.AsciiEquals(System.Text.Encoding.ASCII.GetBytes(a), b, ignoreCase: true));
    }

    [Fact]
    public void Enumerate_TrailingFragment_IsNotReturned()
    {
        int count = 0;
        foreach (ReadOnlySpan<byte> item in DtStrings.Enumerate("ab\0cd"u8))
        {
            Assert.True(item.SequenceEqual("ab"u8));
            count++;
        }

        Assert.Equal(1, count);
    }

    [Fact]
    public void Encode_ThenTryReadStringList_RoundTrips()
    {
        string[] strings = ["arm,smmu-v3", "", "virtio,pci-iommu"];
        Assert.True(DtStrings.TryReadStringList(DtStrings.Encode(strings), out string[] back));
        Assert.Equal(strings, back);
    }
}
