namespace IommuKit.Kernel.Iommu;

/// <summary>
/// The IOMMU-related kernel command-line parameters: <c>iommu.passthrough=</c>, <c>iommu.strict=</c>,
/// <c>iommu.forcedac=</c> and x86's <c>iommu=pt</c> / <c>iommu=nopt</c>. Values follow kstrtobool
/// (1/y/Y/on, 0/n/N/off); later occurrences win, as early params apply in order.
/// </summary>
public sealed record KernelCommandLine
{
    public static KernelCommandLine Empty { get; } = new();

    /// <summary>iommu.passthrough (or iommu=pt/nopt): true identity, false translated, null not given.</summary>
    public bool? IommuPassthrough { get; init; }

    /// <summary>iommu.strict: true strict invalidation, false lazy (flush queue), null not given.</summary>
    public bool? IommuStrict { get; init; }

    /// <summary>iommu.forcedac: do not try 32-bit IOVAs first for PCI devices.</summary>
    public bool IommuForceDac { get; init; }

    /// <summary>Parameters given with a value kstrtobool rejects ("Malformed early option").</summary>
    public IReadOnlyList<string> Malformed { get; init; } = [];

    /// <summary>Parses the IOMMU parameters out of a full command line; other parameters are ignored.</summary>
    public static KernelCommandLine Parse(string commandLine)
    {
        ArgumentNullException.ThrowIfNull(commandLine);
        var result = new KernelCommandLine();
        var malformed = new List<string>();
        foreach (string token in commandLine.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = token.IndexOf('=', StringComparison.Ordinal);
            string name = eq < 0 ? token : token[..eq];
            string? value = eq < 0 ? null : token[(eq + 1)..];
            switch (name)
            {
                case "iommu.passthrough":
                    result = StrToBool(value) is bool pt ? result with { IommuPassthrough = pt } : Bad(result, malformed, name);
                    break;
                case "iommu.strict":
                    result = StrToBool(value) is bool strict ? result with { IommuStrict = strict } : Bad(result, malformed, name);
                    break;
                case "iommu.forcedac":
                    result = StrToBool(value) is bool dac ? result with { IommuForceDac = dac } : Bad(result, malformed, name);
                    break;
                case "iommu":
                    foreach (string opt in (value ?? string.Empty).Split(','))
                    {
                        if (opt == "pt")
                        {
                            result = result with { IommuPassthrough = true };
                        }
                        else if (opt == "nopt")
                        {
                            result = result with { IommuPassthrough = false };
                        }
                    }

                    break;
            }
        }

        return result with { Malformed = malformed };
    }

    /// <summary>kstrtobool(): first character y/Y/1 or n/N/0, or "on"/"off".</summary>
    public static bool? StrToBool(string? s)
    {
        if (string.IsNullOrEmpty(s))
        {
            return null;
        }

        switch (s[0])
        {
            case 'y':
            case 'Y':
            case '1':
                return true;
            case 'n':
            case 'N':
            case '0':
                return false;
            case 'o':
            case 'O':
                if (s.Length > 1)
                {
                    switch (s[1])
                    {
                        case 'n':
                        case 'N':
                            return true;
                        case 'f':
                        case 'F':
                            return false;
                    }
                }

                break;
        }

        return null;
    }

    private static KernelCommandLine Bad(KernelCommandLine current, List<string> malformed, string name)
    {
        malformed.Add(name);
        return current;
    }
}
