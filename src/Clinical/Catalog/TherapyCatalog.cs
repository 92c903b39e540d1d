using System.Text.Json;
using System.Text.Json.Serialization;

namespace Precision.Clinical.Catalog;

/// <summary>
/// The therapy catalog: therapies, the biomarker contexts they are given in, the published objective response rate (ORR)
/// of each therapy in each context with its source, and the modifiers of the response model. Loaded from
/// <c>data/therapy-catalog/therapy-catalog.v1.json</c>; see docs/cohort.md for the response model.
/// </summary>
public sealed record TherapyCatalog(
    string CatalogVersion,
    string Description,
    IReadOnlyList<Therapy> Therapies,
    IReadOnlyList<BiomarkerContext> Contexts,
    IReadOnlyList<ContextResponseRate> ResponseRates,
    IReadOnlyList<ResponseModifier> Modifiers)
{
    public Therapy Therapy(string id) =>
        Therapies.FirstOrDefault(t => t.Id == id) ?? throw new KeyNotFoundException($"Therapy '{id}' is not in catalog {CatalogVersion}.");

    public BiomarkerContext Context(string id) =>
        Contexts.FirstOrDefault(c => c.Id == id) ?? throw new KeyNotFoundException($"Context '{id}' is not in catalog {CatalogVersion}.");

    public IEnumerable<ContextResponseRate> RatesFor(string therapyId) => ResponseRates.Where(r => r.TherapyId == therapyId);
}

/// <summary>A therapy (regimen) with a stable id, e.g. <c>osimertinib</c> or <c>folfox</c>.</summary>
public sealed record Therapy(
    string Id,
    string DisplayName,
    string DrugClass,
    IReadOnlyList<TherapyClassTag> Classes,
    IReadOnlyList<CatalogMedication> Medications,
    UnselectedResponseRate Unselected);

/// <summary>Coarse classes the response modifiers apply to.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TherapyClassTag>))]
public enum TherapyClassTag
{
    Chemotherapy,
    Fluoropyrimidine,
    Irinotecan,
    PlatinumChemotherapy,
    TargetedTherapy,
    Immunotherapy,
    EndocrineTherapy,
    ParpInhibitor,
    AntiHer2,
}

/// <summary>One drug of a regimen, with its RxNorm ingredient code (source in docs/clinical-codes.md).</summary>
public sealed record CatalogMedication(string Name, string RxNormCode);

/// <summary>A literature or modelling source for a number in the catalog.</summary>
public sealed record CatalogSource(string Citation, string? Trial = null, int? Year = null, string? Note = null)
{
    public const string ModellingAssumption = "modelling assumption";

    [JsonIgnore]
    public bool IsModellingAssumption => Citation == ModellingAssumption;
}

/// <summary>The rate used when no biomarker context of the therapy matches the patient.</summary>
public sealed record UnselectedResponseRate(double Orr, CatalogSource Source);

/// <summary>
/// Where a therapy is given: cancer types (empty = any solid tumour), the biomarker that defines it, the biomarkers whose
/// presence excludes the patient (the trial's exclusions, e.g. EGFR/ALK for KEYNOTE-024) and the lines of therapy the
/// evidence is from. <see cref="BiomarkerKind.BiomarkerNegative"/> is the standard-of-care context of the cancer types.
/// <see cref="Matches"/> is the one definition every layer uses: the generator's truth, the catalog evidence shown beside a
/// prediction, the model's catalog prior (as matrices) and the what-if panel.
/// </summary>
public sealed record BiomarkerContext(
    string Id,
    string Description,
    IReadOnlyList<CancerType> CancerTypes,
    BiomarkerKind Biomarker)
{
    /// <summary>Biomarkers that exclude a patient from this context even when its own biomarker is present.</summary>
    public IReadOnlyList<BiomarkerKind> ExcludedBiomarkers { get; init; } = [];

    /// <summary>The lines of therapy the context's evidence applies to.</summary>
    public LineSetting Lines { get; init; } = LineSetting.Any;

    public bool AppliesTo(CancerType cancerType) => CancerTypes.Count == 0 || CancerTypes.Contains(cancerType);

    /// <summary>Whether a patient with this cancer type and these biomarkers, at this line (1 = untreated), is in the context.</summary>
    public bool Matches(CancerType cancerType, IReadOnlySet<BiomarkerKind> biomarkers, int lineNumber)
    {
        ArgumentNullException.ThrowIfNull(biomarkers);
        return AppliesTo(cancerType)
            && (Biomarker == BiomarkerKind.BiomarkerNegative || biomarkers.Contains(Biomarker))
            && !ExcludedBiomarkers.Any(biomarkers.Contains)
            && Lines.Includes(lineNumber);
    }
}

/// <summary>The lines of therapy a context's evidence comes from.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<LineSetting>))]
public enum LineSetting
{
    /// <summary>Any line; later lines are handled by the line-of-therapy modifiers.</summary>
    Any,

    /// <summary>Untreated advanced disease only (line 1).</summary>
    FirstLine,

    /// <summary>After at least one earlier line (line 2 or later).</summary>
    Pretreated,
}

public static class LineSettings
{
    public static bool Includes(this LineSetting setting, int lineNumber) => setting switch
    {
        LineSetting.FirstLine => lineNumber <= 1,
        LineSetting.Pretreated => lineNumber >= 2,
        _ => true,
    };

    public static string DisplayName(this LineSetting setting) => setting switch
    {
        LineSetting.FirstLine => "first line",
        LineSetting.Pretreated => "after at least one earlier line",
        _ => "any line",
    };
}

/// <summary>The biomarkers the generator knows how to test for.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BiomarkerKind>))]
public enum BiomarkerKind
{
    BiomarkerNegative,
    EgfrSensitizing,
    AlkFusion,
    Ros1Fusion,
    KrasG12C,
    BrafV600E,
    Erbb2Amplification,
    BrcaPathogenic,
    MsiHigh,
    TmbHigh,
    PdL1High,
    NtrkFusion,
    HormoneReceptorPositive,
}

/// <summary>The published objective response rate of a therapy in a context, as reported, with its source.</summary>
/// <remarks>
/// <see cref="TrialLine"/> is the line of therapy of the trial population (1 = untreated, 2 = one prior line …). The
/// line-of-therapy modifiers count lines beyond it, so a rate measured in pretreated patients is not penalised twice.
/// </remarks>
public sealed record ContextResponseRate(
    string ContextId,
    string TherapyId,
    double Orr,
    CatalogSource Source,
    string EvidenceLevel,
    int TrialLine = 1);

/// <summary>A patient characteristic that shifts the log-odds of response for some therapies.</summary>
public sealed record ResponseModifier(
    string Id,
    string Description,
    ModifierCondition Condition,
    double LogOddsEffect,
    IReadOnlyList<TherapyClassTag> AppliesToClasses,
    IReadOnlyList<string> AppliesToTherapies,
    IReadOnlyList<CancerType> CancerTypes,
    CatalogSource Source)
{
    public bool AppliesTo(Therapy therapy, CancerType cancerType) =>
        (CancerTypes.Count == 0 || CancerTypes.Contains(cancerType))
        && ((AppliesToClasses.Count == 0 && AppliesToTherapies.Count == 0)
            || AppliesToTherapies.Contains(therapy.Id)
            || therapy.Classes.Any(AppliesToClasses.Contains));
}

/// <summary>The patient facts a modifier tests.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ModifierCondition>))]
public enum ModifierCondition
{
    EcogTwoOrMore,
    SecondLine,
    ThirdLineOrLater,
    LowAlbumin,
    HighLdh,
    OrganDysfunction,
    EverSmoker,
    NeverSmoker,
    DpydPoorMetabolizer,
    DpydIntermediateMetabolizer,
    Ugt1a1PoorMetabolizer,
    AgeSeventyFiveOrMore,
    TcellInflamedHigh,

    /// <summary>An earlier line of the same regimen had progressive disease as its best response (re-challenge after primary resistance).</summary>
    ProgressedOnThisTherapy,
}

/// <summary>Reads and checks the catalog file (System.Text.Json only).</summary>
public static class TherapyCatalogLoader
{
    public const string DefaultRelativePath = "data/therapy-catalog/therapy-catalog.v1.json";

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public static TherapyCatalog Load(string path)
    {
        using var stream = File.OpenRead(path);
        return Load(stream, path);
    }

    public static TherapyCatalog Load(Stream stream, string sourceName = "catalog")
    {
        var catalog = JsonSerializer.Deserialize<TherapyCatalog>(stream, Options)
            ?? throw new InvalidDataException($"{sourceName}: empty therapy catalog.");
        var problems = Validate(catalog);
        return problems.Count == 0
            ? catalog
            : throw new InvalidDataException($"{sourceName}: invalid therapy catalog:{Environment.NewLine}" + string.Join(Environment.NewLine, problems));
    }

    /// <summary>Finds the catalog by walking up from <paramref name="start"/> (default: the app base directory) to the repository root.</summary>
    public static string FindDefault(string? start = null)
    {
        for (var dir = new DirectoryInfo(start ?? AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, DefaultRelativePath);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"Cannot find {DefaultRelativePath} above {start ?? AppContext.BaseDirectory}.");
    }

    /// <summary>Every problem in the catalog: unknown ids, rates outside (0,1), missing sources.</summary>
    public static IReadOnlyList<string> Validate(TherapyCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(catalog.CatalogVersion))
        {
            problems.Add("catalogVersion is missing.");
        }

        var therapyIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in catalog.Therapies)
        {
            if (!therapyIds.Add(t.Id))
            {
                problems.Add($"therapy '{t.Id}' is duplicated.");
            }

            if (t.Medications.Count == 0 || t.Medications.Any(m => string.IsNullOrWhiteSpace(m.RxNormCode) || !m.RxNormCode.All(char.IsAsciiDigit)))
            {
                problems.Add($"therapy '{t.Id}' needs medications with numeric RxNorm codes.");
            }

            CheckRate(problems, $"therapy '{t.Id}' unselected rate", t.Unselected.Orr, t.Unselected.Source);
        }

        foreach (var c in catalog.Contexts)
        {
            if (c.ExcludedBiomarkers is null || c.ExcludedBiomarkers.Contains(c.Biomarker) || c.ExcludedBiomarkers.Contains(BiomarkerKind.BiomarkerNegative))
            {
                problems.Add($"context '{c.Id}': excludedBiomarkers must list other biomarkers than the context's own.");
            }
        }

        var contextIds = catalog.Contexts.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var r in catalog.ResponseRates)
        {
            var where = $"rate {r.TherapyId} in {r.ContextId}";
            if (!therapyIds.Contains(r.TherapyId))
            {
                problems.Add($"{where}: unknown therapy.");
            }

            if (!contextIds.Contains(r.ContextId))
            {
                problems.Add($"{where}: unknown context.");
            }

            if (string.IsNullOrWhiteSpace(r.EvidenceLevel))
            {
                problems.Add($"{where}: evidence level missing.");
            }

            CheckRate(problems, where, r.Orr, r.Source);
        }

        foreach (var m in catalog.Modifiers)
        {
            if (m.Source is null || string.IsNullOrWhiteSpace(m.Source.Citation))
            {
                problems.Add($"modifier '{m.Id}': source missing (use \"{CatalogSource.ModellingAssumption}\").");
            }

            if (double.IsNaN(m.LogOddsEffect) || Math.Abs(m.LogOddsEffect) > 5)
            {
                problems.Add($"modifier '{m.Id}': log-odds effect {m.LogOddsEffect} out of range.");
            }

            problems.AddRange(m.AppliesToTherapies.Where(id => !therapyIds.Contains(id)).Select(id => $"modifier '{m.Id}': unknown therapy '{id}'."));
        }

        return problems;
    }

    private static void CheckRate(List<string> problems, string where, double orr, CatalogSource? source)
    {
        if (!(orr > 0 && orr < 1))
        {
            problems.Add($"{where}: ORR {orr} must be in (0, 1).");
        }

        if (source is null || string.IsNullOrWhiteSpace(source.Citation))
        {
            problems.Add($"{where}: source missing.");
        }
    }
}
