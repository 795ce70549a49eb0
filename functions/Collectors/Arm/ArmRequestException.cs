using System.Text.Json;

namespace Collectors.Arm;

/// <summary>An ARM (or Graph) call answered with an error after the retry policy gave up.</summary>
internal sealed class ArmRequestException(int status, string? code, string message, Uri url)
    : Exception($"{status} {code}: {message}")
{
    public int Status { get; } = status;

    public string? Code { get; } = code;

    public string ServiceMessage { get; } = message;

    public Uri Url { get; } = url;

    /// <summary>Reads ARM's {"error":{"code","message"}} (or Graph's, which has the same shape).</summary>
    public static ArmRequestException From(int status, ReadOnlyMemory<byte> body, Uri url)
    {
        string? code = null;
        var message = $"HTTP {status}";
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                code = error.TryGetProperty("code", out var c) ? c.ToString() : null;
                message = error.TryGetProperty("message", out var m) ? m.ToString() : message;
            }
        }
        catch (JsonException)
        {
            // Not JSON (a gateway page): keep the status.
        }

        return new ArmRequestException(status, code, message, url);
    }
}
