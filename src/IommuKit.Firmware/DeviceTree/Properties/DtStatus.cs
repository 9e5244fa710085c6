namespace IommuKit.Firmware.DeviceTree.Properties;

/// <summary>
/// The <c>status</c> property (Devicetree Specification v0.4 §2.3.4) as Linux reads it
/// (<c>__of_device_is_available</c>): absent, <c>"okay"</c> or <c>"ok"</c> means enabled; anything
/// else (<c>"disabled"</c>, <c>"reserved"</c>, <c>"fail"</c>, <c>"fail-sss"</c>, an empty value) means not.
/// </summary>
public static class DtStatus
{
    /// <summary>True when the node's own <c>status</c> makes it available.</summary>
    public static bool IsEnabled(DtNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        DtProperty? status = node.FindProperty("status");
        return status is null || IsOkay(status.Value.Span);
    }

    /// <summary>
    /// True when the node and every ancestor are enabled: Linux never creates a device for a node
    /// below a disabled bus, so a node is only usable when its whole path is.
    /// </summary>
    public static bool IsEnabledWithAncestors(DtNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        for (DtNode? n = node; n is not null; n = n.Parent)
        {
            if (!IsEnabled(n))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True for a <c>status</c> value that reads "okay" or "ok" (up to its first NUL).</summary>
    public static bool IsOkay(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            return false;
        }

        int nul = value.IndexOf((byte)0);
        ReadOnlySpan<byte> text = nul < 0 ? value : value[..nul];
        return text.SequenceEqual("okay"u8) || text.SequenceEqual("ok"u8);
    }
}
