using System.Text.Json;
using System.Text.Json.Serialization;

namespace Precision.Clinical.Terminology;

/// <summary>
/// The versioned terminology files under <c>data/terminology</c>, embedded in this assembly so that every layer (the FHIR
/// mapper, the list, training) classifies with the same table: cancer types and antineoplastic agents. Loaded and checked
/// once; a file that fails its checks stops whoever loads it, with the problems named.
/// </summary>
public static class ClinicalTerminology
{
    public const string CancerTypeFile = "cancer-type-classification.v1.json";
    public const string AntineoplasticFile = "antineoplastic-agents.v1.json";

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        Converters = { new JsonStringEnumConverter() },
    };

    private static readonly Lazy<CancerTypeClassifier> LazyCancerTypes = new(() => LoadCancerTypes(OpenEmbedded(CancerTypeFile), CancerTypeFile));
    private static readonly Lazy<AntineoplasticAgents> LazyAgents = new(() => LoadAgents(OpenEmbedded(AntineoplasticFile), AntineoplasticFile));

    public static CancerTypeClassifier CancerTypes => LazyCancerTypes.Value;

    public static AntineoplasticAgents Antineoplastics => LazyAgents.Value;

    /// <summary>Reads and checks a cancer-type table (tests load deliberately broken copies through this).</summary>
    public static CancerTypeClassifier LoadCancerTypes(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var file = JsonSerializer.Deserialize<CancerTypeFileDto>(stream, Options) ?? throw new InvalidDataException($"{sourceName}: empty file.");
        var problems = new List<string>();
        var sources = file.Sources ?? [];
        string[] roles = ["malignant", "primary", "secondary", "morphology", "body-site", "not-a-diagnosis", "in-situ", "history"];
        string[] histologies = ["carcinoma", "small-cell", "neuroendocrine", "melanoma", "sarcoma", "mesothelioma", "germ-cell", "hematologic"];
        var snomed = new Dictionary<string, CancerTypeTableRow>(StringComparer.Ordinal);
        foreach (var row in file.Snomed ?? [])
        {
            var where = $"SNOMED {row.Code}";
            if (string.IsNullOrWhiteSpace(row.Code) || !row.Code.All(char.IsAsciiDigit))
            {
                problems.Add($"{where}: the code must be a SNOMED CT concept id.");
            }

            if (string.IsNullOrWhiteSpace(row.Display))
            {
                problems.Add($"{where}: display missing.");
            }

            Check(where, row.Role, row.Histology, row.Source);
            CancerType? type = null;
            if (row.CancerType is { } name)
            {
                if (Enum.TryParse<CancerType>(name, out var parsed) && parsed != CancerType.Other)
                {
                    type = parsed;
                }
                else
                {
                    problems.Add($"{where}: unknown cancer type '{name}'.");
                }
            }

            if (!snomed.TryAdd(row.Code ?? string.Empty, new CancerTypeTableRow(row.Code ?? string.Empty, row.Display ?? string.Empty, row.Role ?? string.Empty, row.Site, row.Histology, type, row.Source ?? string.Empty)))
            {
                problems.Add($"{where}: listed twice.");
            }
        }

        foreach (var row in file.Icd10cm ?? [])
        {
            Check($"ICD-10-CM {row.Prefix}", row.Role, row.Histology, row.Source);
        }

        foreach (var range in file.IcdO3Morphology ?? [])
        {
            if (range.From > range.To || range.From < 8000 || range.To > 9999 || !histologies.Contains(range.Histology))
            {
                problems.Add($"ICD-O-3 {range.From}-{range.To}: not a morphology range with a known histology.");
            }
        }

        if (string.IsNullOrWhiteSpace(file.Version))
        {
            problems.Add("version missing.");
        }

        // A section that did not load would silently classify nothing: refuse it.
        if (snomed.Count == 0 || (file.Icd10cm?.Count ?? 0) == 0 || (file.IcdO3Morphology?.Count ?? 0) == 0)
        {
            problems.Add("the snomed, icd10cm and icdO3Morphology sections must each list at least one row.");
        }

        if (problems.Count > 0)
        {
            throw new InvalidDataException($"{sourceName}: invalid cancer-type table:{Environment.NewLine}" + string.Join(Environment.NewLine, problems));
        }

        return new CancerTypeClassifier(new CancerTypeTable
        {
            Version = file.Version!,
            Snomed = snomed,
            Icd10Rows = [.. (file.Icd10cm ?? []).Select(r => (r.Prefix!.ToUpperInvariant(), r.Role!, r.Site, r.Histology))],
            MorphologyRanges = [.. (file.IcdO3Morphology ?? []).Select(r => (r.From, r.To, r.Histology!))],
        });

        void Check(string where, string? role, string? histology, string? source)
        {
            if (role is null || !roles.Contains(role))
            {
                problems.Add($"{where}: unknown role '{role}'.");
            }

            if (histology is not null && !histologies.Contains(histology))
            {
                problems.Add($"{where}: unknown histology '{histology}'.");
            }

            if (source is null || !sources.ContainsKey(source))
            {
                problems.Add($"{where}: source '{source}' is not one of the file's sources.");
            }
        }
    }

    /// <summary>Reads and checks an antineoplastic agent list.</summary>
    public static AntineoplasticAgents LoadAgents(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var file = JsonSerializer.Deserialize<AntineoplasticFileDto>(stream, Options) ?? throw new InvalidDataException($"{sourceName}: empty file.");
        var problems = new List<string>();
        var sources = file.Sources ?? [];
        var agents = new List<AntineoplasticAgent>();
        foreach (var row in file.Agents ?? [])
        {
            var where = $"agent '{row.Name}'";
            if (string.IsNullOrWhiteSpace(row.Name))
            {
                problems.Add("an agent has no name.");
                continue;
            }

            if (row.RxNorm is { } rx && !rx.All(char.IsAsciiDigit))
            {
                problems.Add($"{where}: RxNorm code '{rx}' is not an RxCUI.");
            }

            if (row.Source is null || !sources.ContainsKey(row.Source))
            {
                problems.Add($"{where}: source '{row.Source}' is not one of the file's sources.");
            }

            if (row.Role is not ("antineoplastic" or "regimen-companion"))
            {
                problems.Add($"{where}: role must be antineoplastic or regimen-companion.");
            }

            agents.Add(new AntineoplasticAgent(row.Name, row.RxNorm, row.Atc ?? [], row.Synonyms ?? [], row.Role == "regimen-companion"));
        }

        if (agents.Count == 0)
        {
            problems.Add("the agents section lists no agent.");
        }

        if (problems.Count > 0 || string.IsNullOrWhiteSpace(file.Version))
        {
            throw new InvalidDataException($"{sourceName}: invalid antineoplastic agent list:{Environment.NewLine}" + string.Join(Environment.NewLine, problems.Append(string.IsNullOrWhiteSpace(file.Version) ? "version missing." : string.Empty).Where(p => p.Length > 0)));
        }

        return new AntineoplasticAgents(file.Version!, agents, file.AtcAntineoplasticPrefixes ?? []);
    }

    private static Stream OpenEmbedded(string file) =>
        typeof(ClinicalTerminology).Assembly.GetManifestResourceStream("Precision.Clinical.Terminology." + file)
        ?? throw new InvalidOperationException($"The terminology file {file} is not embedded in {typeof(ClinicalTerminology).Assembly.GetName().Name}; the build is broken.");

    private sealed record CancerTypeFileDto(string? Version, Dictionary<string, string>? Sources, List<SnomedRowDto>? Snomed, List<Icd10RowDto>? Icd10cm, List<MorphologyRowDto>? IcdO3Morphology);

    private sealed record SnomedRowDto(string? Code, string? Display, string? Role, string? Site, string? Histology, string? CancerType, string? Source);

    private sealed record Icd10RowDto(string? Prefix, string? Role, string? Site, string? Histology, string? Source);

    private sealed record MorphologyRowDto(int From, int To, string? Histology);

    private sealed record AntineoplasticFileDto(string? Version, Dictionary<string, string>? Sources, List<string>? AtcAntineoplasticPrefixes, List<AgentRowDto>? Agents);

    private sealed record AgentRowDto(string? Name, string? RxNorm, List<string>? Atc, List<string>? Synonyms, string? Role, string? Source);
}
