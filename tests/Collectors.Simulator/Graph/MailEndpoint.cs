using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;

namespace Collectors.Simulator.Graph;

/// <summary>A message the simulator accepted through sendMail.</summary>
public sealed record CapturedMail(string Sender, string Subject, IReadOnlyList<string> To, string Html, string JsonPath, string HtmlPath);

/// <summary>
/// POST /v1.0/users/{sender}/sendMail: accepts the message (202, as Graph does) and writes it to disk,
/// the request JSON and the HTML body, so tests and the demo can show exactly what was sent.
/// </summary>
public sealed class MailEndpoint(string directory, bool refuse)
{
    private readonly ConcurrentQueue<CapturedMail> _sent = new();
    private int _count;

    public string Directory => directory;

    public IReadOnlyCollection<CapturedMail> Sent => _sent;

    public async Task HandleAsync(HttpContext context, string sender)
    {
        if (refuse)
        {
            await GraphEndpoints.WriteErrorAsync(context, 403, "ErrorAccessDenied", "Access to OData is disabled: the app may not send as this mailbox.");
            return;
        }

        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        string subject, html;
        List<string> to;
        try
        {
            using var document = JsonDocument.Parse(body);
            // Graph matches property names without regard to case (the .NET SDK sends "Message").
            var message = Get(document.RootElement, "message");
            subject = Get(message, "subject").GetString() ?? string.Empty;
            html = Get(Get(message, "body"), "content").GetString() ?? string.Empty;
            to = [.. Get(message, "toRecipients").EnumerateArray().Select(r => Get(Get(r, "emailAddress"), "address").GetString() ?? string.Empty)];
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            await GraphEndpoints.WriteErrorAsync(context, 400, "ErrorInvalidRequest", $"The sendMail body is not a valid message: {ex.Message}");
            return;
        }

        System.IO.Directory.CreateDirectory(directory);
        var n = Interlocked.Increment(ref _count);
        var stem = Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"mail-{n:D3}"));
        await File.WriteAllTextAsync(stem + ".json", body);
        await File.WriteAllTextAsync(stem + ".html", html);
        _sent.Enqueue(new CapturedMail(sender, subject, to, html, stem + ".json", stem + ".html"));
        context.Response.StatusCode = 202;
    }

    private static JsonElement Get(JsonElement element, string name) =>
        element.EnumerateObject().FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) is { Value.ValueKind: not JsonValueKind.Undefined } property
            ? property.Value
            : throw new KeyNotFoundException($"'{name}' is missing.");
}
