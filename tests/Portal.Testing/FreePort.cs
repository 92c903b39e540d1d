using System.Net;
using System.Net.Sockets;

namespace Precision.Portal.Testing;

/// <summary>
/// Loopback ports for the servers tests start. Taken below Linux's ephemeral range (32768–60999), so an outgoing
/// connection (HTTP clients, the PostgreSQL driver) cannot grab the port between this check and the server's bind,
/// and never handed out twice in one test process.
/// </summary>
public static class FreePort
{
    private static readonly HashSet<int> Given = [];
    private static readonly object Gate = new();

    public static int Next()
    {
        lock (Gate)
        {
            for (var attempt = 0; attempt < 500; attempt++)
            {
                var port = Random.Shared.Next(20000, 32000);
                if (Given.Contains(port))
                {
                    continue;
                }

                try
                {
                    using var listener = new TcpListener(IPAddress.Loopback, port);
                    listener.Start();
                }
                catch (SocketException)
                {
                    continue;
                }

                Given.Add(port);
                return port;
            }
        }

        throw new InvalidOperationException("No free loopback port between 20000 and 32000 after 500 tries.");
    }
}
