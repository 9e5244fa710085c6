using IommuKit.Firmware.DeviceTree;

namespace IommuKit.Cli;

/// <summary>
/// The built-in default platform: NXP LS1028A-RDB with Debian's Linux 6.1 devicetree, embedded in
/// the CLI as a resource (a copy of tests/fixtures/firmware/dtb/linux-6.1/freescale/fsl-ls1028a-rdb.dtb).
/// </summary>
internal static class DefaultPlatform
{
    /// <summary>The embedded blob's file name.</summary>
    public const string BlobName = "fsl-ls1028a-rdb.dtb";

    /// <summary>What the blob is, for report headers.</summary>
    public const string Description = "built-in default platform: NXP LS1028A-RDB, Linux 6.1 devicetree (freescale/fsl-ls1028a-rdb.dtb from Debian linux-image-6.1.0-56-arm64 6.1.192-2)";

    private const string ResourceName = "IommuKit.Cli.DefaultPlatform." + BlobName;

    /// <summary>The embedded blob's bytes.</summary>
    public static byte[] ReadBlob()
    {
        using Stream stream = typeof(DefaultPlatform).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The CLI was built without its embedded resource {ResourceName}.");
        byte[] blob = new byte[stream.Length];
        stream.ReadExactly(blob);
        return blob;
    }

    /// <summary>Reads the embedded blob.</summary>
    public static DtInput Load()
    {
        byte[] blob = ReadBlob();
        return new DtInput(DtbReader.Read(blob), BlobName, "dtb", blob.Length, Description);
    }
}
