using IommuKit.Hardware.Dma;
using IommuKit.Hardware.Memory;

namespace IommuKit.Hardware.Smmu.V2;

/// <summary>
/// The client port: a master's DMA is split at translation boundaries, each piece translated
/// (<see cref="Translate"/>) and performed on <see cref="PhysicalMemory"/> with the coherency the
/// translation chose. A fault reported with an abort ends the DMA with
/// <see cref="DmaStatus.Fault"/> (pieces before it have been performed, as separate bursts would
/// be); a fault without an abort (RAZ/WI) reads zeros and drops writes for that piece and goes on.
/// A piece whose output address the interconnect does not decode ends with
/// <see cref="DmaStatus.BusError"/>, as does a DMA that wraps the 64-bit address space.
/// </summary>
public sealed partial class SmmuV2
{
    /// <inheritdoc/>
    public DmaStatus DmaRead(uint streamId, ulong address, Span<byte> destination, DmaAttributes attributes)
    {
        if (destination.IsEmpty)
        {
            return DmaStatus.Ok;
        }

        if (address + (ulong)(destination.Length - 1) < address)
        {
            return DmaStatus.BusError;
        }

        while (!destination.IsEmpty)
        {
            Translate(streamId, address, attributes, write: false, out SmmuV2Translation t);
            int n = PieceLength(address, t.RangeShift, destination.Length);
            switch (t.Status)
            {
                case SmmuV2TranslationStatus.Translated:
                case SmmuV2TranslationStatus.Bypassed:
                    if (_memory.Read(t.OutputAddress, destination[..n], t.Access) != BusStatus.Ok)
                    {
                        return DmaStatus.BusError;
                    }

                    break;
                case SmmuV2TranslationStatus.FaultRazWi:
                    destination[..n].Clear();
                    break;
                default:
                    return DmaStatus.Fault;
            }

            destination = destination[n..];
            address += (ulong)n;
        }

        return DmaStatus.Ok;
    }

    /// <inheritdoc/>
    public DmaStatus DmaWrite(uint streamId, ulong address, ReadOnlySpan<byte> source, DmaAttributes attributes)
    {
        if (source.IsEmpty)
        {
            return DmaStatus.Ok;
        }

        if (address + (ulong)(source.Length - 1) < address)
        {
            return DmaStatus.BusError;
        }

        while (!source.IsEmpty)
        {
            Translate(streamId, address, attributes, write: true, out SmmuV2Translation t);
            int n = PieceLength(address, t.RangeShift, source.Length);
            switch (t.Status)
            {
                case SmmuV2TranslationStatus.Translated:
                case SmmuV2TranslationStatus.Bypassed:
                    if (_memory.Write(t.OutputAddress, source[..n], t.Access) != BusStatus.Ok)
                    {
                        return DmaStatus.BusError;
                    }

                    break;
                case SmmuV2TranslationStatus.FaultRazWi:
                    break;
                default:
                    return DmaStatus.Fault;
            }

            source = source[n..];
            address += (ulong)n;
        }

        return DmaStatus.Ok;
    }

    /// <summary>Bytes from <paramref name="address"/> to the end of its 2^<paramref name="shift"/> range, at most <paramref name="remaining"/>.</summary>
    private static int PieceLength(ulong address, int shift, int remaining)
    {
        if (shift >= 63)
        {
            return remaining;
        }

        ulong toEnd = (1UL << shift) - (address & ((1UL << shift) - 1));
        return toEnd < (ulong)remaining ? (int)toEnd : remaining;
    }
}
