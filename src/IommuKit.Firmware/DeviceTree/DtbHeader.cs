using System.Buffers.Binary;

namespace IommuKit.Firmware.DeviceTree;

/// <summary>
/// The header of a flattened devicetree blob (Devicetree Specification v0.4 §5.2), all fields
/// big-endian 32-bit on the wire.
/// </summary>
/// <param name="TotalSize">totalsize: size of the whole blob, blocks and free space included.</param>
/// <param name="StructureOffset">off_dt_struct.</param>
/// <param name="StringsOffset">off_dt_strings.</param>
/// <param name="MemoryReservationOffset">off_mem_rsvmap.</param>
/// <param name="Version">version.</param>
/// <param name="LastCompatibleVersion">last_comp_version.</param>
/// <param name="BootCpuIdPhys">boot_cpuid_phys (version 2 and later; else 0).</param>
/// <param name="StringsSize">size_dt_strings (version 3 and later; else 0).</param>
/// <param name="StructureSize">size_dt_struct (version 17 and later; else 0).</param>
public readonly record struct DtbHeader(
    uint TotalSize,
    uint StructureOffset,
    uint StringsOffset,
    uint MemoryReservationOffset,
    uint Version,
    uint LastCompatibleVersion,
    uint BootCpuIdPhys,
    uint StringsSize,
    uint StructureSize)
{
    /// <summary>The FDT magic number 0xd00dfeed (big-endian at offset 0).</summary>
    public const uint Magic = 0xd00dfeed;

    /// <summary>Size of a version 17 header in bytes.</summary>
    public const int Size = 40;

    /// <summary>Oldest version libfdt accepts (FDT_FIRST_SUPPORTED_VERSION).</summary>
    public const uint FirstSupportedVersion = 2;

    /// <summary>Newest version libfdt (and this reader) implements (FDT_LAST_SUPPORTED_VERSION).</summary>
    public const uint LastSupportedVersion = 17;

    /// <summary>Oldest version whose structure-block layout this reader decodes (v16: names are not paths, no 8-byte value alignment).</summary>
    public const uint FirstDecodedVersion = 16;

    /// <summary>The header size a blob of this version has (libfdt <c>fdt_header_size_</c>).</summary>
    public static int SizeForVersion(uint version) => version switch
    {
        <= 1 => 28,
        2 => 32,
        < 17 => 36,
        _ => 40,
    };

    /// <summary>True when <paramref name="blob"/> starts with the FDT magic.</summary>
    public static bool HasMagic(ReadOnlySpan<byte> blob) => blob.Length >= 4 && BinaryPrimitives.ReadUInt32BigEndian(blob) == Magic;

    /// <summary>
    /// Reads the header and checks it against the buffer exactly as libfdt 1.6's
    /// <c>fdt_check_header</c> does, in the same order, plus the checks libfdt leaves to its
    /// caller: the buffer must hold the header and <c>totalsize</c> bytes.
    /// <list type="number">
    /// <item>magic must be 0xd00dfeed;</item>
    /// <item>version ≥ 2 and last_comp_version ≤ 17, and version ≥ last_comp_version (so a v16 blob
    /// and a v18 blob that stays compatible with 17 are both accepted);</item>
    /// <item>header size (28/32/36/40 by version) ≤ totalsize ≤ INT_MAX;</item>
    /// <item>off_mem_rsvmap within [header size, totalsize];</item>
    /// <item>the structure block: for version &lt; 17 only its start is checked, else start and
    /// end (32-bit overflow refused) within [header size, totalsize];</item>
    /// <item>the strings block: start and end within [header size, totalsize].</item>
    /// </list>
    /// The blocks may overlap (libfdt allows it); every later read is bounds-checked anyway.
    /// </summary>
    /// <exception cref="DeviceTreeFormatException">The header is malformed or does not fit the buffer.</exception>
    public static DtbHeader Read(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < 4)
        {
            DeviceTreeFormatException.Throw($"blob of {blob.Length} bytes is too short for the FDT magic", blob.Length);
        }

        uint magic = BinaryPrimitives.ReadUInt32BigEndian(blob);
        if (magic != Magic)
        {
            DeviceTreeFormatException.Throw($"bad magic 0x{magic:x8} (expected 0xd00dfeed)", 0);
        }

        if (blob.Length < 28)
        {
            DeviceTreeFormatException.Throw($"blob of {blob.Length} bytes is too short for a header", blob.Length);
        }

        uint version = BinaryPrimitives.ReadUInt32BigEndian(blob[20..]);
        uint lastComp = BinaryPrimitives.ReadUInt32BigEndian(blob[24..]);
        if (version < FirstSupportedVersion || lastComp > LastSupportedVersion)
        {
            DeviceTreeFormatException.Throw($"unsupported version {version} (last compatible {lastComp}); supported 2..17", 20);
        }

        if (version < lastComp)
        {
            DeviceTreeFormatException.Throw($"version {version} is below last compatible version {lastComp}", 20);
        }

        int headerSize = SizeForVersion(version);
        if (blob.Length < headerSize)
        {
            DeviceTreeFormatException.Throw($"blob of {blob.Length} bytes is too short for a version {version} header ({headerSize} bytes)", blob.Length);
        }

        uint totalSize = BinaryPrimitives.ReadUInt32BigEndian(blob[4..]);
        uint offStruct = BinaryPrimitives.ReadUInt32BigEndian(blob[8..]);
        uint offStrings = BinaryPrimitives.ReadUInt32BigEndian(blob[12..]);
        uint offRsv = BinaryPrimitives.ReadUInt32BigEndian(blob[16..]);
        uint bootCpu = version >= 2 ? BinaryPrimitives.ReadUInt32BigEndian(blob[28..]) : 0;
        uint sizeStrings = version >= 3 ? BinaryPrimitives.ReadUInt32BigEndian(blob[32..]) : 0;
        uint sizeStruct = version >= 17 ? BinaryPrimitives.ReadUInt32BigEndian(blob[36..]) : 0;

        if (totalSize < (uint)headerSize || totalSize > int.MaxValue)
        {
            DeviceTreeFormatException.Throw($"totalsize {totalSize} is outside [{headerSize}, {int.MaxValue}]", 4);
        }

        if (!OffsetInRange((uint)headerSize, totalSize, offRsv))
        {
            DeviceTreeFormatException.Throw($"off_mem_rsvmap {offRsv} is outside [{headerSize}, totalsize {totalSize}]", 16);
        }

        if (version < 17)
        {
            if (!OffsetInRange((uint)headerSize, totalSize, offStruct))
            {
                DeviceTreeFormatException.Throw($"off_dt_struct {offStruct} is outside [{headerSize}, totalsize {totalSize}]", 8);
            }
        }
        else if (!BlockInRange((uint)headerSize, totalSize, offStruct, sizeStruct))
        {
            DeviceTreeFormatException.Throw($"structure block [{offStruct}, +{sizeStruct}) is outside [{headerSize}, totalsize {totalSize}]", 8);
        }

        if (!BlockInRange((uint)headerSize, totalSize, offStrings, sizeStrings))
        {
            DeviceTreeFormatException.Throw($"strings block [{offStrings}, +{sizeStrings}) is outside [{headerSize}, totalsize {totalSize}]", 12);
        }

        if ((uint)blob.Length < totalSize)
        {
            DeviceTreeFormatException.Throw($"blob truncated: totalsize is {totalSize} but only {blob.Length} bytes are present", blob.Length);
        }

        return new DtbHeader(totalSize, offStruct, offStrings, offRsv, version, lastComp, bootCpu, sizeStrings, sizeStruct);
    }

    /// <summary>End of the structure block: off+size for v17, totalsize before (size unknown).</summary>
    internal int StructureEnd => (int)(Version >= 17 ? StructureOffset + StructureSize : TotalSize);

    // libfdt check_off_: hdrsize <= off <= totalsize.
    private static bool OffsetInRange(uint headerSize, uint totalSize, uint offset) => offset >= headerSize && offset <= totalSize;

    // libfdt check_block_: start in range, no 32-bit wrap, end in range.
    private static bool BlockInRange(uint headerSize, uint totalSize, uint start, uint size)
    {
        if (!OffsetInRange(headerSize, totalSize, start))
        {
            return false;
        }

        uint end = unchecked(start + size);
        return end >= start && OffsetInRange(headerSize, totalSize, end);
    }
}
