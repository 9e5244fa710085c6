using IommuKit.Hardware.Dma;
using IommuKit.Hardware.Smmu.V3;
using static IommuKit.Hardware.Tests.Smmu.V3.SmmuV3Spec;

namespace IommuKit.Hardware.Tests.Smmu.V3;

public sealed class SmmuV3EventQueueTests
{
    [Fact]
    public void FullQueue_DiscardsAndTogglesOverflowOnce_AckClears()
    {
        var rig = new SmmuV3Rig(evtqLog2: 2); // 4 records
        rig.AddS1Stream(1, asid: 1);
        for (int i = 0; i < 6; i++)
        {
            Assert.False(rig.Smmu.Translate(1, (ulong)i << 12, DmaAttributes.Coherent, false, out SmmuV3Translation t));
            Assert.Equal(i < 4, t.Recorded);
        }

        uint prod = rig.R32(EVTQ_PROD);
        Assert.Equal(0x8000_0000u, prod & 0x8000_0000); // OVFLG toggled once
        Assert.Equal(4u, prod & 7); // wrap bit set, index 0

        List<SpecEvent> events = rig.Events(); // consumes and acknowledges (OVACKFLG = OVFLG)
        Assert.Equal([0UL, 0x1000, 0x2000, 0x3000], events.Select(e => e.InputAddr));
        Assert.False(rig.Smmu.Translate(1, 0x9000, default, false, out SmmuV3Translation after));
        Assert.True(after.Recorded);
        Assert.Equal(0x9000UL, Assert.Single(rig.Events()).InputAddr);
        Assert.Equal(0x8000_0000u, rig.R32(EVTQ_PROD) & 0x8000_0000); // no new overflow
    }

    [Fact]
    public void EventQueueDisabled_EventsDiscardedWithoutOverflow()
    {
        var rig = new SmmuV3Rig();
        rig.AddS1Stream(1, asid: 1);
        rig.W32(CR0, CR0_CMDQEN | CR0_SMMUEN);

        Assert.False(rig.Smmu.Translate(1, 0, default, false, out SmmuV3Translation t));

        Assert.False(t.Recorded);
        Assert.Equal(0u, rig.R32(EVTQ_PROD));
    }

    [Fact]
    public void EventQueueWriteAbort_EventqAbtErrAndNoProdMove()
    {
        var rig = new SmmuV3Rig(enable: false);
        rig.W64(EVTQ_BASE, 0x1_0000_0000 | 4);
        rig.W32(CR0, CR0_CMDQEN | CR0_EVTQEN | CR0_SMMUEN);

        Assert.False(rig.Smmu.Translate(5, 0, default, false, out SmmuV3Translation t));

        Assert.False(t.Recorded);
        Assert.Equal(0u, rig.R32(EVTQ_PROD));
        Assert.Equal(4u, rig.R32(GERROR) & 4); // EVENTQ_ABT_ERR
        Assert.Contains(SmmuV3Irq.GlobalError, rig.Irqs);
    }
}
