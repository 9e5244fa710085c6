namespace IommuKit.Hardware.Smmu.V3;

/// <summary>
/// The SMMUv3 wired interrupt outputs (devicetree <c>interrupt-names</c> "eventq", "gerror",
/// "cmdq-sync"). They are edge-triggered: the model pulses them through
/// <see cref="SmmuV3.InterruptRaised"/>.
/// </summary>
public enum SmmuV3Irq
{
    /// <summary>A record was written to the Event queue (SMMU_IRQ_CTRL.EVENTQ_IRQEN).</summary>
    EventQueue = 0,

    /// <summary>A global error was activated in SMMU_GERROR (SMMU_IRQ_CTRL.GERROR_IRQEN).</summary>
    GlobalError = 1,

    /// <summary>A CMD_SYNC with CS = SIG_IRQ completed.</summary>
    CmdSync = 2,
}
