using System.Globalization;
using System.Net;
using System.Text;

namespace Precision.Portal.DevIdentity;

/// <summary>The provider's login page: plain HTML, no scripts, demo credentials listed.</summary>
internal static class LoginPage
{
    public static string Render(IEnumerable<DevIdentityUser> users, string returnUrl, string antiforgeryField, string antiforgeryToken, string? error, string? userName)
    {
        var rows = new StringBuilder();
        foreach (var user in users)
        {
            rows.Append(CultureInfo.InvariantCulture,
                $"<tr><td><code>{Enc(user.UserName)}</code></td><td><code>{Enc(user.Password)}</code></td><td>{Enc(user.DisplayName)}</td><td>{Enc(string.Join(", ", user.Roles))}</td></tr>");
        }

        var errorBlock = error is null ? string.Empty : $"<p class=\"error\" role=\"alert\" id=\"login-error\">{Enc(error)}</p>";
        return $$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <meta name="viewport" content="width=device-width, initial-scale=1">
              <title>Sign in — Precision Portal development identity provider</title>
              <style>
                body { font-family: system-ui, sans-serif; background: #f4f6f8; color: #1b1f23; margin: 0; }
                main { max-width: 44rem; margin: 3rem auto; background: #fff; padding: 2rem 2.5rem; border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.15); }
                h1 { font-size: 1.4rem; margin-top: 0; }
                .dev { background: #fff4ce; border-left: 4px solid #8a6100; padding: .6rem 1rem; }
                label { display: block; margin-top: 1rem; font-weight: 600; }
                input[type=text], input[type=password] { width: 100%; padding: .5rem; font-size: 1rem; box-sizing: border-box; border: 1px solid #6b7280; border-radius: 4px; }
                button { margin-top: 1.2rem; padding: .6rem 1.4rem; font-size: 1rem; background: #0b5cad; color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
                table { border-collapse: collapse; width: 100%; margin-top: .5rem; }
                th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #d0d7de; }
                .error { color: #a40e26; font-weight: 600; }
              </style>
            </head>
            <body>
            <main>
              <h1>Sign in to Precision Portal</h1>
              <p class="dev">Development identity provider — for local use and tests only. Passwords are shown below on purpose.</p>
              {{errorBlock}}
              <form method="post" action="/account/login">
                <input type="hidden" name="{{Enc(antiforgeryField)}}" value="{{Enc(antiforgeryToken)}}">
                <input type="hidden" name="returnUrl" value="{{Enc(returnUrl)}}">
                <label for="username">User name</label>
                <input type="text" id="username" name="username" autocomplete="username" value="{{Enc(userName ?? string.Empty)}}" required>
                <label for="password">Password</label>
                <input type="password" id="password" name="password" autocomplete="current-password" required>
                <button type="submit" id="sign-in">Sign in</button>
              </form>
              <h2>Demo users</h2>
              <table>
                <thead><tr><th scope="col">User name</th><th scope="col">Password</th><th scope="col">Name</th><th scope="col">Role</th></tr></thead>
                <tbody>{{rows}}</tbody>
              </table>
            </main>
            </body>
            </html>
            """;
    }

    public static string SignedOut() => """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Signed out</title></head>
        <body style="font-family: system-ui, sans-serif"><main style="max-width: 40rem; margin: 3rem auto">
        <h1>You are signed out of the development identity provider.</h1>
        </main></body></html>
        """;

    private static string Enc(string value) => WebUtility.HtmlEncode(value);
}
