using System.Buffers.Binary;

namespace IommuKit.Hardware.Pci;

/// <summary>
/// One function's 4 KiB configuration space: register contents plus a per-bit write mask. Bits
/// outside the mask are read-only (hardware-initialised) and ignore writes, as the specification
/// requires for RO and HwInit fields. A conventional PCI function has only the first 256 bytes;
/// accesses above that read all ones and drop writes, as a PCI Express to PCI bridge completes
/// extended-space requests to conventional devices.
/// </summary>
public sealed class PciConfigSpace
{
    private readonly byte[] _data = new byte[PciConfigRegisters.ConfigSpaceSize];
    private readonly byte[] _writeMask = new byte[PciConfigRegisters.ConfigSpaceSize];
    private readonly object _lock = new();

    /// <summary>A configuration space; <paramref name="extended"/> false for a conventional PCI function.</summary>
    public PciConfigSpace(bool extended)
    {
        Extended = extended;
    }

    /// <summary>True if the function implements the PCI Express extended space (offsets 100h–FFFh).</summary>
    public bool Extended { get; }

    /// <summary>Reads 1, 2 or 4 bytes, little-endian. The access must not cross the end of the space.</summary>
    public uint Read(int offset, int size)
    {
        CheckAccess(offset, size);
        if (!Extended && offset >= PciConfigRegisters.CompatibleSpaceSize)
        {
            return size == 4 ? uint.MaxValue : (1u << (size * 8)) - 1;
        }

        lock (_lock)
        {
            return Load(_data, offset, size);
        }
    }

    /// <summary>Writes 1, 2 or 4 bytes; only bits set in the write mask change.</summary>
    public void Write(int offset, int size, uint value)
    {
        CheckAccess(offset, size);
        if (!Extended && offset >= PciConfigRegisters.CompatibleSpaceSize)
        {
            return;
        }

        lock (_lock)
        {
            for (int i = 0; i < size; i++)
            {
                byte mask = _writeMask[offset + i];
                byte b = (byte)(value >> (8 * i));
                _data[offset + i] = (byte)((_data[offset + i] & ~mask) | (b & mask));
            }
        }
    }

    /// <summary>Sets a register's reset value regardless of the write mask (model construction).</summary>
    public void SetInitial(int offset, int size, uint value)
    {
        CheckAccess(offset, size);
        lock (_lock)
        {
            Store(_data, offset, size, value);
        }
    }

    /// <summary>Declares which bits of a register software may write (model construction).</summary>
    public void SetWritable(int offset, int size, uint mask)
    {
        CheckAccess(offset, size);
        lock (_lock)
        {
            Store(_writeMask, offset, size, mask);
        }
    }

    private static uint Load(byte[] buffer, int offset, int size) => size switch
    {
        1 => buffer[offset],
        2 => BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(offset)),
        _ => BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(offset)),
    };

    private static void Store(byte[] buffer, int offset, int size, uint value)
    {
        switch (size)
        {
            case 1:
                buffer[offset] = (byte)value;
                break;
            case 2:
                BinaryPrimitives.WriteUInt16LittleEndian(buffer.AsSpan(offset), (ushort)value);
                break;
            default:
                BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(offset), value);
                break;
        }
    }

    private static void CheckAccess(int offset, int size)
    {
        if (size is not (1 or 2 or 4))
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "Configuration accesses are 1, 2 or 4 bytes.");
        }

        if (offset < 0 || offset > PciConfigRegisters.ConfigSpaceSize - size || (offset & (size - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, "Configuration accesses must be naturally aligned and inside the 4 KiB space.");
        }
    }
}
