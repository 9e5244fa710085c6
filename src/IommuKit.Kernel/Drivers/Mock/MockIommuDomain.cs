using System.Numerics;
using IommuKit.Hardware.PageTables;
using IommuKit.Kernel.Base;
using IommuKit.Kernel.Iommu;

namespace IommuKit.Kernel.Drivers.Mock;

/// <summary>
/// A mock paging domain (mock_domain_*_pages in the iommufd selftest): a <see cref="MockPageTable"/>
/// with input/output address-size checks, IOTLB-maintenance counters and failure points.
/// Single-threaded.
/// </summary>
public sealed class MockIommuDomain : IIommuDomainOps
{
    private readonly HashSet<Device> _attached = [];

    internal MockIommuDomain(MockIommuDriver driver, ulong pgsizeBitmap)
    {
        Driver = driver;
        Table = new MockPageTable(pgsizeBitmap);
    }

    public MockIommuDriver Driver { get; }

    /// <summary>The domain's page table.</summary>
    public MockPageTable Table { get; }

    /// <summary>Devices currently attached.</summary>
    public IReadOnlyCollection<Device> Attached => _attached;

    /// <summary>True once enforce_cache_coherency succeeded.</summary>
    public bool CacheCoherencyEnforced { get; private set; }

    public int IotlbSyncMapCalls { get; private set; }

    public int IotlbSyncCalls { get; private set; }

    public int FlushIotlbAllCalls { get; private set; }

    /// <summary>The last range an iotlb_sync was asked to invalidate (start, end inclusive).</summary>
    public (ulong Start, ulong End) LastSyncRange { get; private set; }

    public bool Freed { get; private set; }

    public Errno AttachDev(IommuDomain domain, Device dev, IommuDomain? old)
    {
        Driver.Record(new MockCall(MockOp.AttachDev, domain, dev, 0, 0, 0, 0, IommuProt.None));
        if (CacheCoherencyEnforced && !Driver.IsCapable(dev, IommuCap.EnforceCacheCoherency))
        {
            return Errno.EINVAL;
        }

        Errno ret = Driver.Faults.TakeAttach(dev);
        if (ret != Errno.Ok)
        {
            return ret;
        }

        Driver.SetAttached(dev, domain);
        _attached.Add(dev);
        return Errno.Ok;
    }

    public Errno MapPages(IommuDomain domain, ulong iova, ulong paddr, ulong pgsize, ulong pgcount, IommuProt prot, out ulong mapped)
    {
        mapped = 0;
        Driver.Record(new MockCall(MockOp.MapPages, domain, null, iova, paddr, pgsize, pgcount, prot));
        if (Driver.Options.RequireAttachBeforeMap && _attached.Count == 0)
        {
            return Errno.ENODEV;
        }

        if (!BitOperations.IsPow2(pgsize) || (Table.PgsizeBitmap & pgsize) == 0 || ((iova | paddr) & (pgsize - 1)) != 0)
        {
            return Errno.EINVAL;
        }

        ulong bytes = pgsize * pgcount;
        if (pgcount == 0 || bytes / pgsize != pgcount || !Fits(iova, bytes, Driver.Options.InputAddressBits) || !Fits(paddr, bytes, Driver.Options.OutputAddressBits))
        {
            return Errno.ERANGE;
        }

        ulong limit = pgcount;
        bool fail = Driver.Faults.MapPagesFails(out Errno injected, out ulong partial);
        if (fail)
        {
            limit = Math.Min(partial, pgcount);
        }

        int shift = BitOperations.TrailingZeroCount(pgsize);
        for (ulong i = 0; i < limit; i++)
        {
            Errno ret = Table.Map(iova + (i * pgsize), paddr + (i * pgsize), shift, prot);
            if (ret != Errno.Ok)
            {
                return ret;
            }

            mapped += pgsize;
        }

        return fail ? injected : Errno.Ok;
    }

    public ulong UnmapPages(IommuDomain domain, ulong iova, ulong pgsize, ulong pgcount, ref IommuIotlbGather gather)
    {
        Driver.Record(new MockCall(MockOp.UnmapPages, domain, null, iova, 0, pgsize, pgcount, IommuProt.None));
        if (!BitOperations.IsPow2(pgsize) || (Table.PgsizeBitmap & pgsize) == 0)
        {
            return 0;
        }

        int shift = BitOperations.TrailingZeroCount(pgsize);
        ulong unmapped = 0;
        for (ulong i = 0; i < pgcount; i++)
        {
            ulong a = iova + (i * pgsize);
            ulong n = Table.Unmap(a, shift);
            if (n == 0)
            {
                break;
            }

            gather.AddRange(a, n);
            unmapped += n;
        }

        return unmapped;
    }

    public ulong IovaToPhys(IommuDomain domain, ulong iova) =>
        Table.Find(iova, out _, out ulong leafIova, out MockLeaf leaf) ? leaf.Paddr + (iova - leafIova) : 0;

    public Errno IotlbSyncMap(IommuDomain domain, ulong iova, ulong size)
    {
        Driver.Record(new MockCall(MockOp.IotlbSyncMap, domain, null, iova, 0, size, 0, IommuProt.None));
        IotlbSyncMapCalls++;
        return Driver.Faults.TakeSyncMap();
    }

    public void IotlbSync(IommuDomain domain, ref IommuIotlbGather gather)
    {
        Driver.Record(new MockCall(MockOp.IotlbSync, domain, null, gather.Start, 0, gather.End, 0, IommuProt.None));
        IotlbSyncCalls++;
        LastSyncRange = (gather.Start, gather.End);
    }

    public void FlushIotlbAll(IommuDomain domain)
    {
        Driver.Record(new MockCall(MockOp.FlushIotlbAll, domain, null, 0, 0, 0, 0, IommuProt.None));
        FlushIotlbAllCalls++;
    }

    public bool EnforceCacheCoherency(IommuDomain domain)
    {
        if (!Driver.Options.EnforceCacheCoherency)
        {
            return false;
        }

        foreach (Device dev in _attached)
        {
            if (!Driver.IsCapable(dev, IommuCap.EnforceCacheCoherency))
            {
                return false;
            }
        }

        CacheCoherencyEnforced = true;
        return true;
    }

    public void Free(IommuDomain domain)
    {
        Driver.Record(new MockCall(MockOp.Free, domain, null, 0, 0, 0, 0, IommuProt.None));
        Freed = true;
    }

    internal void Detach(Device dev) => _attached.Remove(dev);

    private static bool Fits(ulong address, ulong bytes, int bits) =>
        bits >= 64 || (address >> bits == 0 && (address + bytes - 1) >> bits == 0 && address + bytes - 1 >= address);
}
