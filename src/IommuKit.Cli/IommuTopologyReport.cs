using System.Globalization;
using System.Text;
using System.Text.Json;
using IommuKit.Firmware.DeviceTree;
using IommuKit.Firmware.DeviceTree.Properties;
using IommuKit.Firmware.DeviceTree.Topology;

namespace IommuKit.Cli;

/// <summary>
/// Renders an <see cref="IommuTopology"/> as terminal text or as stable JSON (written with
/// <see cref="Utf8JsonWriter"/>, no reflection): IOMMUs, masters with their specifiers or map
/// entries, PCI devices described below host bridges, and the problems found.
/// </summary>
internal static class IommuTopologyReport
{
    private static readonly CultureInfo s_c = CultureInfo.InvariantCulture;

    /// <summary>Writes the human-readable report.</summary>
    public static void WriteText(DtInput input, IommuTopology topology, TextWriter w)
    {
        WriteHeader(input, topology, w);

        w.WriteLine();
        w.WriteLine(Count("IOMMU", topology.Iommus.Count));
        foreach (IommuInstance iommu in topology.Iommus)
        {
            w.WriteLine($"  {iommu.Path}");
            Field(w, "compatible", Compatible(iommu.Compatible));
            Field(w, "family", FamilyText(iommu.Identity));
            string cells = iommu.IommuCells.ToString(s_c);
            if (iommu.StreamMatchMask is { } smm)
            {
                cells += $"   stream-match-mask {Hex(smm)}";
            }

            if (!iommu.IommuCellsAccepted)
            {
                cells += "   (refused by the Linux driver)";
            }

            Field(w, "#iommu-cells", cells);
            Field(w, "enabled", YesNo(iommu.Enabled));
            Field(w, "dma-coherent", CoherenceText(iommu.Coherence, iommu.Node));
            Field(w, "masters", iommu.Masters.Count switch
            {
                0 => "none",
                <= 3 => string.Join(", ", iommu.Masters.Select(m => m.Path)),
                _ => $"{iommu.Masters.Count} (listed below)",
            });
        }

        w.WriteLine();
        w.WriteLine(Count("master", topology.Masters.Count));
        foreach (DmaMaster master in topology.Masters)
        {
            string kind = master.Kind == DmaMasterKind.Iommus ? "iommus" : $"iommu-map, {IdSpaceText(master.IdSpace)}";
            w.WriteLine($"  {master.Path}  [{kind}]");
            Field(w, "compatible", Compatible(master.Compatible));
            Field(w, "enabled", YesNo(master.Enabled));
            Field(w, "dma-coherent", CoherenceText(master.Coherence, master.Node));
            if (master.Kind == DmaMasterKind.Iommus)
            {
                WriteReferences(w, master);
            }
            else
            {
                WriteMap(w, topology, master);
            }
        }

        List<PciHostBridge> unmapped = [.. topology.PciHostBridges.Where(b => b.IommuMap is null)];
        if (unmapped.Count > 0)
        {
            w.WriteLine();
            w.WriteLine($"PCI host bridges without iommu-map ({unmapped.Count}): devices below are not behind an IOMMU");
            foreach (PciHostBridge bridge in unmapped)
            {
                w.WriteLine($"  {bridge.Path}  enabled {YesNo(bridge.Enabled)}, dma-coherent {YesNo(bridge.Coherence.IsCoherent)}");
                WriteDevices(w, bridge);
            }
        }

        if (topology.LegacyMasters.Count > 0)
        {
            w.WriteLine();
            w.WriteLine($"Legacy mmu-masters entries ({topology.LegacyMasters.Count})");
            foreach (LegacyMmuMaster legacy in topology.LegacyMasters)
            {
                string master = legacy.Master?.FullPath ?? $"phandle {Hex(legacy.Phandle)}";
                w.WriteLine($"  {legacy.Smmu.Path} <- {master}  stream IDs {Cells(legacy.StreamIds)}{(legacy.Valid ? string.Empty : "  (unreadable)")}");
            }
        }

        w.WriteLine();
        w.WriteLine(Count("problem", topology.Problems.Count));
        foreach (TopologyProblem problem in topology.Problems)
        {
            w.WriteLine($"  {SeverityText(problem.Severity),-7} {problem.Path}: {problem.Message}");
        }
    }

    /// <summary>Writes the JSON report (indented, UTF-8, field order fixed).</summary>
    public static void WriteJson(DtInput input, IommuTopology topology, TextWriter w)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, NewLine = "\n" }))
        {
            json.WriteStartObject();
            json.WriteStartObject("source");
            json.WriteString("name", input.Name);
            json.WriteString("format", input.Format);
            json.WriteNumber("bytes", input.Bytes);
            json.WriteBoolean("builtIn", input.Description is not null);
            WriteStringOrNull(json, "description", input.Description);
            WriteStringOrNull(json, "model", Model(input.Tree));
            WriteStrings(json, "compatible", input.Tree.Root.GetCompatible());
            json.WriteEndObject();
            json.WriteBoolean("defaultDmaCoherent", topology.Options.DefaultDmaCoherent);

            json.WriteStartArray("iommus");
            foreach (IommuInstance iommu in topology.Iommus)
            {
                WriteIommu(json, iommu);
            }

            json.WriteEndArray();

            json.WriteStartArray("masters");
            foreach (DmaMaster master in topology.Masters)
            {
                WriteMaster(json, topology, master);
            }

            json.WriteEndArray();

            json.WriteStartArray("pciHostBridges");
            foreach (PciHostBridge bridge in topology.PciHostBridges)
            {
                json.WriteStartObject();
                json.WriteString("path", bridge.Path);
                json.WriteBoolean("enabled", bridge.Enabled);
                json.WriteBoolean("dmaCoherent", bridge.Coherence.IsCoherent);
                json.WriteBoolean("hasIommuMap", bridge.IommuMap is not null);
                json.WriteBoolean("hasMsiMap", bridge.MsiMap is not null);
                json.WriteNumber("devices", bridge.Endpoints.Count);
                json.WriteEndObject();
            }

            json.WriteEndArray();

            json.WriteStartArray("legacyMmuMasters");
            foreach (LegacyMmuMaster legacy in topology.LegacyMasters)
            {
                json.WriteStartObject();
                json.WriteString("smmu", legacy.Smmu.Path);
                json.WriteNumber("phandle", legacy.Phandle);
                WriteStringOrNull(json, "master", legacy.Master?.FullPath);
                WriteNumbers(json, "streamIds", legacy.StreamIds);
                json.WriteBoolean("valid", legacy.Valid);
                json.WriteEndObject();
            }

            json.WriteEndArray();

            json.WriteStartArray("problems");
            foreach (TopologyProblem problem in topology.Problems)
            {
                json.WriteStartObject();
                json.WriteString("severity", SeverityText(problem.Severity));
                json.WriteString("code", problem.Code.ToString());
                json.WriteString("path", problem.Path);
                json.WriteString("message", problem.Message);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        w.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    private static void WriteHeader(DtInput input, IommuTopology topology, TextWriter w)
    {
        w.WriteLine(input.Description is null
            ? $"Devicetree: {input.Name} ({input.Format.ToUpperInvariant()}, {input.Bytes} bytes)"
            : $"Devicetree: {input.Name} ({input.Format.ToUpperInvariant()}, {input.Bytes} bytes), {input.Description}");
        string? model = Model(input.Tree);
        string[] compatible = input.Tree.Root.GetCompatible();
        if (model is not null || compatible.Length > 0)
        {
            w.WriteLine($"Board: {model ?? "(no model)"}{(compatible.Length > 0 ? $"  [{string.Join(", ", compatible)}]" : string.Empty)}");
        }

        w.WriteLine($"Architecture default DMA coherence (no dma-coherent or dma-noncoherent on a node or its parents): {(topology.Options.DefaultDmaCoherent ? "coherent" : "non-coherent, as on arm64")}");
    }

    private static void WriteReferences(TextWriter w, DmaMaster master)
    {
        foreach (IommuReference reference in master.References)
        {
            string target = reference.Iommu?.Path ?? reference.Target?.FullPath ?? $"phandle {Hex(reference.Phandle)}";
            string line = $"{target} {Cells(reference.Specifier)}";
            if (reference.Status != IommuAttachmentStatus.Translated)
            {
                line += $"  ({StatusText(reference.Status)})";
            }

            Field(w, "iommus", line);
        }

        Field(w, "result", master.IsBehindIommu ? "behind an IOMMU" : $"not behind an IOMMU: {StatusText(master.Status)}");
    }

    private static void WriteMap(TextWriter w, IommuTopology topology, DmaMaster master)
    {
        IdMap map = master.IommuMap!;
        if (map.HasMask)
        {
            Field(w, "map mask", Hex(map.Mask));
        }

        if (!map.IsWellFormed)
        {
            Field(w, "iommu-map", "malformed: no requester is behind an IOMMU");
        }

        string idName = master.IdSpace == MappedIdSpace.PciRequesterId ? "rid" : "id";
        foreach (IdMapEntry entry in map.Entries)
        {
            string target = entry.Target is null ? $"phandle {Hex(entry.Phandle)} (dangling)" : entry.Target.FullPath;
            string line = entry.Length == 0
                ? $"{idName} {Hex(entry.IdBase)} (length 0, never matches) -> {target} id {Hex(entry.OutputBase)}"
                : $"{idName} {Range(entry.IdBase, entry.Length)} -> {target} {(entry.Length == 1 ? "id" : "ids")} {Range(entry.OutputBase, entry.Length)}";
            Field(w, "iommu-map", line);
        }

        PciHostBridge? bridge = topology.FindPciHostBridge(master.Node);
        if (bridge is not null)
        {
            WriteDevices(w, bridge);
        }
    }

    private static void WriteDevices(TextWriter w, PciHostBridge bridge)
    {
        if (bridge.Endpoints.Count == 0)
        {
            return;
        }

        int width = bridge.Endpoints.Max(e => e.Node.Name.Length);
        Field(w, "devices", $"{bridge.Endpoints.Count} described below the host bridge");
        foreach (PciEndpoint endpoint in bridge.Endpoints)
        {
            IommuResolution iommu = endpoint.Resolution.Iommu;
            string where = iommu.IsBehindIommu
                ? $"{iommu.Iommu!.Path} stream {Hex(iommu.StreamId)}"
                : $"not behind an IOMMU ({StatusText(iommu.Status)})";
            MsiResolution msi = endpoint.Resolution.Msi;
            string msiText = msi.Controller is null ? "no MSI controller" : $"MSI {msi.Controller.Name} DeviceID {Hex(msi.DeviceId)}";
            string name = endpoint.Node.Name.PadRight(width);
            w.WriteLine($"      {endpoint.Rid} {name}  {where}; {msiText}{(endpoint.Enabled ? string.Empty : "  (disabled)")}");
        }
    }

    private static void WriteIommu(Utf8JsonWriter json, IommuInstance iommu)
    {
        json.WriteStartObject();
        json.WriteString("path", iommu.Path);
        WriteStrings(json, "compatible", iommu.Compatible);
        json.WriteString("family", iommu.Family.ToString());
        json.WriteString("smmuModel", iommu.Identity.SmmuModel.ToString());
        json.WriteString("smmuVendor", iommu.Identity.Vendor.ToString());
        json.WriteString("transport", iommu.Identity.Transport.ToString());
        json.WriteNumber("iommuCells", iommu.IommuCells);
        json.WriteBoolean("iommuCellsAccepted", iommu.IommuCellsAccepted);
        WriteNumberOrNull(json, "phandle", iommu.Phandle);
        json.WriteBoolean("enabled", iommu.Enabled);
        WriteCoherence(json, iommu.Coherence);
        WriteNumberOrNull(json, "streamMatchMask", iommu.StreamMatchMask);
        json.WriteStartArray("masters");
        foreach (DmaMaster master in iommu.Masters)
        {
            json.WriteStringValue(master.Path);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteMaster(Utf8JsonWriter json, IommuTopology topology, DmaMaster master)
    {
        json.WriteStartObject();
        json.WriteString("path", master.Path);
        WriteStrings(json, "compatible", master.Compatible);
        json.WriteString("kind", master.Kind == DmaMasterKind.Iommus ? "iommus" : "iommu-map");
        json.WriteBoolean("enabled", master.Enabled);
        WriteCoherence(json, master.Coherence);
        json.WriteString("status", master.Status.ToString());
        if (master.Kind == DmaMasterKind.Iommus)
        {
            json.WriteStartArray("iommus");
            foreach (IommuReference reference in master.References)
            {
                json.WriteStartObject();
                json.WriteNumber("phandle", reference.Phandle);
                WriteStringOrNull(json, "iommu", reference.Iommu?.Path ?? reference.Target?.FullPath);
                WriteNumbers(json, "specifier", reference.Specifier);
                json.WriteString("status", reference.Status.ToString());
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }
        else
        {
            IdMap map = master.IommuMap!;
            json.WriteString("idSpace", master.IdSpace.ToString());
            json.WriteNumber("mask", map.Mask);
            json.WriteBoolean("maskPresent", map.HasMask);
            json.WriteBoolean("wellFormed", map.IsWellFormed);
            json.WriteStartArray("entries");
            foreach (IdMapEntry entry in map.Entries)
            {
                json.WriteStartObject();
                json.WriteNumber("idBase", entry.IdBase);
                json.WriteNumber("phandle", entry.Phandle);
                WriteStringOrNull(json, "iommu", entry.Target?.FullPath);
                json.WriteNumber("iommuBase", entry.OutputBase);
                json.WriteNumber("length", entry.Length);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("devices");
            PciHostBridge? bridge = topology.FindPciHostBridge(master.Node);
            foreach (PciEndpoint endpoint in bridge?.Endpoints ?? [])
            {
                PciRequesterResolution r = endpoint.Resolution;
                json.WriteStartObject();
                json.WriteString("path", endpoint.Path);
                json.WriteString("bdf", endpoint.Rid.ToString());
                json.WriteNumber("rid", endpoint.Rid.Value);
                json.WriteBoolean("enabled", endpoint.Enabled);
                json.WriteString("iommuStatus", r.Iommu.Status.ToString());
                WriteStringOrNull(json, "iommu", r.Iommu.Iommu?.Path);
                WriteNumberOrNull(json, "streamId", r.Iommu.IsBehindIommu ? r.Iommu.StreamId : null);
                json.WriteString("msiStatus", r.Msi.Status.ToString());
                WriteStringOrNull(json, "msiController", r.Msi.Controller?.FullPath);
                WriteNumberOrNull(json, "msiDeviceId", r.Msi.Controller is null ? null : r.Msi.DeviceId);
                json.WriteBoolean("dmaCoherent", r.Coherence.IsCoherent);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
    }

    private static void WriteCoherence(Utf8JsonWriter json, DmaCoherence coherence)
    {
        json.WriteBoolean("dmaCoherent", coherence.IsCoherent);
        WriteStringOrNull(json, "dmaCoherentSource", coherence.Source?.FullPath);
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (string value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }

    private static void WriteNumbers(Utf8JsonWriter json, string name, IEnumerable<uint> values)
    {
        json.WriteStartArray(name);
        foreach (uint value in values)
        {
            json.WriteNumberValue(value);
        }

        json.WriteEndArray();
    }

    private static void WriteStringOrNull(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteNumberOrNull(Utf8JsonWriter json, string name, uint? value)
    {
        if (value is { } v)
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static string? Model(DeviceTree tree) => tree.Root.TryGetString("model", out string model) ? model : null;

    private static void Field(TextWriter w, string name, string value) => w.WriteLine($"    {name,-13}{value}");

    private static string Count(string noun, int count) => $"{char.ToUpperInvariant(noun[0])}{noun[1..]}s ({count})";

    private static string YesNo(bool value) => value ? "yes" : "no";

    private static string Hex(uint value) => "0x" + value.ToString("x", s_c);

    private static string Range(uint start, uint length) => length == 1 ? Hex(start) : $"{Hex(start)}-{Hex(unchecked(start + length - 1))}";

    private static string Cells(IReadOnlyList<uint> cells) => "<" + string.Join(' ', cells.Select(Hex)) + ">";

    private static string Compatible(IReadOnlyList<string> compatible) => compatible.Count == 0 ? "(none)" : string.Join(", ", compatible);

    private static string SeverityText(ProblemSeverity severity) => severity switch
    {
        ProblemSeverity.Error => "error",
        ProblemSeverity.Warning => "warning",
        _ => "info",
    };

    private static string CoherenceText(DmaCoherence coherence, DtNode node)
    {
        string answer = YesNo(coherence.IsCoherent);
        if (coherence.Source is null)
        {
            return $"{answer} (architecture default)";
        }

        string property = coherence.IsCoherent ? "dma-coherent" : "dma-noncoherent";
        return coherence.Source == node ? $"{answer} ({property})" : $"{answer} ({property} inherited from {coherence.Source.FullPath})";
    }

    private static string IdSpaceText(MappedIdSpace space) => space switch
    {
        MappedIdSpace.PciRequesterId => "PCI requester IDs",
        MappedIdSpace.FslMcIcid => "fsl-mc ICIDs",
        _ => "bus IDs",
    };

    private static string FamilyText(IommuIdentity identity)
    {
        string family = identity.Family switch
        {
            IommuFamily.ArmSmmu => "Arm SMMU v1/v2",
            IommuFamily.ArmSmmuV3 => "Arm SMMUv3",
            IommuFamily.VirtioIommu => "virtio-iommu",
            IommuFamily.AppleDart => "Apple DART",
            IommuFamily.RockchipIommu => "Rockchip IOMMU",
            IommuFamily.ExynosSysMmu => "Samsung Exynos SysMMU",
            IommuFamily.MediaTekM4u => "MediaTek M4U",
            IommuFamily.RenesasIpmmu => "Renesas IPMMU-VMSA",
            IommuFamily.QualcommMsmIommu => "Qualcomm MSM IOMMU",
            IommuFamily.QualcommIommu => "Qualcomm IOMMU (qcom_iommu)",
            IommuFamily.TiOmapIommu => "TI OMAP IOMMU",
            IommuFamily.TegraSmmu => "NVIDIA Tegra SMMU (memory controller)",
            IommuFamily.TegraGart => "NVIDIA Tegra20 GART (memory controller)",
            IommuFamily.AllwinnerIommu => "Allwinner sun50i IOMMU",
            _ => "unknown (no Linux driver matches)",
        };
        var details = new List<string>();
        if (identity.Family == IommuFamily.ArmSmmu)
        {
            details.Add(identity.SmmuModel switch
            {
                ArmSmmuModel.SmmuV1 => "SMMUv1",
                ArmSmmuModel.SmmuV2 => "SMMUv2",
                ArmSmmuModel.Mmu400 => "MMU-400, SMMUv1",
                ArmSmmuModel.Mmu401 => "MMU-401, SMMUv1",
                ArmSmmuModel.Mmu500 => "MMU-500, SMMUv2",
                ArmSmmuModel.CaviumSmmuV2 => "Cavium SMMUv2",
                _ => "Qualcomm SMMUv2",
            });
            if (identity.Vendor != SmmuVendor.None)
            {
                details.Add($"{identity.Vendor} implementation");
            }
        }

        if (identity.Transport != IommuTransport.Platform)
        {
            details.Add(identity.Transport == IommuTransport.Pci ? "PCI device" : "virtio-mmio");
        }

        return details.Count == 0 ? family : $"{family} ({string.Join(", ", details)})";
    }

    private static string StatusText(IommuAttachmentStatus status) => status switch
    {
        IommuAttachmentStatus.Translated => "behind the IOMMU",
        IommuAttachmentStatus.NoIommu => "no iommus or iommu-map",
        IommuAttachmentStatus.NoMatchingEntry => "no iommu-map entry covers it",
        IommuAttachmentStatus.IommuDisabled => "the IOMMU is disabled",
        IommuAttachmentStatus.IommuRejected => "the IOMMU driver refuses its #iommu-cells",
        IommuAttachmentStatus.DanglingPhandle => "dangling phandle",
        IommuAttachmentStatus.NotAnIommu => "the target has no #iommu-cells",
        IommuAttachmentStatus.MalformedProperty => "malformed property",
        IommuAttachmentStatus.MaskIgnoresBase => "iommu-map-mask ignores an entry's base",
        _ => "depends on the requester ID",
    };
}
