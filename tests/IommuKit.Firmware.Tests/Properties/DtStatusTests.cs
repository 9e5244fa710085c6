using IommuKit.Firmware.DeviceTree;
using IommuKit.Firmware.DeviceTree.Properties;

namespace IommuKit.Firmware.Tests.Properties;

using DeviceTree = IommuKit.Firmware.DeviceTree.DeviceTree;

public sealed class DtStatusTests
{
    [Theory]
    [InlineData(null, true)]
    [InlineData("okay", true)]
    [InlineData("ok", true)]
    [InlineData("disabled", false)]
    [InlineData("reserved", false)]
    [InlineData("fail", false)]
    [InlineData("fail-sss", false)]
    [InlineData("", false)]
    [InlineData("OKAY", false)]
    public void IsEnabled_StatusValue_FollowsLinux(string? status, bool expected)
    {
        var tree = new DeviceTree();
        DtNode node = tree.Root.Node("n");
        if (status is not null)
        {
            node.Str("status", status);
        }

        Assert.Equal(expected, DtStatus.IsEnabled(node));
    }

    [Fact]
    public void IsEnabled_EmptyValue_IsDisabled()
    {
        var tree = new DeviceTree();
        DtNode node = tree.Root.Node("n").Flag("status");
        Assert.False(DtStatus.IsEnabled(node));
    }

    [Fact]
    public void IsEnabledWithAncestors_DisabledBus_DisablesChild()
    {
        var tree = new DeviceTree();
        DtNode bus = tree.Root.Node("bus").Str("status", "disabled");
        DtNode child = bus.Node("dev").Str("status", "okay");
        Assert.True(DtStatus.IsEnabled(child));
        Assert.False(DtStatus.IsEnabledWithAncestors(child));
    }
}
