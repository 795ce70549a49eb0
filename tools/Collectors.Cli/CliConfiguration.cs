using System.Globalization;
using Collectors.Configuration;
using Microsoft.Extensions.Configuration;

namespace Collectors.Cli;

/// <summary>
/// The same configuration contract as the Functions app: appsettings.json in the current directory,
/// then environment variables (Evidence__ConnectionString, Azure__Credential, …), then command-line options.
/// </summary>
internal static class CliConfiguration
{
    private static readonly AsyncLocal<IReadOnlyDictionary<string, string?>?> s_layer = new();

    /// <summary>Settings given by the embedding caller, between the environment and the command line.</summary>
    public static IReadOnlyDictionary<string, string?>? Layer { get => s_layer.Value; set => s_layer.Value = value; }

    public static IConfiguration Build(IDictionary<string, string?> overrides) =>
        new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .AddInMemoryCollection(Layer ?? new Dictionary<string, string?>())
            .AddInMemoryCollection(overrides.Where(p => p.Value is not null))
            .Build();

    public static (EvidenceOptions Evidence, AzureOptions Azure) Bind(IConfiguration configuration)
    {
        var evidence = new EvidenceOptions();
        configuration.GetSection(EvidenceOptions.SectionName).Bind(evidence);
        var azure = new AzureOptions();
        configuration.GetSection(AzureOptions.SectionName).Bind(azure);
        return (evidence, azure);
    }

    /// <summary>Parses a UTC instant: 2026-11-25, 2026-11-25T06:00Z or any ISO-8601 with an offset (converted to UTC).</summary>
    public static DateTimeOffset ParseInstant(string text, string option)
    {
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
        {
            return value.ToUniversalTime();
        }

        throw new CliUsageException($"{option} '{text}' is not a date or time. Use ISO-8601 UTC, e.g. 2026-11-25 or 2026-11-25T06:00:00Z.");
    }
}

/// <summary>A usage or configuration error: exit code 2.</summary>
internal sealed class CliUsageException(string message) : Exception(message);
