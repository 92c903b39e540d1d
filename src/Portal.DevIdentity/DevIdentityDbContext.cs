using Microsoft.EntityFrameworkCore;

namespace Precision.Portal.DevIdentity;

/// <summary>In-memory OpenIddict store: clients, authorizations and tokens live as long as the process.</summary>
internal sealed class DevIdentityDbContext(DbContextOptions<DevIdentityDbContext> options) : DbContext(options);
