using System.Net.Http.Headers;
using System.Text.Json;
using Precision.Fhir;

namespace Precision.Portal.Server.Patients;

/// <summary>Adds the FHIR server's bearer token to each request.</summary>
internal sealed class ClientCredentialsTokenHandler(FhirAccessTokens tokens) : DelegatingHandler
{
    internal const string TokenHttpClient = "fhir-token";

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await tokens.GetAsync(cancellationToken));
        return await base.SendAsync(request, cancellationToken);
    }
}

/// <summary>Access tokens by OAuth client credentials (SMART Backend Services style), cached until shortly before they expire.</summary>
internal sealed class FhirAccessTokens(FhirSourceOptions options, IHttpClientFactory httpClients) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _token;
    private DateTimeOffset _expiresAt;

    public void Dispose() => _gate.Dispose();

    public async Task<string> GetAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_token is not null && _expiresAt > DateTimeOffset.UtcNow.AddSeconds(30))
            {
                return _token;
            }

            using var form = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["client_id"] = options.ClientId ?? string.Empty,
                ["client_secret"] = options.ClientSecret ?? string.Empty,
            });
            using var response = await httpClients.CreateClient(ClientCredentialsTokenHandler.TokenHttpClient).PostAsync(options.TokenEndpoint, form, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"The FHIR token endpoint {options.TokenEndpoint} refused the portal's client credentials (HTTP {(int)response.StatusCode}). Check Fhir:ClientId and Fhir:ClientSecret.");
            }

            using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
            _token = json.RootElement.TryGetProperty("access_token", out var token) ? token.GetString() : null;
            if (string.IsNullOrEmpty(_token))
            {
                throw new HttpRequestException($"The FHIR token endpoint {options.TokenEndpoint} returned no access_token.");
            }

            var lifetime = json.RootElement.TryGetProperty("expires_in", out var expires) && expires.TryGetInt32(out var seconds) ? seconds : 300;
            _expiresAt = DateTimeOffset.UtcNow.AddSeconds(lifetime);
            return _token;
        }
        finally
        {
            _gate.Release();
        }
    }
}
