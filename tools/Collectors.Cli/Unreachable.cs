using System.Globalization;
using System.Net.Http;
using Azure;

namespace Collectors.Cli;

/// <summary>
/// Nothing answered (connection refused, unknown host, TLS or network failure), after the SDK's retries:
/// a setting or the network to fix, said in one line rather than as a stack trace.
/// </summary>
internal static class Unreachable
{
    /// <summary>What to check when the command does not know which endpoint failed.</summary>
    public const string CheckSettings = "Check the endpoint settings (Evidence__ConnectionString or Evidence__BlobServiceUri; Azure__ResourceManagerEndpoint, Azure__GraphEndpoint), that the store is running (Azurite: eng/azurite.sh), the network, and any TLS-inspecting proxy (Azure__AdditionalTrustedCertificate).";

    /// <summary>True when the failure is, or wraps only, attempts that got no answer at all.</summary>
    public static bool Matches(Exception exception)
    {
        var attempts = Attempts(exception);
        return attempts.Count > 0 && attempts.All(a => a is RequestFailedException { Status: 0 } or HttpRequestException { StatusCode: null });
    }

    /// <summary>"Could not reach {what}: {reason} (N attempts). {check}"</summary>
    public static string Describe(Exception exception, string what, string check)
    {
        var attempts = Attempts(exception);
        var reason = attempts[^1].Message.Split('\n')[0].Trim().TrimEnd('.');
        var tries = attempts.Count > 1 ? string.Create(CultureInfo.InvariantCulture, $" ({attempts.Count} attempts)") : string.Empty;
        return $"Could not reach {what}: {reason}{tries}. {check}";
    }

    private static List<Exception> Attempts(Exception exception) =>
        exception is AggregateException aggregate ? [.. aggregate.Flatten().InnerExceptions] : [exception];
}
