using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using IommuKit.Hardware.PageTables;
using IommuKit.Hardware.PageTables.ArmLpae;

namespace IommuKit.Cli;

/// <summary>
/// <c>iommukit pte decode|encode</c>: Arm LPAE (VMSAv8-64 long) descriptors, field by field, and
/// the leaf descriptor Linux's io-pgtable-arm writes for a PA and IOMMU prot flags.
/// </summary>
/// <remarks>Exit codes: 0 success, 1 command-line syntax error, 2 a value that does not make sense.</remarks>
public static class PteCommands
{
    private const int BadValue = 2;

    /// <summary>Creates the <c>pte</c> command group.</summary>
    public static Command Create()
    {
        var pte = new Command("pte", "Decode or encode Arm LPAE page-table descriptors.");
        pte.Subcommands.Add(CreateDecode());
        pte.Subcommands.Add(CreateEncode());
        return pte;
    }

    private static Option<string> FormatOption() => new Option<string>("--format")
    {
        Description = "Descriptor format: arm-lpae-s1 (stage 1) or arm-lpae-s2 (stage 2).",
        Required = true,
    }.AcceptOnlyFromAmong("arm-lpae-s1", "arm-lpae-s2");

    private static Option<string> GranuleOption() => new Option<string>("--granule")
    {
        Description = "Translation granule: 4k, 16k or 64k (64k packs PA[51:48] into bits 15:12).",
        DefaultValueFactory = _ => "4k",
    }.AcceptOnlyFromAmong("4k", "16k", "64k");

    private static Option<int> LevelOption() => new("--level")
    {
        Description = "Lookup level 0-3 the descriptor sits at (3 = page level).",
        DefaultValueFactory = _ => 3,
    };

    private static Option<bool> JsonOption() => new("--json") { Description = "Print JSON instead of text." };

    private static Command CreateDecode()
    {
        var value = new Argument<string>("descriptor") { Description = "The 64-bit descriptor, in hex (0x prefix optional)." };
        Option<string> format = FormatOption();
        Option<string> granule = GranuleOption();
        Option<int> level = LevelOption();
        Option<bool> json = JsonOption();
        var cmd = new Command("decode", "Print every field of an Arm LPAE descriptor.") { value, format, granule, level, json };
        cmd.SetAction(parse =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            TextWriter error = parse.InvocationConfiguration.Error;
            if (!TryParseHex(parse.GetValue(value), out ulong desc))
            {
                error.WriteLine($"pte decode: '{parse.GetValue(value)}' is not a 64-bit hex value.");
                return BadValue;
            }

            int lvl = parse.GetValue(level);
            if (lvl is < 0 or > 3)
            {
                error.WriteLine($"pte decode: level {lvl} is not 0-3.");
                return BadValue;
            }

            Fields f = Decode(desc, parse.GetValue(format) == "arm-lpae-s1" ? 1 : 2, GranuleShift(parse.GetValue(granule)), lvl);
            Print(output, f, parse.GetValue(json));
            return 0;
        });
        return cmd;
    }

    private static Command CreateEncode()
    {
        Option<string> format = FormatOption();
        var pa = new Option<string>("--pa") { Description = "Output address (hex with 0x, or decimal).", Required = true };
        var prot = new Option<string>("--prot")
        {
            Description = "Comma-separated IOMMU prot flags: r, w, cache, noexec, mmio, priv.",
            Required = true,
        };
        var quirks = new Option<string>("--quirks")
        {
            Description = "Comma-separated io-pgtable quirks that change the encoding: ns, hd (stage 1), s2fwb (stage 2).",
            DefaultValueFactory = _ => string.Empty,
        };
        Option<string> granule = GranuleOption();
        Option<int> level = LevelOption();
        Option<bool> json = JsonOption();
        var cmd = new Command("encode", "Print the leaf descriptor Linux's io-pgtable-arm writes for a PA and prot.")
        {
            format, pa, prot, quirks, granule, level, json,
        };
        cmd.SetAction(parse =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            TextWriter error = parse.InvocationConfiguration.Error;
            bool stage1 = parse.GetValue(format) == "arm-lpae-s1";
            int g = GranuleShift(parse.GetValue(granule));
            int lvl = parse.GetValue(level);
            string? problem = null;
            if (!TryParseAddress(parse.GetValue(pa), out ulong address))
            {
                problem = $"'{parse.GetValue(pa)}' is not an address";
            }
            else if (!TryParseProt(parse.GetValue(prot), out IommuProt p, out string? badFlag))
            {
                problem = $"unknown prot flag '{badFlag}' (use r, w, cache, noexec, mmio, priv)";
            }
            else if ((p & (IommuProt.Read | IommuProt.Write)) == 0)
            {
                problem = "prot needs r or w: Linux refuses such a mapping (EINVAL)";
            }
            else if (!TryParseQuirks(parse.GetValue(quirks), stage1, out ArmLpaeQuirks q, out string? badQuirk))
            {
                problem = $"quirk '{badQuirk}' is unknown or not allowed for this stage";
            }
            else if (!LeafAllowed(lvl, g))
            {
                problem = $"no leaf at level {lvl} with the {GranuleName(g)} granule";
            }
            else if ((address & ((1UL << LevelShift(lvl, g)) - 1)) != 0)
            {
                problem = $"0x{address:x} is not aligned to the {SizeName(1UL << LevelShift(lvl, g))} leaf size";
            }
            else if ((address >> (g == 16 ? 52 : 48)) != 0)
            {
                problem = $"0x{address:x} does not fit the {(g == 16 ? 52 : 48)}-bit output address";
            }
            else
            {
                ArmLpaeFormat fmt = stage1 ? ArmLpaeFormat.Arm64LpaeS1 : ArmLpaeFormat.Arm64LpaeS2;
                ulong desc = ArmLpaePte.LeafDescriptor(fmt, q, p, address, lvl);
                Print(output, Decode(desc, stage1 ? 1 : 2, g, lvl), parse.GetValue(json));
                return 0;
            }

            error.WriteLine($"pte encode: {problem}.");
            return BadValue;
        });
        return cmd;
    }

    private static int GranuleShift(string? granule) => granule switch
    {
        "16k" => 14,
        "64k" => 16,
        _ => 12,
    };

    private static string GranuleName(int g) => g switch
    {
        14 => "16K",
        16 => "64K",
        _ => "4K",
    };

    private static int LevelShift(int level, int g) => ArmLpaeWalkConfig.LevelShift(level, g);

    private static bool LeafAllowed(int level, int g) => level == 3 || ArmLpaeWalker.BlockAllowed(level, g, 52);

    private static string SizeName(ulong size) => size switch
    {
        >= 1UL << 40 => $"{size >> 40}T",
        >= 1UL << 30 => $"{size >> 30}G",
        >= 1UL << 20 => $"{size >> 20}M",
        _ => $"{size >> 10}K",
    };

    private static bool TryParseHex(string? text, out ulong value)
    {
        value = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        string s = text.Trim().Replace("_", string.Empty, StringComparison.Ordinal);
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            s = s[2..];
        }

        return s.Length is > 0 and <= 16 && ulong.TryParse(s, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    private static bool TryParseAddress(string? text, out ulong value)
    {
        value = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        string s = text.Trim();
        return s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? TryParseHex(s, out value)
            : ulong.TryParse(s.Replace("_", string.Empty, StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static bool TryParseProt(string? text, out IommuProt prot, out string? bad)
    {
        prot = IommuProt.None;
        bad = null;
        foreach (string raw in (text ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            IommuProt? flag = raw.ToUpperInvariant() switch
            {
                "R" or "READ" => IommuProt.Read,
                "W" or "WRITE" => IommuProt.Write,
                "RW" => IommuProt.Read | IommuProt.Write,
                "CACHE" => IommuProt.Cache,
                "NOEXEC" => IommuProt.NoExec,
                "MMIO" => IommuProt.Mmio,
                "PRIV" => IommuProt.Priv,
                _ => null,
            };
            if (flag is null)
            {
                bad = raw;
                return false;
            }

            prot |= flag.Value;
        }

        return true;
    }

    private static bool TryParseQuirks(string? text, bool stage1, out ArmLpaeQuirks quirks, out string? bad)
    {
        quirks = ArmLpaeQuirks.None;
        bad = null;
        foreach (string raw in (text ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            ArmLpaeQuirks? q = (raw.ToUpperInvariant(), stage1) switch
            {
                ("NS", true) => ArmLpaeQuirks.ArmNs,
                ("HD", true) => ArmLpaeQuirks.ArmHd,
                ("S2FWB", false) => ArmLpaeQuirks.ArmS2Fwb,
                _ => null,
            };
            if (q is null)
            {
                bad = raw;
                return false;
            }

            quirks |= q.Value;
        }

        return true;
    }

    private static Fields Decode(ulong desc, int stage, int g, int level)
    {
        var f = new Fields { Descriptor = desc, Stage = stage, GranuleShift = g, Level = level };
        ulong type = desc & 3;
        f.Type = (type, level) switch
        {
            (0 or 2, _) => "invalid",
            (3, 3) => "page",
            (3, _) => "table",
            (1, 3) => "reserved (0b01 at level 3: invalid)",
            _ => ArmLpaeWalker.BlockAllowed(level, g, 52) ? "block" : $"block (not allowed at level {level} with the {GranuleName(g)} granule)",
        };
        f.Valid = (desc & 1) != 0 && !(type == 1 && level == 3);
        if (f.Type == "table")
        {
            f.Address = ArmLpaeWalker.DescriptorAddress(desc, g);
        }
        else if (f.Type is "page" || f.Type.StartsWith("block", StringComparison.Ordinal))
        {
            f.LeafSize = 1UL << LevelShift(level, g);
            f.Address = ArmLpaeWalker.DescriptorAddress(desc, g) & ~(f.LeafSize - 1);
        }

        return f;
    }

    private static void Print(TextWriter output, Fields f, bool json)
    {
        List<(string Key, string Name, object Value, string? Meaning)> rows = Rows(f);
        if (json)
        {
            using var stream = new MemoryStream();
            using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                foreach ((string key, _, object value, string? meaning) in rows)
                {
                    switch (value)
                    {
                        case bool b:
                            w.WriteBoolean(key, b);
                            break;
                        case int i:
                            w.WriteNumber(key, i);
                            break;
                        default:
                            w.WriteString(key, value.ToString());
                            break;
                    }

                    if (meaning is not null)
                    {
                        w.WriteString(key + "Meaning", meaning);
                    }
                }

                w.WriteEndObject();
            }

            output.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
            return;
        }

        foreach ((_, string name, object value, string? meaning) in rows)
        {
            string v = value is bool b ? (b ? "1" : "0") : value.ToString() ?? string.Empty;
            output.WriteLine(meaning is null ? $"{name,-14}{v}" : $"{name,-14}{v}  ({meaning})");
        }
    }

    private static List<(string Key, string Name, object Value, string? Meaning)> Rows(Fields f)
    {
        ulong d = f.Descriptor;
        var rows = new List<(string, string, object, string?)>
        {
            ("descriptor", "descriptor", $"0x{d:x16}", null),
            ("format", "format", f.Stage == 1 ? "arm-lpae-s1" : "arm-lpae-s2", null),
            ("granule", "granule", GranuleName(f.GranuleShift), null),
            ("level", "level", f.Level, null),
            ("type", "type", f.Type, $"bits[1:0] = 0b{Convert.ToString((int)(d & 3), 2).PadLeft(2, '0')}"),
            ("valid", "valid", f.Valid, null),
        };
        if (f.Type == "invalid")
        {
            rows.Add(("ignoredBits", "ignored bits", $"0x{d & ~1UL:x}", "hardware ignores an invalid descriptor's other bits"));
            return rows;
        }

        if (f.Type == "table")
        {
            rows.Add(("nextTable", "next table", $"0x{f.Address:x}", null));
            rows.Add(("nsTable", "NSTable", (d >> 63) != 0, null));
            int apTable = (int)((d >> 61) & 3);
            rows.Add(("apTable", "APTable", apTable, apTable switch
            {
                0 => "no limit",
                1 => "no unprivileged access below",
                2 => "read-only below",
                _ => "read-only, no unprivileged access below",
            }));
            rows.Add(("uxnTable", "UXNTable", (d & ArmLpaePte.UxnTable) != 0, f.Stage == 2 ? "ignored at stage 2" : null));
            rows.Add(("pxnTable", "PXNTable", (d & ArmLpaePte.PxnTable) != 0, f.Stage == 2 ? "ignored at stage 2" : null));
            rows.Add(("swSync", "SW_SYNC", (d & ArmLpaePte.SwSync) != 0, "Linux software bit 55: PTE cleaned for a non-coherent walker"));
            return rows;
        }

        rows.Add(("outputAddress", "output", $"0x{f.Address:x}", $"{SizeName(f.LeafSize)} leaf"));
        if (f.Stage == 1)
        {
            int idx = (int)((d >> 2) & 7);
            rows.Add(("attrIndx", "AttrIndx", idx, MairMeaning(idx)));
        }
        else
        {
            int memAttr = (int)((d >> 2) & 0xF);
            rows.Add(("memAttr", "MemAttr", memAttr, S2MemAttrMeaning(memAttr)));
        }

        int sh = (int)((d >> 8) & 3);
        rows.Add(("sh", "SH", sh, sh switch
        {
            0 => "non-shareable",
            1 => "reserved",
            2 => "outer shareable",
            _ => "inner shareable",
        }));
        int ap = (int)((d >> 6) & 3);
        if (f.Stage == 1)
        {
            rows.Add(("ap", "AP[2:1]", ap, ap switch
            {
                0 => "read/write, privileged only",
                1 => "read/write, privileged and unprivileged",
                2 => "read-only, privileged only",
                _ => "read-only, privileged and unprivileged",
            }));
            rows.Add(("ns", "NS", (d & ArmLpaePte.Ns) != 0, null));
        }
        else
        {
            rows.Add(("s2ap", "S2AP", ap, ap switch
            {
                0 => "no access",
                1 => "read-only",
                2 => "write-only",
                _ => "read/write",
            }));
        }

        rows.Add(("af", "AF", (d & ArmLpaePte.Af) != 0, null));
        if (f.Stage == 1)
        {
            rows.Add(("nG", "nG", (d & ArmLpaePte.NG) != 0, null));
        }

        rows.Add(("dbm", "DBM", (d & ArmLpaePte.Dbm) != 0, (d & ArmLpaePte.Dbm) == 0 ? null
            : f.Stage == 1 ? ((d & ArmLpaePte.ApRdonly) != 0 ? "writable-clean" : "writable-dirty")
            : ((d & ArmLpaePte.HapWrite) == 0 ? "writable-clean" : "writable-dirty")));
        rows.Add(("contiguous", "contiguous", (d & ArmLpaePte.Contiguous) != 0, null));
        if (f.Stage == 1)
        {
            rows.Add(("pxn", "PXN", (d & ArmLpaePte.Pxn) != 0, null));
            rows.Add(("uxn", "UXN", (d & ArmLpaePte.Uxn) != 0, null));
        }
        else
        {
            int xn = (int)((d >> 53) & 3);
            rows.Add(("xn", "XN[1:0]", xn, xn switch
            {
                0 => "executable",
                1 => "not executable at EL1 (FEAT_XNX)",
                2 => "not executable",
                _ => "not executable at EL0 (FEAT_XNX); not executable without it",
            }));
        }

        rows.Add(("software", "software", $"0x{(d >> 55) & 0xF:x}", "bits 58:55"));
        ulong upper = d >> 59;
        if (upper != 0)
        {
            rows.Add(("ignoredUpper", "bits 63:59", $"0x{upper:x}", "ignored by hardware in a leaf (PBHA / implementation defined)"));
        }

        return rows;
    }

    private static string MairMeaning(int idx) => idx switch
    {
        ArmLpaePte.MairIdxNc => "Linux MAIR attr 0x44: Normal, non-cacheable",
        ArmLpaePte.MairIdxCache => "Linux MAIR attr 0xff: Normal, write-back RW-allocate, inner and outer",
        ArmLpaePte.MairIdxDevice => "Linux MAIR attr 0x04: Device-nGnRE",
        ArmLpaePte.MairIdxIncOcache => "Linux MAIR attr 0xf4: Normal, inner non-cacheable, outer write-back RW-allocate",
        _ => "Linux MAIR attr 0x00: Device-nGnRnE (unused index)",
    };

    private static string S2MemAttrMeaning(int m)
    {
        if ((m >> 2) == 0)
        {
            return (m & 3) switch
            {
                0 => "Device-nGnRnE",
                1 => "Device-nGnRE",
                2 => "Device-nGRE",
                _ => "Device-GRE",
            };
        }

        static string Cacheability(int x) => x switch
        {
            1 => "non-cacheable",
            2 => "write-through",
            3 => "write-back",
            _ => "reserved",
        };

        string normal = $"Normal, outer {Cacheability(m >> 2)}, inner {Cacheability(m & 3)}";
        return m == ArmLpaePte.MemAttrFwbWb ? normal + "; with S2FWB: forced write-back" : normal;
    }

    private sealed class Fields
    {
        public ulong Descriptor { get; init; }

        public int Stage { get; init; }

        public int GranuleShift { get; init; }

        public int Level { get; init; }

        public string Type { get; set; } = string.Empty;

        public bool Valid { get; set; }

        public ulong Address { get; set; }

        public ulong LeafSize { get; set; }
    }
}
