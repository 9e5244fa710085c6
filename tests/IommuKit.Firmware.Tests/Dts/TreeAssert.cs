using IommuKit.Firmware.DeviceTree;

namespace IommuKit.Firmware.Tests.Dts;

using DeviceTree = IommuKit.Firmware.DeviceTree.DeviceTree;

/// <summary>Structural comparison of two trees that names the first difference.</summary>
internal static class TreeAssert
{
    /// <summary>Same reservations, boot CPU, nodes (names, order), properties (names, order, value bytes).</summary>
    public static void Equal(DeviceTree expected, DeviceTree actual)
    {
        Assert.Equal(expected.MemoryReservations, actual.MemoryReservations);
        Assert.Equal(expected.BootCpuIdPhys, actual.BootCpuIdPhys);
        var stack = new Stack<(DtNode Expected, DtNode Actual)>();
        stack.Push((expected.Root, actual.Root));
        while (stack.Count > 0)
        {
            (DtNode e, DtNode a) = stack.Pop();
            string path = e.FullPath;
            Assert.Equal(e.Name, a.Name);
            Assert.True(
                e.Properties.Select(p => p.Name).SequenceEqual(a.Properties.Select(p => p.Name)),
                $"{path}: properties differ: expected [{string.Join(", ", e.Properties.Select(p => p.Name))}], got [{string.Join(", ", a.Properties.Select(p => p.Name))}]");
            for (int i = 0; i < e.Properties.Count; i++)
            {
                Assert.True(
                    e.Properties[i].Value.Span.SequenceEqual(a.Properties[i].Value.Span),
                    $"{path}: property {e.Properties[i].Name}: expected {Convert.ToHexString(e.Properties[i].Value.Span)}, got {Convert.ToHexString(a.Properties[i].Value.Span)}");
            }

            Assert.True(
                e.Children.Select(c => c.Name).SequenceEqual(a.Children.Select(c => c.Name)),
                $"{path}: children differ: expected [{string.Join(", ", e.Children.Select(c => c.Name))}], got [{string.Join(", ", a.Children.Select(c => c.Name))}]");
            for (int i = e.Children.Count - 1; i >= 0; i--)
            {
                stack.Push((e.Children[i], a.Children[i]));
            }
        }
    }
}
