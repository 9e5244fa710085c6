namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>A PCI requester ID: bus[15:8], device[7:3], function[2:0].</summary>
/// <param name="Value">The 16-bit RID.</param>
public readonly record struct PciRequesterId(ushort Value)
{
    /// <summary>Bus number.</summary>
    public byte Bus => (byte)(Value >> 8);

    /// <summary>Device number (0–31).</summary>
    public byte Device => (byte)((Value >> 3) & 0x1F);

    /// <summary>Function number (0–7).</summary>
    public byte Function => (byte)(Value & 0x7);

    /// <summary>Builds a RID from bus, device and function.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Device above 31 or function above 7.</exception>
    public static PciRequesterId From(byte bus, byte device, byte function)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(device, (byte)31);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(function, (byte)7);
        return new PciRequesterId((ushort)((bus << 8) | (device << 3) | function));
    }

    /// <summary>
    /// The RID of a devicetree PCI node from the <c>phys.hi</c> cell of its <c>reg</c>
    /// (IEEE 1275 PCI binding: <c>npt000ss bbbbbbbb dddddfff rrrrrrrr</c>).
    /// </summary>
    public static PciRequesterId FromPhysHi(uint physHi) => new((ushort)((physHi >> 8) & 0xFFFF));

    /// <summary>"bb:dd.f" in hex, as lspci prints it.</summary>
    public override string ToString() => $"{Bus:x2}:{Device:x2}.{Function}";
}
