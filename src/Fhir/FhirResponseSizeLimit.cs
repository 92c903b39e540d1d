using System.Net;

namespace Precision.Fhir;

/// <summary>
/// Bounds every FHIR response body: a declared <c>Content-Length</c> over the limit fails at once, and a body without one
/// fails as soon as more than the limit has been read, so a misbehaving server cannot make the portal buffer without end.
/// Put it in the FHIR <see cref="HttpClient"/>'s pipeline outside the retry handler: a too-large answer is not retried.
/// </summary>
public sealed class FhirResponseSizeLimitHandler : DelegatingHandler
{
    private readonly long _maxBytes;

    public FhirResponseSizeLimitHandler(long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        _maxBytes = maxBytes;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var content = response.Content;
        if (content.Headers.ContentLength is { } length && length > _maxBytes)
        {
            response.Dispose();
            throw new FhirResponseTooLargeException(_maxBytes);
        }

        response.Content = new LimitedContent(content, _maxBytes);
        return response;
    }

    /// <summary>The original content behind a stream that throws once more than the limit has been read.</summary>
    private sealed class LimitedContent : HttpContent
    {
        private readonly HttpContent _inner;
        private readonly long _maxBytes;

        public LimitedContent(HttpContent inner, long maxBytes)
        {
            _inner = inner;
            _maxBytes = maxBytes;
            foreach (var header in inner.Headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            await SerializeToStreamAsync(stream, context, CancellationToken.None).ConfigureAwait(false);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            var source = await _inner.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (source.ConfigureAwait(false))
            {
                var buffer = new byte[81920];
                long total = 0;
                int read;
                while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    total += read;
                    if (total > _maxBytes)
                    {
                        throw new FhirResponseTooLargeException(_maxBytes);
                    }

                    await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _inner.Headers.ContentLength ?? -1;
            return length >= 0;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}

/// <summary>A FHIR response body was larger than <see cref="MaxBytes"/>; thrown by <see cref="FhirResponseSizeLimitHandler"/>.</summary>
public sealed class FhirResponseTooLargeException : IOException
{
    public FhirResponseTooLargeException(long maxBytes)
        : base($"The FHIR response is larger than {maxBytes} bytes.") => MaxBytes = maxBytes;

    public FhirResponseTooLargeException()
    {
    }

    public FhirResponseTooLargeException(string message)
        : base(message)
    {
    }

    public FhirResponseTooLargeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public long MaxBytes { get; }

    /// <summary>This exception wherever it sits in <paramref name="exception"/>'s chain of inner exceptions (HttpClient wraps it).</summary>
    public static FhirResponseTooLargeException? Find(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is FhirResponseTooLargeException found)
            {
                return found;
            }
        }

        return null;
    }
}
