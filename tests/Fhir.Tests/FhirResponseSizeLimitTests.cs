using System.Net;
using System.Text;
using Precision.Clinical;

namespace Precision.Fhir.Tests;

/// <summary>The response size limit of the FHIR HttpClient pipeline, with and without a declared length.</summary>
public sealed class FhirResponseSizeLimitTests
{
    private static readonly string LongPatient =
        $$"""{"resourceType":"Patient","id":"p1","name":[{"text":"{{new string('a', 3_000)}}"}]}""";

    [Fact]
    public async System.Threading.Tasks.Task A_declared_length_over_the_limit_fails_before_the_body_is_read()
    {
        using var client = Client(1_000, LongPatient, declareLength: true, out var served);

        var error = await Assert.ThrowsAsync<FhirResponseTooLargeException>(() => client.GetAsync(new Uri("http://fhir.test/Patient/p1")));

        Assert.Equal(1_000, error.MaxBytes);
        Assert.False(served.BodyRead);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_body_without_a_length_fails_once_it_passes_the_limit()
    {
        using var client = Client(1_000, LongPatient, declareLength: false, out _);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => client.GetAsync(new Uri("http://fhir.test/Patient/p1")));

        Assert.IsType<HttpRequestException>(error); // HttpClient wraps what the content stream throws while buffering
        Assert.Equal(1_000, FhirResponseTooLargeException.Find(error)?.MaxBytes);
    }

    [Fact]
    public async System.Threading.Tasks.Task A_body_within_the_limit_comes_through_whole()
    {
        using var client = Client(10_000, LongPatient, declareLength: false, out _);

        using var response = await client.GetAsync(new Uri("http://fhir.test/Patient/p1"));

        Assert.Equal(LongPatient, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async System.Threading.Tasks.Task The_rest_source_reports_a_too_large_response_naming_the_setting(bool declareLength)
    {
        using var client = Client(1_000, LongPatient, declareLength, out _);
        var source = new FhirRestPatientSource(client, new FhirSourceOptions { BaseUrl = new Uri("http://fhir.test/"), MaxResponseBytes = 1_000 });

        var error = await Assert.ThrowsAsync<FhirSourceException>(() => source.ReadAsync("p1"));

        Assert.Equal(PatientRecordFailure.RecordTooLarge, error.Failure);
        Assert.Equal("FHIR server http://fhir.test/ answered GET Patient/p1 with more than 1,000 bytes, the most the portal reads in one response (Fhir:MaxResponseBytes). Tell your administrator: a smaller Fhir:SearchPageSize or a larger limit may help.", error.Message);
        Assert.Equal(["GET Patient/p1"], error.Queries);
    }

    private static HttpClient Client(long maxBytes, string body, bool declareLength, out Served served)
    {
        served = new Served(body, declareLength);
#pragma warning disable CA2000 // the client disposes its handlers
        return new HttpClient(new FhirResponseSizeLimitHandler(maxBytes) { InnerHandler = served });
#pragma warning restore CA2000
    }

    /// <summary>Answers every request with the body, as a stream that records whether it was read.</summary>
    private sealed class Served(string body, bool declareLength) : HttpMessageHandler
    {
        public bool BodyRead { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            var stream = new ReadRecordingStream(bytes, () => BodyRead = true);
            var content = new StreamContent(stream);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/fhir+json");
            if (declareLength)
            {
                content.Headers.ContentLength = bytes.Length;
            }

            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content, RequestMessage = request });
        }
    }

    /// <summary>Not seekable, so nothing can compute a length the server did not declare (as with chunked transfer).</summary>
    private sealed class ReadRecordingStream(byte[] bytes, Action onRead) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;

        public override int Read(byte[] buffer, int offset, int count)
        {
            onRead();
            return base.Read(buffer, offset, count);
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            onRead();
            return base.ReadAsync(buffer, cancellationToken);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            onRead();
            return base.ReadAsync(buffer, offset, count, cancellationToken);
        }
    }
}
