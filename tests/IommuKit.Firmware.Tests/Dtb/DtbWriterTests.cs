using IommuKit.Firmware.DeviceTree;

namespace IommuKit.Firmware.Tests.Dtb;

using DeviceTree = IommuKit.Firmware.DeviceTree.DeviceTree;

public sealed class DtbWriterTests
{
    [Theory]
    [MemberData(nameof(Fixtures.Blobs), MemberType = typeof(Fixtures))]
    public void Write_ReadFixture_EqualsDtcDtbToDtbGolden(string name)
    {
        DeviceTree tree = DtbReader.Read(Fixtures.ReadBlob(name));

        byte[] written = DtbWriter.Write(tree);

        Assert.Equal(Fixtures.ReadGoldenBlob(name), written);
    }
}
