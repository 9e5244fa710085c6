using IommuKit.Firmware.DeviceTree;
using IommuKit.Firmware.DeviceTree.Properties;
using IommuKit.Firmware.DeviceTree.Topology;
using IommuKit.Firmware.Tests.Dtb;

namespace IommuKit.Firmware.Tests.Topology;

using DeviceTree = IommuKit.Firmware.DeviceTree.DeviceTree;

/// <summary>Seeded, bounded mutations of real trees: the topology never throws and always terminates.</summary>
public sealed class TopologyMutationTests
{
    private static readonly string[] s_targets =
    [
        "#iommu-cells", "iommus", "iommu-map", "iommu-map-mask", "msi-map", "msi-map-mask", "msi-parent",
        "phandle", "linux,phandle", "status", "reg", "#address-cells", "#size-cells", "dma-coherent",
        "dma-noncoherent", "compatible", "device_type", "mmu-masters", "#stream-id-cells", "stream-match-mask",
        "interconnects", "interconnect-names", "#interconnect-cells",
    ];

    [Theory]
    [InlineData("dtb/linux-6.1/freescale/fsl-ls1028a-rdb.dtb", 1)]
    [InlineData("dtb/linux-6.1/arm/juno-r2.dtb", 2)]
    [InlineData("qemu/virt-viommu.dtb", 3)]
    [InlineData("dtb/built-from-linux-6.1-source/arm64/apple/t8103-j274.dtb", 4)]
    public void Resolve_MutatedPropertyValues_NeverThrows(string name, int seed)
    {
        byte[] blob = Fixtures.ReadBlob(name);
        var random = new Random(seed);
        for (int iteration = 0; iteration < 120; iteration++)
        {
            DeviceTree tree = DtbReader.Read(blob);
            List<DtNode> nodes = [.. tree.Root.EnumerateSubtree()];
            var phandles = nodes.Select(n => n.TryGetPhandle(out uint p) ? p : 0).Where(p => p != 0).ToArray();
            for (int m = random.Next(1, 12); m > 0; m--)
            {
                DtNode node = nodes[random.Next(nodes.Count)];
                string property = s_targets[random.Next(s_targets.Length)];
                node.SetProperty(property, RandomValue(random, phandles));
            }

            Exercise(IommuTopology.Resolve(tree), random);
        }
    }

    [Fact]
    public void Resolve_MutatedBlobBytes_NeverThrows()
    {
        byte[] original = Fixtures.ReadBlob("dtb/linux-6.1/freescale/fsl-ls1028a-rdb.dtb");
        var random = new Random(77);
        int resolved = 0;
        for (int iteration = 0; iteration < 200; iteration++)
        {
            byte[] blob = (byte[])original.Clone();
            for (int m = random.Next(1, 8); m > 0; m--)
            {
                blob[random.Next(64, blob.Length)] = (byte)random.Next(256);
            }

            if (DtbReader.TryRead(blob, out DeviceTree? tree, out _))
            {
                Exercise(IommuTopology.Resolve(tree), random);
                resolved++;
            }
        }

        Assert.True(resolved > 0);
    }

    private static void Exercise(IommuTopology topology, Random random)
    {
        foreach (PciHostBridge bridge in topology.PciHostBridges)
        {
            for (int i = 0; i < 8; i++)
            {
                topology.ResolvePciRequester(bridge, new PciRequesterId((ushort)random.Next(0x10000)));
            }
        }

        foreach (DmaMaster master in topology.Masters)
        {
            if (master.Kind == DmaMasterKind.IommuMap)
            {
                topology.ResolveId(master, (uint)random.NextInt64(0, 1L << 32));
            }
        }

        foreach (IommuInstance iommu in topology.Iommus)
        {
            topology.GetDmaCoherence(iommu.Node);
        }

        Assert.All(topology.Problems, p => Assert.False(string.IsNullOrEmpty(p.Message)));
    }

    private static byte[] RandomValue(Random random, uint[] phandles)
    {
        switch (random.Next(4))
        {
            case 0:
                byte[] bytes = new byte[random.Next(0, 24)];
                random.NextBytes(bytes);
                return bytes;
            case 1:
                return [];
            case 2:
                // Plausible cells: phandles, small numbers, occasional huge values.
                uint[] cells = new uint[random.Next(1, 10)];
                for (int i = 0; i < cells.Length; i++)
                {
                    cells[i] = random.Next(4) switch
                    {
                        0 when phandles.Length > 0 => phandles[random.Next(phandles.Length)],
                        1 => uint.MaxValue - (uint)random.Next(16),
                        _ => (uint)random.Next(0, 6),
                    };
                }

                return DtCells.Encode(cells);
            default:
                return DtStrings.Encode(random.Next(3) switch { 0 => "okay", 1 => "pci", _ => "dma-mem" });
        }
    }
}
