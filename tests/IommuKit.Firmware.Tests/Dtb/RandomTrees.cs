using System.Text;
using IommuKit.Firmware.DeviceTree;

namespace IommuKit.Firmware.Tests.Dtb;

using DeviceTree = IommuKit.Firmware.DeviceTree.DeviceTree;

/// <summary>
/// Seeded random trees (xorshift64) with names dtc accepts and values of every shape the DTS
/// writer distinguishes: string lists (with escapes and NULs before digits), cells, bytes, empty.
/// </summary>
internal sealed class RandomTrees(ulong seed)
{
    private const string NameChars = "abcdefghijklmnopqrstuvwxyz0123456789,._+-";
    private ulong _state = seed;

    public DeviceTree Next()
    {
        var tree = new DeviceTree();
        int reservations = Next(3);
        for (int i = 0; i < reservations; i++)
        {
            tree.MemoryReservations.Add(new DtMemoryReservation(NextRaw(), NextRaw() | 1));
        }

        int budget = 1 + Next(40);
        Fill(tree.Root, 0, ref budget);
        return tree;
    }

    private void Fill(DtNode node, int depth, ref int budget)
    {
        int properties = Next(6);
        for (int i = 0; i < properties; i++)
        {
            string name = Name("p");
            if (node.FindProperty(name) is null)
            {
                node.AddProperty(name, Value());
            }
        }

        int children = depth >= 6 ? 0 : Next(4);
        for (int i = 0; i < children && budget > 0; i++)
        {
            string name = Name("n");
            if (Next(2) == 0)
            {
                name += "@" + Next(0x10000).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
            }

            if (node.FindChild(name) is null)
            {
                budget--;
                Fill(node.AddChild(name), depth + 1, ref budget);
            }
        }
    }

    private string Name(string prefix)
    {
        var sb = new StringBuilder(prefix);
        int length = Next(8);
        for (int i = 0; i < length; i++)
        {
            sb.Append(NameChars[Next(NameChars.Length)]);
        }

        return sb.ToString();
    }

    private byte[] Value()
    {
        switch (Next(5))
        {
            case 0:
                return [];
            case 1:
                {
                    // String list: printable text, escapes, NULs, digits right after a NUL.
                    var bytes = new List<byte>();
                    int strings = 1 + Next(3);
                    for (int s = 0; s < strings; s++)
                    {
                        int length = Next(8);
                        for (int i = 0; i < length; i++)
                        {
                            bytes.Add(Next(6) switch
                            {
                                0 => (byte)('0' + Next(10)),
                                1 => "\"\\\a\b\t\n\v\f\r"u8[Next(9)],
                                _ => (byte)(0x20 + Next(0x5f)),
                            });
                        }

                        bytes.Add(0);
                    }

                    return [.. bytes];
                }

            case 2:
                {
                    byte[] cells = new byte[4 * Next(6)];
                    for (int i = 0; i < cells.Length; i++)
                    {
                        cells[i] = (byte)(Next(3) == 0 ? Next(256) : 0);
                    }

                    return cells;
                }

            default:
                {
                    byte[] bytes = new byte[1 + Next(12)];
                    for (int i = 0; i < bytes.Length; i++)
                    {
                        bytes[i] = (byte)Next(256);
                    }

                    return bytes;
                }
        }
    }

    private ulong NextRaw()
    {
        ulong x = _state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        _state = x;
        return x;
    }

    private int Next(int bound) => (int)(NextRaw() % (ulong)bound);
}
