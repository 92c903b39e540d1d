using Precision.Portal.DevIdentity;

namespace Precision.Portal.Server.Authentication;

/// <summary>Runs the embedded development identity provider beside the portal (Development only, no authority configured).</summary>
internal sealed class DevelopmentIdentityProviderHost(DevIdentityOptions options, ILoggerFactory loggerFactory, ILogger<DevelopmentIdentityProviderHost> logger)
    : IHostedService, IAsyncDisposable
{
    private DevIdentityProvider? _provider;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _provider = await DevIdentityProvider.StartAsync(options, loggerFactory, cancellationToken);
        logger.LogWarning("Development identity provider started at {Authority}. Demo users and their passwords are shown on its login page; never use it outside development.", _provider.Authority);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_provider is not null)
        {
            await _provider.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_provider is not null)
        {
            await _provider.DisposeAsync();
        }
    }
}
