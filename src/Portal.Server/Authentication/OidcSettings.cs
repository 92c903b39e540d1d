namespace Precision.Portal.Server.Authentication;

/// <summary>The <c>Oidc</c> configuration section.</summary>
public sealed class OidcSettings
{
    public const string SectionName = "Oidc";

    public string? Authority { get; set; }

    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    /// <summary>Plain-http authorities are accepted only on loopback unless this is explicitly false.</summary>
    public bool? RequireHttpsMetadata { get; set; }
}

/// <summary>Thrown at start when the portal's configuration cannot work; the message says which setting to fix.</summary>
public sealed class PortalConfigurationException : Exception
{
    public PortalConfigurationException(string message)
        : base(message)
    {
    }

    public PortalConfigurationException()
    {
    }

    public PortalConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
