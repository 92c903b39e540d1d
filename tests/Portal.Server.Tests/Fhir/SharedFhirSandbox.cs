using System.Net.Http.Headers;
using System.Text.Json;
using Precision.Portal.Testing;

namespace Precision.Portal.Server.Tests.Fhir;

/// <summary>One sandbox loaded with the hand-written test bundle, shared by the tests that only read it.</summary>
public sealed class SharedFhirSandbox : IAsyncLifetime
{
    private FhirSandbox? _sandbox;

    public FhirSandbox Sandbox => _sandbox ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync() => _sandbox = await FhirSandbox.StartAsync(FhirSandbox.TestDataDirectory);

    public async Task DisposeAsync()
    {
        if (_sandbox is not null)
        {
            await _sandbox.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class FhirSandboxGroup : ICollectionFixture<SharedFhirSandbox>
{
    public const string Name = "FHIR sandbox";
}

internal static class Fhir
{
    public static HttpClient Client(Uri baseUrl, TimeSpan? timeout = null)
    {
        var client = new HttpClient { BaseAddress = baseUrl, Timeout = timeout ?? TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/fhir+json"));
        return client;
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public static async Task<JsonElement> GetJsonAsync(HttpClient client, string relativeOrAbsolute)
    {
        using var response = await client.GetAsync(new Uri(relativeOrAbsolute, UriKind.RelativeOrAbsolute));
        var json = await JsonAsync(response);
        Assert.True(response.IsSuccessStatusCode, $"GET {relativeOrAbsolute} answered {(int)response.StatusCode}: {json}");
        return json;
    }

    public static string? Link(JsonElement bundle, string relation) =>
        bundle.TryGetProperty("link", out var links)
            ? links.EnumerateArray().Where(l => l.GetProperty("relation").GetString() == relation)
                .Select(l => l.GetProperty("url").GetString()).FirstOrDefault()
            : null;

    public static IReadOnlyList<JsonElement> Entries(JsonElement bundle) =>
        bundle.TryGetProperty("entry", out var entries) ? [.. entries.EnumerateArray()] : [];

    public static IReadOnlyList<JsonElement> Matches(JsonElement bundle) =>
        [.. Entries(bundle).Where(e => e.GetProperty("search").GetProperty("mode").GetString() == "match")];

    public static string Id(JsonElement entry) => entry.GetProperty("resource").GetProperty("id").GetString()!;

    /// <summary>Follows <c>next</c> links from a first search page to the end; returns every page.</summary>
    public static async Task<IReadOnlyList<JsonElement>> AllPagesAsync(HttpClient client, string firstPage, int maxPages = 50)
    {
        var pages = new List<JsonElement>();
        string? next = firstPage;
        while (next is not null)
        {
            Assert.True(pages.Count < maxPages, "Paging did not end.");
            var page = await GetJsonAsync(client, next);
            pages.Add(page);
            next = Link(page, "next");
        }

        return pages;
    }
}
