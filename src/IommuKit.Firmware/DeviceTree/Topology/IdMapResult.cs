namespace IommuKit.Firmware.DeviceTree.Topology;

/// <summary>The result of mapping one input ID through an <see cref="IdMap"/>.</summary>
/// <param name="Status">What happened.</param>
/// <param name="InputId">The ID as given.</param>
/// <param name="MaskedId">The ID after the map mask.</param>
/// <param name="EntryIndex">The index of the deciding entry, or -1.</param>
/// <param name="Target">The target node when <see cref="IdMapStatus.Mapped"/>.</param>
/// <param name="OutputId">
/// The output ID when <see cref="IdMapStatus.Mapped"/> (<c>masked - IdBase + OutputBase</c>);
/// the unmasked input ID when <see cref="IdMapStatus.NoMatch"/> (Linux's pass-through).
/// </param>
public readonly record struct IdMapResult(IdMapStatus Status, uint InputId, uint MaskedId, int EntryIndex, DtNode? Target, uint OutputId);
