using IommuKit.Firmware.DeviceTree;
using IommuKit.Firmware.DeviceTree.Dts;
using IommuKit.Firmware.Tests.Dtb;

namespace IommuKit.Firmware.Tests.Dts;

using DeviceTree = IommuKit.Firmware.DeviceTree.DeviceTree;

/// <summary>
/// dtc is the reference: for every fixture source and every hand-written feature source, our blob
/// (DTS reader, then <see cref="DtbWriter"/>) equals dtc's, first structurally (same nodes,
/// properties, value bytes, reservations, boot CPU; the first difference is named) and then byte
/// for byte. Phandles need no canonicalising: the reader numbers them exactly as dtc does.
/// </summary>
public sealed class DtsReaderDtcTests
{
    [Theory]
    [MemberData(nameof(DtsTestFiles.Compiling), MemberType = typeof(DtsTestFiles))]
    public void Parse_Source_EqualsCommittedDtcBlob(string name)
    {
        byte[] golden = DtsTestFiles.GoldenBlob(name);

        byte[] ours = Compile(name);

        TreeAssert.Equal(DtbReader.Read(golden), DtbReader.Read(ours));
        Assert.Equal(golden, ours);
    }

    /// <summary>Against dtc run now when it is installed; without dtc, against its committed output.</summary>
    [Theory]
    [MemberData(nameof(DtsTestFiles.Compiling), MemberType = typeof(DtsTestFiles))]
    public void Parse_Source_EqualsLiveDtcBlob(string name)
    {
        byte[] ours = Compile(name);
        string? dtc = Fixtures.FindDtc();
        byte[] reference;
        if (dtc is null)
        {
            reference = DtsTestFiles.GoldenBlob(name);
        }
        else
        {
            string path = DtsTestFiles.PathOf(name);
            (int exit, byte[] blob, string messages) = DtsTestFiles.RunDtcOnFile(dtc, Path.GetDirectoryName(path)!, Path.GetFileName(path));
            Assert.True(exit == 0, $"dtc failed on {name}: {messages}");
            reference = blob;
        }

        TreeAssert.Equal(DtbReader.Read(reference), DtbReader.Read(ours));
        Assert.Equal(reference, ours);
    }

    [Fact]
    public void Parse_EveryFixtureSource_IsCovered()
    {
        // The fixture sources named by the task: both preprocessed board files and QEMU's two.
        Assert.Contains("firmware/dts/fsl-ls1028a-rdb.pp.dts", DtsTestFiles.CompilingSources);
        Assert.Contains("firmware/dts/juno-r2.pp.dts", DtsTestFiles.CompilingSources);
        Assert.Contains("firmware/qemu/virt-smmuv3.dts", DtsTestFiles.CompilingSources);
        Assert.Contains("firmware/qemu/virt-viommu.dts", DtsTestFiles.CompilingSources);
        Assert.Equal(4 + Directory.GetFiles(DtsTestFiles.SourcesDir, "*.dts").Length, DtsTestFiles.CompilingSources.Count);
    }

    /// <summary>The kernel compiled the same preprocessed sources with dtc -b 0; Debian ships those blobs.</summary>
    [Theory]
    [InlineData("firmware/dts/fsl-ls1028a-rdb.pp.dts", "freescale/fsl-ls1028a-rdb.dtb")]
    [InlineData("firmware/dts/juno-r2.pp.dts", "arm/juno-r2.dtb")]
    public void Parse_BoardSource_GivesTheBlobDebianShips(string name, string blob)
    {
        byte[] shipped = File.ReadAllBytes(Path.Combine(Fixtures.FirmwareDir, "dtb", "linux-6.1", blob));

        DeviceTree tree = DtsReader.ParseFile(DtsTestFiles.PathOf(name));

        Assert.Equal(shipped, DtbWriter.Write(tree));
    }

    private static byte[] Compile(string name) => DtbWriter.Write(DtsReader.ParseFile(DtsTestFiles.PathOf(name)));
}
