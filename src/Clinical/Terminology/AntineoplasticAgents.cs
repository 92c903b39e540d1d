using System.Text.RegularExpressions;

namespace Precision.Clinical.Terminology;

/// <summary>One listed agent: its ingredient name, RxNorm ingredient code and WHO ATC codes when verified, and other names.</summary>
public sealed record AntineoplasticAgent(string Name, string? RxNorm, IReadOnlyList<string> Atc, IReadOnlyList<string> Synonyms, bool RegimenCompanion);

public enum MedicationKind
{
    /// <summary>An antineoplastic agent: it makes a line of cancer therapy.</summary>
    Antineoplastic,

    /// <summary>Given with antineoplastics (leucovorin with fluorouracil): part of a line, never a line alone.</summary>
    RegimenCompanion,

    /// <summary>Anything else: supportive care (antiemetics, steroids, growth factors) or medicines for other diseases.</summary>
    NotAntineoplastic,
}

/// <summary>How a medication was classified: the ingredient it was matched to and how (code, ATC class or name).</summary>
public sealed record MedicationClassification(MedicationKind Kind, string? Ingredient, string How);

/// <summary>The list of <c>data/terminology/antineoplastic-agents.v1.json</c>: decides whether a medication is cancer therapy.</summary>
public sealed class AntineoplasticAgents
{
    private readonly Dictionary<string, AntineoplasticAgent> _byRxNorm;
    private readonly List<(Regex Pattern, AntineoplasticAgent Agent)> _byName;
    private readonly IReadOnlyList<string> _atcPrefixes;

    internal AntineoplasticAgents(string version, IReadOnlyList<AntineoplasticAgent> agents, IReadOnlyList<string> atcPrefixes)
    {
        Version = version;
        Agents = agents;
        _atcPrefixes = atcPrefixes;
        _byRxNorm = agents.Where(a => a.RxNorm is not null).ToDictionary(a => a.RxNorm!, StringComparer.Ordinal);
        _byName = [.. agents.SelectMany(a => a.Synonyms.Prepend(a.Name).Select(n => (WholeWord(n), a)))
            .OrderByDescending(p => p.Item1.ToString().Length)];
    }

    public string Version { get; }

    public IReadOnlyList<AntineoplasticAgent> Agents { get; }

    /// <summary>Classifies a medication from its codings (RxNorm, WHO ATC) and words (text, displays).</summary>
    public MedicationClassification Classify(IReadOnlyList<CodedConcept> codings, string? text)
    {
        ArgumentNullException.ThrowIfNull(codings);
        foreach (var coding in codings.Where(c => c.System == CodeSystems.RxNorm))
        {
            if (_byRxNorm.TryGetValue(coding.Code, out var agent))
            {
                return Found(agent, $"RxNorm {coding.Code}");
            }
        }

        foreach (var coding in codings.Where(c => c.System == CodeSystems.WhoAtc))
        {
            if (Agents.FirstOrDefault(a => a.Atc.Contains(coding.Code, StringComparer.OrdinalIgnoreCase)) is { } agent)
            {
                return Found(agent, $"ATC {coding.Code}");
            }

            if (_atcPrefixes.Any(p => coding.Code.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
            {
                return new(MedicationKind.Antineoplastic, coding.Display ?? text ?? coding.Code, $"ATC {coding.Code} (antineoplastic or endocrine therapy class)");
            }
        }

        var words = string.Join(" | ", codings.Select(c => c.Display).Append(text).Where(w => !string.IsNullOrWhiteSpace(w)));
        foreach (var (pattern, agent) in _byName)
        {
            if (pattern.IsMatch(words))
            {
                return Found(agent, $"the name '{pattern.Match(words).Value}'");
            }
        }

        return new(MedicationKind.NotAntineoplastic, null, "not an antineoplastic agent (WHO ATC L01/L02 or the therapy catalog)");
    }

    private static MedicationClassification Found(AntineoplasticAgent agent, string how) =>
        new(agent.RegimenCompanion ? MedicationKind.RegimenCompanion : MedicationKind.Antineoplastic, agent.Name, how);

    private static Regex WholeWord(string name) =>
        new(@"(?<![\p{L}\p{N}])" + Regex.Escape(name) + @"(?![\p{L}\p{N}])", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(200));
}
