using IommuKit.Kernel.Printk;
using static IommuKit.Kernel.Drivers.ArmSmmuV3.ArmSmmuV3Regs;

namespace IommuKit.Kernel.Drivers.ArmSmmuV3;

public sealed partial class ArmSmmuV3Driver
{
    private static readonly string[] CmdqErrNames = ["No error", "Illegal command", "Abort on command fetch", "ATC invalidate timeout"];

    private readonly object _cmdqLock = new();
    private readonly object _evtqLock = new();
    private ulong _cmdqPa;
    private int _cmdqShift;
    private uint _cmdqProd;
    private uint _cmdqCons;
    private ulong _evtqPa;
    private int _evtqShift;
    private uint _evtqCons;
    private long _eventsReceived;
    private long _cmdqErrors;

    /// <summary>Event records read from the Event queue so far.</summary>
    public long EventsReceived => Interlocked.Read(ref _eventsReceived);

    /// <summary>Command-queue errors handled (CMDQ_ERR global errors).</summary>
    public long CommandErrors => Interlocked.Read(ref _cmdqErrors);

    /// <summary>log2 of the Command queue's entries.</summary>
    public int CommandQueueShift => _cmdqShift;

    /// <summary>log2 of the Event queue's entries.</summary>
    public int EventQueueShift => _evtqShift;

    /// <summary>
    /// arm_smmu_evtq_thread(): the Event-queue interrupt handler. Reads every record between CONS
    /// and PROD, logs "event 0xNN received:" and the four dwords (no fault handler consumes them:
    /// stall and I/O page faults are not modelled), reports an overflow, and publishes CONS.
    /// Returns the number of records read.
    /// </summary>
    public int DrainEventQueue()
    {
        lock (_evtqLock)
        {
            uint entries = 1u << _evtqShift;
            uint idxWrap = (entries << 1) - 1;
            int count = 0;
            while (true)
            {
                ReadReg(EVTQ_PROD, out uint prod);
                if ((prod & Q_OVERFLOW_FLAG) != (_evtqCons & Q_OVERFLOW_FLAG))
                {
                    DevPrint(KernelLogLevel.Err, "EVTQ overflow detected -- events lost");
                }

                uint cons = _evtqCons & idxWrap;
                if ((prod & idxWrap) == cons)
                {
                    // Publish CONS, acknowledging the overflow flag.
                    _evtqCons = (prod & Q_OVERFLOW_FLAG) | cons;
                    WriteReg(EVTQ_CONS, _evtqCons);
                    return count;
                }

                while ((prod & idxWrap) != cons)
                {
                    ulong slot = _evtqPa + ((ulong)(cons & (entries - 1)) * (EVTQ_ENT_DWORDS * 8));
                    ulong e0 = ReadStruct64(slot);
                    ulong e1 = ReadStruct64(slot + 8);
                    ulong e2 = ReadStruct64(slot + 16);
                    ulong e3 = ReadStruct64(slot + 24);
                    LogEvent(e0, e1, e2, e3);
                    cons = (cons + 1) & idxWrap;
                    count++;
                    Interlocked.Increment(ref _eventsReceived);
                }

                _evtqCons = (prod & Q_OVERFLOW_FLAG) | cons;
                WriteReg(EVTQ_CONS, _evtqCons);
            }
        }
    }

    /// <summary>
    /// arm_smmu_gerror_handler(): the global-error interrupt handler. Reports each active error,
    /// skips a failed command (CMDQ_ERR) and acknowledges by writing GERRORN = GERROR.
    /// </summary>
    public void HandleGlobalError()
    {
        lock (_cmdqLock)
        {
            ReadReg(GERROR, out uint gerror);
            ReadReg(GERRORN, out uint gerrorn);
            uint active = (gerror ^ gerrorn) & GERROR_ERR_MASK;
            if (active == 0)
            {
                return;
            }

            DevPrint(KernelLogLevel.Warning, $"unexpected global error reported (0x{active:x8}), this could be serious");
            if ((active & GERROR_SFM_ERR) != 0)
            {
                DevPrint(KernelLogLevel.Err, "device has entered Service Failure Mode!");
                WriteReg(CR0, 0);
            }

            if ((active & GERROR_MSI_GERROR_ABT_ERR) != 0)
            {
                DevPrint(KernelLogLevel.Warning, "GERROR MSI write aborted");
            }

            if ((active & GERROR_MSI_PRIQ_ABT_ERR) != 0)
            {
                DevPrint(KernelLogLevel.Warning, "PRIQ MSI write aborted");
            }

            if ((active & GERROR_MSI_EVTQ_ABT_ERR) != 0)
            {
                DevPrint(KernelLogLevel.Warning, "EVTQ MSI write aborted");
            }

            if ((active & GERROR_MSI_CMDQ_ABT_ERR) != 0)
            {
                DevPrint(KernelLogLevel.Warning, "CMDQ MSI write aborted");
            }

            if ((active & GERROR_PRIQ_ABT_ERR) != 0)
            {
                DevPrint(KernelLogLevel.Err, "PRIQ write aborted -- events may have been lost");
            }

            if ((active & GERROR_EVTQ_ABT_ERR) != 0)
            {
                DevPrint(KernelLogLevel.Err, "EVTQ write aborted -- events may have been lost");
            }

            if ((active & GERROR_CMDQ_ERR) != 0)
            {
                Interlocked.Increment(ref _cmdqErrors);
                CmdqSkipErr();
            }

            WriteReg(GERRORN, gerror);
        }
    }

    /// <summary>
    /// Submits commands (pairs of dwords) and, if <paramref name="sync"/>, a CMD_SYNC, then waits
    /// for the SMMU to consume it (arm_smmu_cmdq_issue_cmdlist). ETIMEDOUT if the queue never
    /// drains. Allocation-free.
    /// </summary>
    internal Errno IssueCmds(ReadOnlySpan<ulong> cmds, bool sync)
    {
        lock (_cmdqLock)
        {
            for (int i = 0; i + 1 < cmds.Length; i += 2)
            {
                if (!CmdqWaitForSpace())
                {
                    return Errno.ETIMEDOUT;
                }

                CmdqWrite(cmds[i], cmds[i + 1]);
            }

            if (!sync)
            {
                WriteReg(CMDQ_PROD, _cmdqProd);
                return Errno.Ok;
            }

            if (!CmdqWaitForSpace())
            {
                return Errno.ETIMEDOUT;
            }

            uint syncIdx = _cmdqProd;
            CmdqWrite(CMDQ_OP_CMD_SYNC | (CMDQ_SYNC_0_CS_SEV << CMDQ_SYNC_0_CS_SHIFT), 0);
            WriteReg(CMDQ_PROD, _cmdqProd);
            return CmdqPollConsumed(syncIdx);
        }
    }

    private void CmdqWrite(ulong w0, ulong w1)
    {
        uint entries = 1u << _cmdqShift;
        ulong slot = _cmdqPa + ((ulong)(_cmdqProd & (entries - 1)) * 16);
        WriteStruct64(slot, w0);
        WriteStruct64(slot + 8, w1);
        _cmdqProd = (_cmdqProd + 1) & ((entries << 1) - 1);
    }

    /// <summary>queue_has_space() with a refresh of CONS (publishing PROD first so the SMMU can make progress).</summary>
    private bool CmdqWaitForSpace()
    {
        uint entries = 1u << _cmdqShift;
        for (int i = 0; i < Options.PollLimit; i++)
        {
            if ((_cmdqProd ^ _cmdqCons) != entries)
            {
                return true;
            }

            WriteReg(CMDQ_PROD, _cmdqProd);
            ReadCons();
            CheckGerror();
        }

        if ((_cmdqProd ^ _cmdqCons) != entries)
        {
            return true;
        }

        DevPrint(KernelLogLevel.Err, "CMDQ timeout");
        return false;
    }

    /// <summary>__arm_smmu_cmdq_poll_until_consumed(): wait until CONS has moved past the CMD_SYNC.</summary>
    private Errno CmdqPollConsumed(uint syncIdx)
    {
        for (int i = 0; i < Options.PollLimit; i++)
        {
            ReadCons();
            if (_cmdqCons == _cmdqProd)
            {
                return Errno.Ok;
            }

            CheckGerror();
        }

        ReadReg(CMDQ_CONS, out uint hwcons);
        DevPrint(KernelLogLevel.Err, $"CMD_SYNC timeout at 0x{syncIdx:x8} [hwprod 0x{_cmdqProd:x8}, hwcons 0x{hwcons:x8}]");
        return Errno.ETIMEDOUT;
    }

    private void ReadCons()
    {
        ReadReg(CMDQ_CONS, out uint cons);
        _cmdqCons = cons & (((1u << _cmdqShift) << 1) - 1);
    }

    /// <summary>The global-error interrupt would fire here; with no interrupt wired, polling finds it.</summary>
    private void CheckGerror()
    {
        ReadReg(GERROR, out uint gerror);
        ReadReg(GERRORN, out uint gerrorn);
        if (((gerror ^ gerrorn) & GERROR_ERR_MASK) != 0)
        {
            HandleGlobalError();
        }
    }

    /// <summary>
    /// arm_smmu_cmdq_skip_err(): report CONS.ERR; for an illegal command, dump it and overwrite it
    /// with a CMD_SYNC so the queue can continue (an abort is retried, an ATC timeout repeats the
    /// CMD_SYNC).
    /// </summary>
    private void CmdqSkipErr()
    {
        ReadReg(CMDQ_CONS, out uint cons);
        uint idx = (cons >> CMDQ_CONS_ERR_SHIFT) & CMDQ_CONS_ERR_MASK;
        string name = idx < CmdqErrNames.Length ? CmdqErrNames[idx] : "Unknown";
        DevPrint(KernelLogLevel.Err, $"CMDQ error (cons 0x{cons:x8}): {name}");
        if (idx == CMDQ_ERR_CERROR_ABT_IDX || idx == CMDQ_ERR_CERROR_ATC_INV_IDX)
        {
            return;
        }

        uint entries = 1u << _cmdqShift;
        ulong slot = _cmdqPa + ((ulong)(cons & (entries - 1)) * 16);
        DevPrint(KernelLogLevel.Err, "skipping command in error state:");
        DevPrint(KernelLogLevel.Err, $"\t0x{ReadStruct64(slot):x16}");
        DevPrint(KernelLogLevel.Err, $"\t0x{ReadStruct64(slot + 8):x16}");
        WriteStruct64(slot, CMDQ_OP_CMD_SYNC);
        WriteStruct64(slot + 8, 0);
    }

    private void LogEvent(ulong e0, ulong e1, ulong e2, ulong e3)
    {
        DevPrint(KernelLogLevel.Info, $"event 0x{(byte)e0:x2} received:");
        DevPrint(KernelLogLevel.Info, $"\t0x{e0:x16}");
        DevPrint(KernelLogLevel.Info, $"\t0x{e1:x16}");
        DevPrint(KernelLogLevel.Info, $"\t0x{e2:x16}");
        DevPrint(KernelLogLevel.Info, $"\t0x{e3:x16}");
    }
}
