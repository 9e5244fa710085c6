using System.Buffers.Binary;

namespace IommuKit.Hardware.Smmu.V3;

/// <summary>CLASS field of translation-related event records: what was being accessed.</summary>
internal enum SmmuV3EventClass
{
    /// <summary>0b00: CD fetch.</summary>
    Cd = 0,

    /// <summary>0b01: stage-1 translation table fetch.</summary>
    TranslationTable = 1,

    /// <summary>0b10: the input address of the transaction.</summary>
    Input = 2,
}

/// <summary>
/// A 32-byte event record (SMMUv3 §7.3), as four little-endian doublewords. Word 0: EventID[7:0],
/// SSV[11], SubstreamID[31:12], StreamID[63:32]. Word 1: PnU[33], InD[34], RnW[35], S2[39],
/// CLASS[41:40], TTRnW[44]. Word 2: InputAddr[63:0]. Word 3: IPA[55:12] (stage-2 faults) or
/// FetchAddr[55:3] (F_STE_FETCH, F_CD_FETCH, F_WALK_EABT).
/// </summary>
internal readonly struct SmmuV3EventRecord
{
    public const int Size = 32;

    public const ulong IpaMask = 0x00FF_FFFF_FFFF_F000;
    public const ulong FetchAddrMask = 0x00FF_FFFF_FFFF_FFF8;

    public readonly ulong W0;
    public readonly ulong W1;
    public readonly ulong W2;
    public readonly ulong W3;

    public SmmuV3EventRecord(ulong w0, ulong w1, ulong w2, ulong w3)
    {
        W0 = w0;
        W1 = w1;
        W2 = w2;
        W3 = w3;
    }

    public SmmuV3EventId Id => (SmmuV3EventId)(byte)W0;

    public bool Ssv => ((W0 >> 11) & 1) != 0;

    public uint SubstreamId => (uint)(W0 >> 12) & 0xFFFFF;

    public uint StreamId => (uint)(W0 >> 32);

    public bool PnU => ((W1 >> 33) & 1) != 0;

    public bool InD => ((W1 >> 34) & 1) != 0;

    public bool RnW => ((W1 >> 35) & 1) != 0;

    public bool S2 => ((W1 >> 39) & 1) != 0;

    public SmmuV3EventClass Class => (SmmuV3EventClass)((W1 >> 40) & 3);

    public bool TtRead => ((W1 >> 44) & 1) != 0;

    public ulong InputAddress => W2;

    public ulong Ipa => W3 & IpaMask;

    public ulong FetchAddress => W3 & FetchAddrMask;

    /// <summary>Word 0 for an event about a transaction of <paramref name="sid"/>.</summary>
    public static ulong Word0(SmmuV3EventId id, uint sid, bool ssv, uint ssid) =>
        (byte)id | (ssv ? 1UL << 11 : 0) | ((ulong)(ssid & 0xFFFFF) << 12) | ((ulong)sid << 32);

    /// <summary>Word 1: the transaction's attributes (InD is 0 for writes), the stage and class.</summary>
    public static ulong Word1(bool privileged, bool instruction, bool write, bool stage2, SmmuV3EventClass cls, bool ttRead) =>
        (privileged ? 1UL << 33 : 0) |
        (instruction && !write ? 1UL << 34 : 0) |
        (write ? 0 : 1UL << 35) |
        (stage2 ? 1UL << 39 : 0) |
        ((ulong)cls << 40) |
        (ttRead ? 1UL << 44 : 0);

    public static SmmuV3EventRecord Read(ReadOnlySpan<byte> bytes) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(bytes),
        BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]),
        BinaryPrimitives.ReadUInt64LittleEndian(bytes[16..]),
        BinaryPrimitives.ReadUInt64LittleEndian(bytes[24..]));

    public void Write(Span<byte> bytes)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, W0);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[8..], W1);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[16..], W2);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[24..], W3);
    }
}
