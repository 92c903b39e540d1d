using System.Text.Json;
using Microsoft.Playwright;
using Precision.Portal.Testing;

namespace Precision.Portal.EndToEnd.Tests;

/// <summary>One axe-core finding: a rule, how bad it is, and where.</summary>
public sealed record AccessibilityViolation(string Rule, string Impact, string Help, IReadOnlyList<string> Targets)
{
    public override string ToString() => $"{Impact} {Rule}: {Help} at {string.Join(" | ", Targets)}";
}

/// <summary>
/// Runs axe-core (npm, installed by the test command into infra/test/accessibility) in the page against the WCAG 2.0/2.1
/// A and AA rules. It is evaluated over the DevTools protocol, so the portal's Content-Security-Policy stays on.
/// </summary>
public static class AccessibilityScan
{
    private static readonly Lazy<string> AxeSource = new(() =>
    {
        var path = Path.Combine(RepositoryRoot.Path, "infra", "test", "accessibility", "node_modules", "axe-core", "axe.min.js");
        return File.Exists(path)
            ? File.ReadAllText(path)
            : throw new FileNotFoundException($"axe-core is not installed at {path}: run `npm ci` in infra/test/accessibility (the test command does).");
    });

    /// <summary>Serious and critical violations on the page as it is now.</summary>
    public static async Task<IReadOnlyList<AccessibilityViolation>> SeriousViolationsAsync(IPage page)
    {
        ArgumentNullException.ThrowIfNull(page);
        await page.EvaluateAsync(AxeSource.Value);
        var result = await page.EvaluateAsync<JsonElement>("""
            async () => {
              const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
              return r.violations.map(v => ({ rule: v.id, impact: v.impact || 'unknown', help: v.help, targets: v.nodes.slice(0, 5).map(n => n.target.join(' ')) }));
            }
            """);
        return [.. result.EnumerateArray()
            .Select(v => new AccessibilityViolation(
                v.GetProperty("rule").GetString()!,
                v.GetProperty("impact").GetString()!,
                v.GetProperty("help").GetString()!,
                [.. v.GetProperty("targets").EnumerateArray().Select(t => t.GetString()!)]))
            .Where(v => v.Impact is "serious" or "critical")];
    }
}
