using IommuKit.Firmware.DeviceTree;

namespace IommuKit.Firmware.Tests.Dtb;

using DeviceTree = IommuKit.Firmware.DeviceTree.DeviceTree;

/// <summary>Structural comparison of two trees: same nodes, properties and value bytes, in order.</summary>
internal static class TreeAssert
{
    public static void SameStructure(DeviceTree expected, DeviceTree actual)
    {
        Assert.Equal(expected.MemoryReservations, actual.MemoryReservations);
        Assert.Equal(expected.BootCpuIdPhys, actual.BootCpuIdPhys);
        SameNode(expected.Root, actual.Root);
    }

    public static void SameNode(DtNode expected, DtNode actual)
    {
        var pending = new Stack<(DtNode Expected, DtNode Actual)>();
        pending.Push((expected, actual));
        while (pending.Count > 0)
        {
            (DtNode e, DtNode a) = pending.Pop();
            Assert.Equal(e.Name, a.Name);
            Assert.Equal(e.Properties.Count, a.Properties.Count);
            for (int i = 0; i < e.Properties.Count; i++)
            {
                Assert.Equal(e.Properties[i].Name, a.Properties[i].Name);
                Assert.True(e.Properties[i].Value.Span.SequenceEqual(a.Properties[i].Value.Span), $"{e.FullPath}:{e.Properties[i].Name} differs");
            }

            Assert.Equal(e.Children.Count, a.Children.Count);
            for (int i = 0; i < e.Children.Count; i++)
            {
                pending.Push((e.Children[i], a.Children[i]));
            }
        }
    }
}
