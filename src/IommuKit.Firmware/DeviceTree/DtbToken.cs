namespace IommuKit.Firmware.DeviceTree;

/// <summary>
/// A structure-block token as reported by <see cref="DtbWalker"/> (Devicetree Specification v0.4
/// §5.4.1). FDT_NOP is skipped by the walker and never reported.
/// </summary>
public enum DtbToken
{
    /// <summary>No token read yet.</summary>
    None = 0,

    /// <summary>FDT_BEGIN_NODE (0x1): a node starts; its name follows.</summary>
    BeginNode = 1,

    /// <summary>FDT_END_NODE (0x2): the current node ends.</summary>
    EndNode = 2,

    /// <summary>FDT_PROP (0x3): a property of the current node.</summary>
    Property = 3,

    /// <summary>FDT_END (0x9): the structure block ends.</summary>
    End = 9,
}
