using IommuKit.Kernel.Base;
using IommuKit.Kernel.Iommu;
using IommuKit.Kernel.Pci;
using IommuKit.Kernel.Printk;
using static IommuKit.Kernel.Drivers.ArmSmmu.ArmSmmuRegs;

namespace IommuKit.Kernel.Drivers.ArmSmmu;

public sealed partial class ArmSmmuDriver
{
    /// <summary>s2cr_init_val: unused entries fault (disable_bypass) or bypass.</summary>
    private ArmSmmuS2cr S2crInitVal => new() { Type = Options.DisableBypass ? S2crTypeFault : S2crTypeBypass };

    /// <summary>A copy of stream map entry <paramref name="idx"/> as the driver keeps it: (valid, id, mask, S2CR type, cbndx, users).</summary>
    public (bool Valid, ushort Id, ushort Mask, uint Type, int Cbndx, int Count) StreamMapEntry(int idx)
    {
        lock (_streamMapLock)
        {
            ArmSmmuSmr smr = _smrs.Length > 0 ? _smrs[idx] : default;
            ArmSmmuS2cr s2cr = _s2crs[idx];
            return (smr.Valid, smr.Id, smr.Mask, s2cr.Type, s2cr.Cbndx, s2cr.Count);
        }
    }

    /// <summary>
    /// arm_smmu_of_xlate(): fwspec ID = SMR.ID (first cell) | SMR.MASK &lt;&lt; 16 (second cell, or
    /// the SMMU node's <c>stream-match-mask</c> with one cell).
    /// </summary>
    public Errno OfXlate(Device dev, ReadOnlySpan<uint> args)
    {
        ArgumentNullException.ThrowIfNull(dev);
        uint fwid = 0;
        if (args.Length > 0)
        {
            fwid |= args[0] & SmrIdMask;
        }

        if (args.Length > 1)
        {
            fwid |= (args[1] & SmrIdMask) << SmrMaskShift;
        }
        else if (Firmware.StreamMatchMask is uint mask)
        {
            fwid |= (mask & SmrIdMask) << SmrMaskShift;
        }

        return Subsystem.FwspecAddIds(dev, [fwid]);
    }

    /// <summary>
    /// arm_smmu_probe_device(): check every fwspec ID against the implemented stream ID and mask
    /// bits (EINVAL), then allocate stream map entries for them.
    /// </summary>
    public Errno ProbeDevice(Device dev, out IommuInstance? iommu)
    {
        iommu = null;
        IommuFwspec? fwspec = dev.Iommu?.Fwspec;
        if (fwspec is null || !ReferenceEquals(fwspec.IommuFwnode, FwNode))
        {
            return Errno.ENODEV;
        }

        foreach (uint fwid in fwspec.Ids)
        {
            uint sid = fwid & SmrIdMask;
            uint mask = (fwid >> SmrMaskShift) & SmrIdMask;
            if ((sid & ~StreamIdMask) != 0)
            {
                Log.DevPrint(KernelLogLevel.Err, dev, $"stream ID 0x{sid:x} out of range for SMMU (0x{StreamIdMask:x})");
                return Errno.EINVAL;
            }

            if ((mask & ~SmrMaskMask) != 0)
            {
                Log.DevPrint(KernelLogLevel.Err, dev, $"SMR mask 0x{mask:x} out of range for SMMU (0x{SmrMaskMask:x})");
                return Errno.EINVAL;
            }
        }

        var cfg = new ArmSmmuMasterCfg(this, fwspec.Ids.Count);
        dev.Iommu!.Priv = cfg;
        Errno err = MasterAllocSmes(cfg, fwspec);
        if (err != Errno.Ok)
        {
            dev.Iommu.Priv = null;
            return err;
        }

        iommu = Instance;
        return Errno.Ok;
    }

    /// <summary>arm_smmu_release_device(): give back the master's stream map entries (reset to fault/bypass).</summary>
    public void ReleaseDevice(Device dev)
    {
        if (dev.Iommu?.Priv is ArmSmmuMasterCfg cfg && dev.Iommu.Fwspec is { } fwspec)
        {
            MasterFreeSmes(cfg, fwspec);
            dev.Iommu.Priv = null;
        }
    }

    /// <summary>
    /// arm_smmu_device_group(): masters sharing stream map entries share a group (EINVAL if their
    /// entries already belong to different groups); otherwise pci_device_group for PCI devices and
    /// generic_device_group for the rest (fsl-mc is not modelled). The group is remembered per entry.
    /// </summary>
    public Errno DeviceGroup(Device dev, out IommuGroup? group)
    {
        group = null;
        var cfg = (ArmSmmuMasterCfg)dev.Iommu!.Priv!;
        lock (_streamMapLock)
        {
            IommuGroup? found = null;
            foreach (short idx in cfg.SmEndx)
            {
                IommuGroup? g = _s2crs[idx].Group;
                if (found is not null && g is not null && found != g)
                {
                    return Errno.EINVAL;
                }

                found = g;
            }

            if (found is not null)
            {
                group = Subsystem.IommuGroupRefGet(found);
                return Errno.Ok;
            }

            Errno err = dev is PciDevice ? Subsystem.PciDeviceGroup(dev, out group) : Subsystem.GenericDeviceGroup(dev, out group);
            if (err == Errno.Ok && group is not null)
            {
                foreach (short idx in cfg.SmEndx)
                {
                    _s2crs[idx].Group = group;
                }
            }

            return err;
        }
    }

    /// <summary>arm_smmu_master_install_s2crs(): point every entry of the master at (type, cbndx), writing only changed S2CRs.</summary>
    internal void MasterInstallS2crs(ArmSmmuMasterCfg cfg, uint type, int cbndx)
    {
        lock (_streamMapLock)
        {
            foreach (short idx in cfg.SmEndx)
            {
                ref ArmSmmuS2cr s2cr = ref _s2crs[idx];
                if (s2cr.Type == type && s2cr.Cbndx == cbndx)
                {
                    continue;
                }

                s2cr.Type = type;
                s2cr.Privcfg = 0;
                s2cr.Cbndx = (byte)cbndx;
                WriteS2cr(idx);
            }
        }
    }

    /// <summary>
    /// arm_smmu_find_sme(): stream indexing uses the ID itself; with SMRs, reuse an entry that
    /// wholly contains (id, mask), refuse (EINVAL) any other overlap, else take the first free
    /// entry (ENOSPC if none).
    /// </summary>
    internal int FindSme(ushort id, ushort mask)
    {
        if (_smrs.Length == 0)
        {
            return id;
        }

        int freeIdx = -(int)Errno.ENOSPC;
        for (int i = 0; i < NumMappingGroups; i++)
        {
            ArmSmmuSmr s = _smrs[i];
            if (!s.Valid)
            {
                if (freeIdx < 0)
                {
                    freeIdx = i;
                }

                continue;
            }

            if ((mask & s.Mask) == mask && ((id ^ s.Id) & ~s.Mask & 0xFFFF) == 0)
            {
                return i;
            }

            if (((id ^ s.Id) & ~(s.Mask | mask) & 0xFFFF) == 0)
            {
                return -(int)Errno.EINVAL;
            }
        }

        return freeIdx;
    }

    /// <summary>arm_smmu_master_alloc_smes(): find an entry for every ID, then write them; all-or-nothing.</summary>
    private Errno MasterAllocSmes(ArmSmmuMasterCfg cfg, IommuFwspec fwspec)
    {
        lock (_streamMapLock)
        {
            int i = 0;
            Errno err = Errno.Ok;
            for (; i < fwspec.Ids.Count; i++)
            {
                ushort sid = (ushort)(fwspec.Ids[i] & SmrIdMask);
                ushort mask = (ushort)((fwspec.Ids[i] >> SmrMaskShift) & SmrIdMask);
                if (cfg.SmEndx[i] != InvalidSmendx)
                {
                    err = Errno.EEXIST;
                    break;
                }

                int idx = FindSme(sid, mask);
                if (idx < 0)
                {
                    err = (Errno)(-idx);
                    break;
                }

                if (_smrs.Length > 0 && _s2crs[idx].Count == 0)
                {
                    _smrs[idx] = new ArmSmmuSmr { Id = sid, Mask = mask, Valid = true };
                }

                _s2crs[idx].Count++;
                cfg.SmEndx[i] = (short)idx;
            }

            if (err != Errno.Ok)
            {
                while (i-- > 0)
                {
                    FreeSme(cfg.SmEndx[i]);
                    cfg.SmEndx[i] = InvalidSmendx;
                }

                return err;
            }

            // It worked: now poke the hardware.
            foreach (short idx in cfg.SmEndx)
            {
                WriteSme(idx);
            }

            return Errno.Ok;
        }
    }

    private void MasterFreeSmes(ArmSmmuMasterCfg cfg, IommuFwspec fwspec)
    {
        lock (_streamMapLock)
        {
            for (int i = 0; i < cfg.SmEndx.Length && i < fwspec.Ids.Count; i++)
            {
                short idx = cfg.SmEndx[i];
                if (idx == InvalidSmendx)
                {
                    continue;
                }

                if (FreeSme(idx))
                {
                    WriteSme(idx);
                }

                cfg.SmEndx[i] = InvalidSmendx;
            }
        }
    }

    /// <summary>arm_smmu_free_sme(): drop a user; the last one resets the entry (true: rewrite it).</summary>
    private bool FreeSme(int idx)
    {
        if (--_s2crs[idx].Count != 0)
        {
            return false;
        }

        _s2crs[idx] = S2crInitVal;
        if (_smrs.Length > 0)
        {
            _smrs[idx].Valid = false;
        }

        return true;
    }

    /// <summary>arm_smmu_write_sme(): the S2CR first, then the SMR, so an entry never matches before its S2CR is right.</summary>
    private void WriteSme(int idx)
    {
        WriteS2cr(idx);
        if (_smrs.Length > 0)
        {
            WriteSmr(idx);
        }
    }

    private void WriteSmr(int idx)
    {
        ArmSmmuSmr smr = _smrs[idx];
        uint reg = smr.Id | ((uint)smr.Mask << SmrMaskShift);
        if ((Features & ArmSmmuFeatures.Exids) == 0 && smr.Valid)
        {
            reg |= SmrValid;
        }

        Gr0Write(Gr0Smr + (idx << 2), reg);
    }

    private void WriteS2cr(int idx)
    {
        ArmSmmuS2cr s2cr = _s2crs[idx];
        uint reg = (s2cr.Type << S2crTypeShift) | s2cr.Cbndx | (s2cr.Privcfg << S2crPrivcfgShift);
        if ((Features & ArmSmmuFeatures.Exids) != 0 && _smrs.Length > 0 && _smrs[idx].Valid)
        {
            reg |= S2crExidValid;
        }

        Gr0Write(Gr0S2cr + (idx << 2), reg);
    }
}
