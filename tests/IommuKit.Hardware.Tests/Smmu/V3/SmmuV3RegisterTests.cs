using IommuKit.Hardware.Memory;
using IommuKit.Hardware.Smmu.V3;
using static IommuKit.Hardware.Tests.Smmu.V3.SmmuV3Spec;

namespace IommuKit.Hardware.Tests.Smmu.V3;

public sealed class SmmuV3RegisterTests
{
    private static uint Field(uint reg, int lsb, int width) => (reg >> lsb) & ((1u << width) - 1);

    [Fact]
    public void Idr0_DefaultFeatures_AdvertisesEachField()
    {
        var rig = new SmmuV3Rig(enable: false);
        uint idr0 = rig.R32(IDR0);

        Assert.Equal(1u, Field(idr0, 0, 1)); // S2P
        Assert.Equal(1u, Field(idr0, 1, 1)); // S1P
        Assert.Equal(2u, Field(idr0, 2, 2)); // TTF AArch64
        Assert.Equal(1u, Field(idr0, 4, 1)); // COHACC
        Assert.Equal(2u, Field(idr0, 6, 2)); // HTTU access + dirty
        Assert.Equal(0u, Field(idr0, 9, 1)); // Hyp
        Assert.Equal(0u, Field(idr0, 10, 1)); // ATS
        Assert.Equal(1u, Field(idr0, 12, 1)); // ASID16
        Assert.Equal(0u, Field(idr0, 13, 1)); // MSI
        Assert.Equal(0u, Field(idr0, 16, 1)); // PRI
        Assert.Equal(1u, Field(idr0, 18, 1)); // VMID16
        Assert.Equal(1u, Field(idr0, 19, 1)); // CD2L
        Assert.Equal(2u, Field(idr0, 21, 2)); // TTENDIAN LE
        Assert.Equal(1u, Field(idr0, 24, 2)); // STALL_MODEL: no stall
        Assert.Equal(0u, Field(idr0, 26, 1)); // TERM_MODEL
        Assert.Equal(1u, Field(idr0, 27, 2)); // ST_LEVEL 2-level
    }

    [Fact]
    public void IdRegisters_FollowTheFeatureRecord()
    {
        var features = new SmmuV3Features
        {
            Stage2 = false,
            CoherentAccess = false,
            Asid16 = false,
            Vmid16 = false,
            Httu = SmmuV3Httu.AccessFlag,
            Hyp = true,
            TwoLevelStreamTable = false,
            TwoLevelCdTable = false,
            TerminateAbortOnly = true,
            StreamIdBits = 12,
            SubstreamIdBits = 0,
            CommandQueueLog2Entries = 8,
            EventQueueLog2Entries = 7,
            RangeInvalidation = false,
            OutputAddressBits = 44,
            Granule16K = false,
            Iidr = 0x0123_443B,
        };
        var rig = new SmmuV3Rig(features, enable: false);

        uint idr0 = rig.R32(IDR0);
        Assert.Equal(0u, Field(idr0, 0, 1));
        Assert.Equal(1u, Field(idr0, 1, 1));
        Assert.Equal(0u, Field(idr0, 4, 1));
        Assert.Equal(1u, Field(idr0, 6, 2));
        Assert.Equal(1u, Field(idr0, 9, 1));
        Assert.Equal(0u, Field(idr0, 12, 1));
        Assert.Equal(0u, Field(idr0, 18, 1));
        Assert.Equal(0u, Field(idr0, 19, 1));
        Assert.Equal(1u, Field(idr0, 26, 1));
        Assert.Equal(0u, Field(idr0, 27, 2));

        uint idr1 = rig.R32(IDR1);
        Assert.Equal(12u, Field(idr1, 0, 6)); // SIDSIZE
        Assert.Equal(0u, Field(idr1, 6, 5)); // SSIDSIZE
        Assert.Equal(7u, Field(idr1, 16, 5)); // EVENTQS
        Assert.Equal(8u, Field(idr1, 21, 5)); // CMDQS

        Assert.Equal(0u, Field(rig.R32(IDR3), 10, 1)); // RIL
        uint idr5 = rig.R32(IDR5);
        Assert.Equal(4u, Field(idr5, 0, 3)); // OAS 44 bits
        Assert.Equal(1u, Field(idr5, 4, 1));
        Assert.Equal(0u, Field(idr5, 5, 1));
        Assert.Equal(1u, Field(idr5, 6, 1));
        Assert.Equal(0x0123_443Bu, rig.R32(IIDR));
        Assert.Equal(0x02u, rig.R32(AIDR)); // SMMUv3.2
    }

    [Fact]
    public void Features_Impossible_ThrowArgumentException()
    {
        var memory = new PhysicalMemory();
        Assert.Throws<ArgumentException>(() => new SmmuV3(memory, new SmmuV3Features { Stage1 = false, Stage2 = false }, true));
        Assert.Throws<ArgumentException>(() => new SmmuV3(memory, new SmmuV3Features { OutputAddressBits = 47 }, true));
        Assert.Throws<ArgumentException>(() => new SmmuV3(memory, new SmmuV3Features { CommandQueueLog2Entries = 20 }, true));
        Assert.Throws<ArgumentException>(() => new SmmuV3(memory, new SmmuV3Features { TlbEntries = 100 }, true));
    }

    [Fact]
    public void Cr0_Write_AcknowledgedInCr0AckAndMasked()
    {
        var rig = new SmmuV3Rig(enable: false);
        rig.W32(CR0, 0xFFFF_FFFF);

        Assert.Equal(CR0_SMMUEN | CR0_EVTQEN | CR0_CMDQEN, rig.R32(CR0));
        Assert.Equal(CR0_SMMUEN | CR0_EVTQEN | CR0_CMDQEN, rig.R32(CR0ACK));
        rig.W32(IRQ_CTRL, 0xFF);
        Assert.Equal(5u, rig.R32(IRQ_CTRLACK)); // GERROR_IRQEN and EVENTQ_IRQEN (no PRI)
    }

    [Fact]
    public void GuardedRegisters_WritesWhileEnabledAreIgnored()
    {
        var rig = new SmmuV3Rig();
        ulong strtab = rig.StrtabBase;
        rig.W64(STRTAB_BASE, 0x5000_0000);
        rig.W32(STRTAB_BASE_CFG, 3);
        rig.W64(CMDQ_BASE, 0x5000_0000);
        rig.W32(CR1, 0);

        Assert.Equal(BusStatus.Ok, rig.Smmu.MmioRead(STRTAB_BASE, 8, out ulong v));
        Assert.Equal(strtab, v);
        Assert.Equal(8u, rig.R32(STRTAB_BASE_CFG));
        Assert.Equal((uint)rig.CmdqBase | 6u, rig.R32(CMDQ_BASE));
        Assert.Equal(CR1_WB_ISH, rig.R32(CR1));
    }

    [Fact]
    public void Register64_AccessibleAsTwo32BitHalves()
    {
        var rig = new SmmuV3Rig(enable: false);
        rig.W32(STRTAB_BASE, 0x8765_4000);
        rig.W32(STRTAB_BASE + 4, 0x4000_0012); // RA and ADDR[47:32]

        Assert.Equal(BusStatus.Ok, rig.Smmu.MmioRead(STRTAB_BASE, 8, out ulong v));
        Assert.Equal(0x4000_0012_8765_4000UL, v);
        Assert.Equal(0x4000_0012u, rig.R32(STRTAB_BASE + 4));
    }

    [Theory]
    [InlineData(0x20UL, 1)]
    [InlineData(0x20UL, 2)]
    [InlineData(0x22UL, 4)]
    [InlineData(0x98UL, 8)] // 64-bit access to a 32-bit register pair
    [InlineData(0x20000UL, 4)] // beyond page 1
    public void Mmio_BadSizeOrAlignment_SlaveError(ulong offset, int size)
    {
        var rig = new SmmuV3Rig(enable: false);
        Assert.Equal(BusStatus.SlaveError, rig.Smmu.MmioRead(offset, size, out _));
        Assert.Equal(BusStatus.SlaveError, rig.Smmu.MmioWrite(offset, size, 0));
    }

    [Fact]
    public void Mmio_UnimplementedOffsets_RazWi()
    {
        var rig = new SmmuV3Rig(enable: false);
        rig.W32(0x1000, 0xFFFF_FFFF);
        rig.W32(0xA8, 5); // page-0 alias of EVENTQ_PROD does not exist
        Assert.Equal(0u, rig.R32(0x1000));
        Assert.Equal(0u, rig.R32(0xA8));
        Assert.Equal(0u, rig.R32(0x68)); // GERROR_IRQ_CFG0: RES0 without MSI
    }

    [Fact]
    public void Gerror_ToggleSemantics_ActiveUntilGerrornMatches()
    {
        var rig = new SmmuV3Rig();
        rig.Submit((0xFF, 0)); // reserved opcode
        Assert.Equal(1u, rig.R32(GERROR) & 1);
        Assert.Equal(0u, rig.R32(GERRORN) & 1);

        rig.Submit((0xFE, 0)); // still active: not toggled again
        Assert.Equal(1u, rig.R32(GERROR) & 1);
        Assert.Equal([SmmuV3Irq.GlobalError], rig.Irqs);

        // Acknowledging without fixing the command restarts consumption at it: the error recurs.
        rig.W32(GERRORN, 1);
        Assert.NotEqual(rig.R32(GERROR) & 1, rig.R32(GERRORN) & 1);

        uint cons = rig.R32(CMDQ_CONS) & 0xFFFFF;
        rig.WriteStruct(rig.CmdqBase + (cons % 64 * 16), [0x46, 0, 0x46, 0]);
        rig.W32(GERRORN, rig.R32(GERROR));
        Assert.Equal(rig.R32(GERROR) & 1, rig.R32(GERRORN) & 1);
        Assert.Equal(rig.R32(CMDQ_PROD), rig.R32(CMDQ_CONS) & 0xFFFFF);
    }
}
