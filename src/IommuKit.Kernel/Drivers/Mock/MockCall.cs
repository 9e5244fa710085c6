using IommuKit.Hardware.PageTables;
using IommuKit.Kernel.Base;
using IommuKit.Kernel.Iommu;

namespace IommuKit.Kernel.Drivers.Mock;

/// <summary>A driver op the mock was called with.</summary>
public enum MockOp
{
    ProbeDevice,
    ReleaseDevice,
    AttachDev,
    MapPages,
    UnmapPages,
    IotlbSyncMap,
    IotlbSync,
    FlushIotlbAll,
    Free,
}

/// <summary>One recorded driver call (when <see cref="MockIommuDriver.RecordCalls"/> is on).</summary>
public readonly record struct MockCall(MockOp Op, IommuDomain? Domain, Device? Device, ulong Iova, ulong Paddr, ulong PgSize, ulong PgCount, IommuProt Prot);
