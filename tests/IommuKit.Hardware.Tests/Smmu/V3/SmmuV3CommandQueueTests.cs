using IommuKit.Hardware.Smmu.V3;
using static IommuKit.Hardware.Tests.Smmu.V3.SmmuV3Spec;

namespace IommuKit.Hardware.Tests.Smmu.V3;

public sealed class SmmuV3CommandQueueTests
{
    private static uint Cons(SmmuV3Rig rig) => rig.R32(CMDQ_CONS) & 0xFFFFF;

    private static uint Err(SmmuV3Rig rig) => (rig.R32(CMDQ_CONS) >> 24) & 0x7F;

    [Fact]
    public void IllegalOpcode_StopsOnItWithCerrorIllAndResumesAfterAck()
    {
        var rig = new SmmuV3Rig();
        uint start = Cons(rig);
        rig.SetSte(1, SteBypass());
        Assert.True(rig.Smmu.Translate(1, 0, default, false, out _));
        rig.SetSte(1, SteAbort());

        rig.Submit(Sync(), (0x09, 0), CfgiSte(1), Sync());

        Assert.Equal(start + 1, Cons(rig)); // CONS on the bad command
        Assert.Equal(1u, Err(rig)); // CERROR_ILL
        Assert.Equal(1u, rig.R32(GERROR) & 1);
        Assert.True(rig.Smmu.Translate(1, 0, default, false, out _)); // the CFGI after it did not run

        // The driver replaces the bad command with a CMD_SYNC and acknowledges: consumption restarts.
        ulong slot = rig.CmdqBase + ((start + 1) % 64 * 16);
        rig.WriteStruct(slot, [0x46, 0]);
        rig.W32(GERRORN, rig.R32(GERROR));

        Assert.Equal(start + 4, Cons(rig));
        Assert.False(rig.Smmu.Translate(1, 0, default, false, out _));
    }

    [Theory]
    [InlineData(0x12UL | (1UL << 10), 0UL)] // no SSec field in TLBI: ignored (reserved field)
    public void ReservedFieldsIgnored_CommandSucceeds(ulong w0, ulong w1)
    {
        var rig = new SmmuV3Rig();
        uint start = Cons(rig);
        rig.Submit((w0, w1));
        Assert.Equal(start + 1, Cons(rig));
        Assert.Equal(0u, rig.R32(GERROR) & 1);
    }

    public static TheoryData<ulong, ulong> IllegalCommands => new()
    {
        { 0x00, 0 }, // reserved opcode 0
        { 0x03 | (1UL << 10), 0 }, // CFGI_STE with SSec = 1 on the Non-secure queue
        { 0x46 | (3UL << 12), 0 }, // CMD_SYNC with reserved CS
        { 0x40, 0 }, // ATC_INV without ATS
        { 0x41, 0 }, // PRI_RESP without PRI
        { 0x44, 0 }, // RESUME without stalls
        { 0x18, 0 }, // TLBI_EL3_ALL on the Non-secure queue
        { 0x20, 0 }, // TLBI_EL2_ALL without Hyp
        { 0x12, 1UL << 10 }, // TLBI_NH_VA TG = 4K with NUM = SCALE = TTL = 0 (reserved)
        { 0x12 | (1UL << 12), (2UL << 10) | (1UL << 8) }, // TG = 16K with TTL = 1 (reserved without DS)
    };

    [Theory]
    [MemberData(nameof(IllegalCommands))]
    public void IllegalCommand_CerrorIll(ulong w0, ulong w1)
    {
        var rig = new SmmuV3Rig();
        uint start = Cons(rig);

        rig.Submit((w0, w1));

        Assert.Equal(start, Cons(rig));
        Assert.Equal(1u, Err(rig));
        Assert.Equal(1u, rig.R32(GERROR) & 1);
    }

    [Fact]
    public void Stage2Commands_IllegalOnStage1OnlySmmu_AndViceVersa()
    {
        var s1Only = new SmmuV3Rig(new SmmuV3Features { Stage2 = false });
        s1Only.Submit(TlbiS12Vmall(1));
        Assert.Equal(1u, Err(s1Only));

        var s2Only = new SmmuV3Rig(new SmmuV3Features { Stage1 = false });
        s2Only.Submit(TlbiNhAll(0));
        Assert.Equal(1u, Err(s2Only));
        var s2Only2 = new SmmuV3Rig(new SmmuV3Features { Stage1 = false });
        s2Only2.Submit(CfgiCd(0, 0));
        Assert.Equal(1u, Err(s2Only2));
    }

    [Fact]
    public void CommandFetchAbort_CerrorAbt()
    {
        var rig = new SmmuV3Rig(enable: false);
        rig.W64(CMDQ_BASE, 0x1_0000_0000 | 4); // no RAM there
        rig.W32(CR0, CR0_CMDQEN);
        rig.W32(CMDQ_PROD, 1);

        Assert.Equal(0u, Cons(rig));
        Assert.Equal(2u, Err(rig));
        Assert.Equal(1u, rig.R32(GERROR) & 1);
    }

    [Fact]
    public void Queue_WrapsAroundManyTimes_ConsTracksProdWithWrapBit()
    {
        var rig = new SmmuV3Rig(cmdqLog2: 2); // 4 entries
        for (int round = 0; round < 10; round++)
        {
            rig.Submit(Sync(), TlbiNsnhAll(), Sync());
        }

        // 2 reset commands + 30: index and wrap of 32 mod 8.
        Assert.Equal(33u % 8, Cons(rig));
        Assert.Equal(rig.R32(CMDQ_PROD), Cons(rig));
        Assert.Equal(0u, Err(rig));
    }

    [Fact]
    public void Queue_NotProcessedWhileDisabled_ProcessedOnEnable()
    {
        var rig = new SmmuV3Rig(enable: false);
        rig.Submit(Sync(), Sync());
        Assert.Equal(0u, Cons(rig));

        rig.W32(CR0, CR0_CMDQEN);

        Assert.Equal(2u, Cons(rig));
    }

    [Fact]
    public void CmdSync_SigIrq_RaisesCmdSyncInterrupt()
    {
        var rig = new SmmuV3Rig();
        rig.Irqs.Clear();
        rig.Submit(Sync(cs: 1));
        Assert.Equal([SmmuV3Irq.CmdSync], rig.Irqs);
    }

    [Fact]
    public void CmdqLog2SizeAboveCmdqs_CappedToTheMaximum()
    {
        var rig = new SmmuV3Rig(new SmmuV3Features { CommandQueueLog2Entries = 3 }, cmdqLog2: 3, enable: false);
        rig.W64(CMDQ_BASE, rig.CmdqBase | 10); // reads back as written, used as 3
        rig.W32(CR0, CR0_CMDQEN);
        rig.Submit(Sync(), Sync(), Sync());

        Assert.Equal(rig.CmdqBase | 10, (ulong)rig.R32(CMDQ_BASE) | ((ulong)rig.R32(CMDQ_BASE + 4) << 32));
        Assert.Equal(3u, Cons(rig));
    }
}
