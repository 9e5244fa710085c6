namespace IommuKit.Hardware.PageTables;

/// <summary>
/// Result of a page-table operation. Each failure stands for the errno Linux's io-pgtable code
/// returns; the kernel layer maps them to <c>Errno</c>.
/// </summary>
public enum PageTableStatus
{
    /// <summary>Success.</summary>
    Ok = 0,

    /// <summary><c>-EEXIST</c>: a leaf is already installed where the mapping would go.</summary>
    Exists,

    /// <summary><c>-ENOMEM</c>: a table page could not be allocated.</summary>
    NoMemory,

    /// <summary><c>-ERANGE</c>: the IOVA is beyond the input address size or the PA beyond the output size.</summary>
    Range,

    /// <summary><c>-EINVAL</c>: an unsupported page size, protection or configuration.</summary>
    Invalid,
}
