using static IommuKit.Kernel.Drivers.ArmSmmu.ArmSmmuRegs;

namespace IommuKit.Kernel.Drivers.ArmSmmu;

public sealed partial class ArmSmmuDriver
{
    /// <summary>
    /// The context interrupt line <paramref name="line"/> fired: run arm_smmu_context_fault() for
    /// every domain requested on it (one per bank on SMMUv2, shared on SMMUv1). Each reads FSR,
    /// FSYNR0, FAR and CBFRSYNRA, logs "Unhandled context fault: …" and clears FSR. True if any
    /// domain had a fault (IRQ_HANDLED).
    /// </summary>
    public bool HandleContextInterrupt(int line)
    {
        bool handled = false;
        for (int i = 0; i < NumContextBanks; i++)
        {
            ArmSmmuDomain? d = ContextBankDomain(i);
            if (d is not null && d.Irptndx == line && d.HandleContextFault())
            {
                Interlocked.Increment(ref _contextFaults);
                handled = true;
            }
        }

        return handled;
    }

    /// <summary>
    /// arm_smmu_global_fault(): read sGFSR and the syndromes, log (naming the blocked stream for an
    /// unidentified-stream fault, since bypass is disabled by default), clear sGFSR.
    /// </summary>
    public bool HandleGlobalInterrupt()
    {
        uint gfsr = Gr0Read(Gr0Sgfsr);
        uint gfsynr0 = Gr0Read(Gr0Sgfsynr0);
        uint gfsynr1 = Gr0Read(Gr0Sgfsynr1);
        uint gfsynr2 = Gr0Read(Gr0Sgfsynr2);
        if (gfsr == 0)
        {
            return false;
        }

        Interlocked.Increment(ref _globalFaults);
        const uint Usf = 1u << 1;
        if ((gfsr & Usf) != 0)
        {
            DevErr($"Blocked unknown Stream ID 0x{(ushort)gfsynr1:x}; boot with \"arm-smmu.disable_bypass=0\" to allow, but this may have security implications");
        }
        else
        {
            DevErr("Unexpected global fault, this could be serious");
        }

        DevErr($"\tGFSR 0x{gfsr:x8}, GFSYNR0 0x{gfsynr0:x8}, GFSYNR1 0x{gfsynr1:x8}, GFSYNR2 0x{gfsynr2:x8}");
        Gr0Write(Gr0Sgfsr, gfsr);
        return true;
    }
}
