using System.CommandLine;

namespace IommuKit.Cli;

public static class Program
{
    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Runs the CLI in-process with the given writers (used by tests).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        RootCommand root = BuildRoot();
        ParseResult parse = root.Parse(args);
        return parse.Invoke(new InvocationConfiguration { Output = output, Error = error });
    }

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("IommuKit: an executable model of the IOMMU / DMA-remapping stack.");
        root.Subcommands.Add(DtCommands.Create());
        DtIommusCommand.Attach(root);
        root.Subcommands.Add(PteCommands.Create());
        return root;
    }
}
