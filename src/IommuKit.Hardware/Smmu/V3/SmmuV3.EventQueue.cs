using IommuKit.Hardware.Memory;
using static IommuKit.Hardware.Smmu.V3.SmmuV3Registers;

namespace IommuKit.Hardware.Smmu.V3;

/// <summary>The Event queue (SMMUv3 §7.2, §7.4): the SMMU is the producer.</summary>
public sealed partial class SmmuV3
{
    /// <summary>
    /// Writes an event record if the queue is writable (enabled, not full, no unacknowledged
    /// EVENTQ_ABT_ERR). A full queue discards the record and enters the overflow condition. Caller
    /// holds the lock. Returns true if the record was written.
    /// </summary>
    private bool RecordEventLocked(in SmmuV3EventRecord record)
    {
        if ((_cr0 & CR0_EVENTQEN) == 0 || GlobalErrorActive(GERROR_EVENTQ_ABT_ERR))
        {
            return false; // discarded silently, no overflow
        }

        int log2 = EventQueueLog2();
        uint entries = 1u << log2;
        uint mask = QueueIndexMask(log2);
        uint prod = _eventqProd & mask;
        uint cons = _eventqCons & mask;
        if ((prod ^ cons) == entries)
        {
            // Full: the record is lost; toggle OVFLG unless an overflow is already unacknowledged.
            if (((_eventqProd ^ _eventqCons) & Q_OVFLG) == 0)
            {
                _eventqProd ^= Q_OVFLG;
            }

            return false;
        }

        ulong slot = QueueBase(_eventqBase, log2, 5, _oas) + ((ulong)(prod & (entries - 1)) * SmmuV3EventRecord.Size);
        Span<byte> bytes = stackalloc byte[SmmuV3EventRecord.Size];
        record.Write(bytes);
        if (_memory.Write(slot, bytes, QueueAccess()) != BusStatus.Ok)
        {
            // A synchronous abort: PROD does not move, the record is lost (§7.2.2).
            RaiseGlobalError(GERROR_EVENTQ_ABT_ERR);
            return false;
        }

        _eventqProd = (_eventqProd & Q_OVFLG) | ((prod + 1) & mask);
        if ((_irqCtrl & IRQ_CTRL_EVENTQ_IRQEN) != 0)
        {
            PendIrq(SmmuV3Irq.EventQueue);
        }

        return true;
    }
}
