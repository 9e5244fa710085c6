using System.CommandLine;
using IommuKit.Firmware.DeviceTree.Topology;

namespace IommuKit.Cli;

/// <summary>
/// <c>iommukit dt iommus FILE [--json]</c>: the IOMMU topology of a devicetree as Linux resolves it,
/// and the CLI's default action (<c>iommukit</c> with no arguments), which runs the same report on
/// the built-in default platform.
/// </summary>
public static class DtIommusCommand
{
    /// <summary>Creates the <c>iommus</c> subcommand of <c>dt</c>.</summary>
    public static Command Create()
    {
        var file = new Argument<string>("FILE") { Description = "A devicetree blob (.dtb); recognised by content." };
        var json = new Option<bool>("--json") { Description = "Write the report as JSON." };
        var iommus = new Command("iommus", "Show the IOMMU topology: IOMMUs, masters (iommus / iommu-map), PCI devices, problems.") { file, json };
        iommus.SetAction(parse =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            TextWriter error = parse.InvocationConfiguration.Error;
            if (!DtInput.TryLoad(parse.GetValue(file)!, error, "dt iommus", out DtInput? input))
            {
                return 1;
            }

            Write(input, parse.GetValue(json), output);
            return 0;
        });
        return iommus;
    }

    /// <summary>
    /// Adds <c>iommus</c> to the root's <c>dt</c> group (creating the group if it is not there) and
    /// makes the default-platform report the root's action.
    /// </summary>
    public static void Attach(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        Command? dt = root.Subcommands.FirstOrDefault(c => c.Name == "dt");
        if (dt is null)
        {
            dt = new Command("dt", "Devicetree tools.");
            root.Subcommands.Add(dt);
        }

        dt.Subcommands.Add(Create());
        root.SetAction(parse =>
        {
            Write(DefaultPlatform.Load(), json: false, parse.InvocationConfiguration.Output);
            return 0;
        });
    }

    private static void Write(DtInput input, bool json, TextWriter output)
    {
        IommuTopology topology = IommuTopology.Resolve(input.Tree);
        if (json)
        {
            IommuTopologyReport.WriteJson(input, topology, output);
        }
        else
        {
            IommuTopologyReport.WriteText(input, topology, output);
        }
    }
}
