using System.Text;
using IommuKit.Kernel.Base;

namespace IommuKit.Kernel.Iommu;

public sealed partial class IommuSubsystem
{
    /// <summary>iommu_get_resv_regions(): the driver's reserved regions for the device (appended).</summary>
    public void GetResvRegions(Device dev, List<IommuResvRegion> regions)
    {
        ArgumentNullException.ThrowIfNull(dev);
        ArgumentNullException.ThrowIfNull(regions);
        dev.Iommu?.Ops?.GetResvRegions(dev, regions);
    }

    /// <summary>
    /// iommu_get_group_resv_regions(): the union of the members' regions, sorted by start (then
    /// type), with overlapping or adjacent regions of the same type merged.
    /// </summary>
    public Errno GetGroupResvRegions(IommuGroup group, List<IommuResvRegion> regions)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(regions);
        lock (group.Mutex)
        {
            var devRegions = new List<IommuResvRegion>();
            foreach (Device dev in group.DeviceList)
            {
                if (!DevHasIommu(dev))
                {
                    break;
                }

                devRegions.Clear();
                GetResvRegions(dev, devRegions);
                foreach (IommuResvRegion r in devRegions)
                {
                    InsertResvRegion(r, regions);
                }
            }
        }

        return Errno.Ok;
    }

    /// <summary>
    /// iommu_insert_resv_region(): insert keeping the list sorted by start address (equal starts by
    /// type), then merge overlapping or adjacent regions of the new region's type.
    /// </summary>
    public static void InsertResvRegion(IommuResvRegion region, List<IommuResvRegion> regions)
    {
        ArgumentNullException.ThrowIfNull(regions);
        int pos = 0;
        while (pos < regions.Count && !(region.Start < regions[pos].Start || (region.Start == regions[pos].Start && region.Type <= regions[pos].Type)))
        {
            pos++;
        }

        regions.Insert(pos, region);
        var stack = new List<IommuResvRegion>(regions.Count);
        foreach (IommuResvRegion iter in regions)
        {
            if (iter.Type != region.Type)
            {
                stack.Add(iter);
                continue;
            }

            int top = stack.FindLastIndex(r => r.Type == iter.Type);
            if (top < 0)
            {
                stack.Add(iter);
                continue;
            }

            ulong topEnd = stack[top].Start + stack[top].Length - 1;
            ulong iterEnd = iter.Start + iter.Length - 1;
            if (iter.Start > topEnd + 1)
            {
                stack.Add(iter);
            }
            else
            {
                stack[top] = stack[top] with { Length = Math.Max(topEnd, iterEnd) - stack[top].Start + 1 };
            }
        }

        regions.Clear();
        regions.AddRange(stack);
    }

    /// <summary>
    /// iommu_group_show_resv_regions(): the group's sysfs "reserved_regions" text, one line per merged
    /// region: "0x%016llx 0x%016llx %s\n" with start, inclusive end and type (SW_MSI prints "msi").
    /// </summary>
    public string GroupResvRegionsText(IommuGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        var regions = new List<IommuResvRegion>();
        GetGroupResvRegions(group, regions);
        var sb = new StringBuilder();
        foreach (IommuResvRegion r in regions)
        {
            sb.Append("0x").Append(r.Start.ToString("x16", System.Globalization.CultureInfo.InvariantCulture))
                .Append(" 0x").Append((r.Start + r.Length - 1).ToString("x16", System.Globalization.CultureInfo.InvariantCulture))
                .Append(' ').Append(r.TypeString).Append('\n');
        }

        return sb.ToString();
    }
}
