using System.Runtime.CompilerServices;
using static IommuKit.Hardware.Smmu.V2.SmmuV2Registers;

namespace IommuKit.Hardware.Smmu.V2;

/// <summary>Stream mapping: SMR matching (or stream indexing) to an S2CR (IHI 0062 §2.4, "Stream mapping").</summary>
public sealed partial class SmmuV2
{
    private const int StreamUnmatched = -1;
    private const int StreamConflict = -2;
    private const int StreamCacheSize = 256;

    // A direct-mapped cache of stream ID → S2CR index (or unmatched / conflict), emptied by every
    // write that can change the answer (SMR, S2CR, sCR0). Keys are stream ID + 1; 0 is empty.
    private readonly ulong[] _streamCacheKey = new ulong[StreamCacheSize];
    private readonly int[] _streamCacheValue = new int[StreamCacheSize];

    /// <summary>True while sCR0.EXIDENABLE switches the SMRs to 16-bit IDs with S2CR.EXIDVALID.</summary>
    private bool ExtendedIdsEnabled => _features.ExtendedStreamIds && (_scr0 & sCR0_EXIDENABLE) != 0;

    /// <summary>Stream ID bits the SMRs compare: 16 with extended IDs enabled, else NUMSIDB.</summary>
    private int StreamIdWidth => ExtendedIdsEnabled ? 16 : _features.StreamIdBits;

    /// <summary>Bits of an SMR a write can set in the current mode: ID, the implemented MASK bits, and VALID unless extended IDs are enabled.</summary>
    private uint SmrWriteMask
    {
        get
        {
            int idBits = StreamIdWidth;
            uint idMask = (uint)((1 << idBits) - 1);
            uint maskMask = (uint)((1 << Math.Min(_features.EffectiveSmrMaskBits, idBits)) - 1);
            return idMask | (maskMask << SMR_MASK_Shift) | (ExtendedIdsEnabled ? 0 : SMR_VALID);
        }
    }

    private uint S2crWriteMask => _features.ExtendedStreamIds ? 0x3FFF_FFFFu : 0x3FFF_FFFFu & ~S2CR_EXIDVALID;

    private void ClearStreamCache() => Array.Clear(_streamCacheKey);

    /// <summary>Cached mapping of <paramref name="streamId"/>, for the lock-free path; false on a cache miss.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryCachedStream(uint streamId, out int index)
    {
        if (!_streamMatching)
        {
            index = streamId < (uint)_s2cr.Length ? (int)streamId : StreamUnmatched;
            return true;
        }

        int slot = (int)(streamId & (StreamCacheSize - 1));
        index = _streamCacheValue[slot];
        return _streamCacheKey[slot] == (ulong)streamId + 1;
    }

    /// <summary>Maps <paramref name="streamId"/> to an S2CR index, filling the cache (caller holds the lock, inside a mutation).</summary>
    private int ResolveStream(uint streamId)
    {
        if (TryCachedStream(streamId, out int index))
        {
            return index;
        }

        index = MatchStream(streamId);
        int slot = (int)(streamId & (StreamCacheSize - 1));
        _streamCacheKey[slot] = (ulong)streamId + 1;
        _streamCacheValue[slot] = index;
        return index;
    }

    /// <summary>
    /// The hardware match: SMR n matches iff it is valid and ((ID XOR S) AND NOT MASK) is zero over
    /// the implemented ID bits. Several matches are a conflict (sCR0.SMCFCFG = 1) or, when conflicts
    /// are not faulted, the lowest-numbered match.
    /// </summary>
    private int MatchStream(uint streamId)
    {
        int width = StreamIdWidth;
        if ((streamId >> width) != 0)
        {
            return StreamUnmatched; // no SMR can compare bits the SMMU does not have
        }

        uint idMask = (uint)((1 << width) - 1);
        bool exid = ExtendedIdsEnabled;
        int found = StreamUnmatched;
        for (int i = 0; i < _smr.Length; i++)
        {
            uint smr = _smr[i];
            bool valid = exid ? (_s2cr[i] & S2CR_EXIDVALID) != 0 : (smr & SMR_VALID) != 0;
            if (!valid)
            {
                continue;
            }

            uint id = smr & idMask;
            uint mask = (smr >> SMR_MASK_Shift) & idMask;
            if (((streamId ^ id) & ~mask & idMask) != 0)
            {
                continue;
            }

            if (found >= 0)
            {
                return (_scr0 & sCR0_SMCFCFG) != 0 ? StreamConflict : found;
            }

            found = i;
        }

        return found;
    }

    private void WriteSmr(int index, uint value)
    {
        _smr[index] = value & SmrWriteMask;
        ClearStreamCache();
    }

    private void WriteS2cr(int index, uint value)
    {
        _s2cr[index] = value & S2crWriteMask;
        ClearStreamCache();
    }
}
