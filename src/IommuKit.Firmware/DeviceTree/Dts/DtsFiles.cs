namespace IommuKit.Firmware.DeviceTree.Dts;

/// <summary>
/// Opens the files <c>/include/</c> and <c>/incbin/</c> name, where dtc looks for them
/// (srcpos.c <c>fopen_any_on_path</c>): next to the file naming them, then in each include directory.
/// </summary>
internal static class DtsFiles
{
    /// <summary>Largest file read from the file system (a guard against devices such as /dev/zero).</summary>
    public const int MaxFileBytes = 256 << 20;

    public static (byte[] Data, string FullName) Open(
        string name, string? currentDirectory, DtsReaderOptions options, string what, in DtsSourcePosition position)
    {
        if (name.Length == 0)
        {
            DtsSyntaxException.Throw($"empty {what} file name", position);
        }

        Func<string, byte[]?> read = options.ReadFile ?? ReadFromFileSystem;
        string candidate = Join(currentDirectory, name);
        byte[]? data = TryRead(read, candidate, what, position);
        if (data is null)
        {
            foreach (string directory in options.IncludeDirectories)
            {
                candidate = Join(directory, name);
                data = TryRead(read, candidate, what, position);
                if (data is not null)
                {
                    break;
                }
            }
        }

        if (data is null)
        {
            DtsSyntaxException.Throw($"cannot open {what} file \"{name}\"", position);
        }

        return (data, candidate);
    }

    private static string Join(string? directory, string name) =>
        string.IsNullOrEmpty(directory) || Path.IsPathRooted(name) ? name : Path.Join(directory, name);

    private static byte[]? TryRead(Func<string, byte[]?> read, string path, string what, in DtsSourcePosition position)
    {
        try
        {
            return read(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            DtsSyntaxException.Throw($"cannot read {what} file \"{path}\": {e.Message}", position);
            return null;
        }
    }

    private static byte[]? ReadFromFileSystem(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > MaxFileBytes)
            {
                throw new IOException($"larger than {MaxFileBytes} bytes");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
