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

    /// <summary>Nothing this product stores or reads is older: the earliest date or instant an option accepts.</summary>
    public static readonly DateTimeOffset Earliest = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Parses a UTC instant: 2026-11-25, 2026-11-25T06:00Z or any ISO-8601 with an offset (converted to UTC),
    /// from <see cref="Earliest"/> up to now (no evidence exists for the future).
    /// </summary>
    public static DateTimeOffset ParseInstant(string text, string option)
    {
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
        {
            throw new CliUsageException($"{option} '{text}' is not a date or time. Use ISO-8601 UTC, e.g. 2026-11-25 or 2026-11-25T06:00:00Z.");
        }

        var utc = value.ToUniversalTime();
        var now = TimeProvider.System.GetUtcNow();
        if (utc < Earliest)
        {
            throw new CliUsageException($"{option} '{text}' is before {Iso(Earliest)}: no evidence is that old. Give a UTC instant from {Iso(Earliest)} to now.");
        }

        if (utc > now)
        {
            throw new CliUsageException($"{option} '{text}' is in the future (now is {Iso(now)}): no evidence exists yet. Give a UTC instant no later than now, or leave the option out.");
        }

        return utc;
    }

    /// <summary>Parses a UTC day (yyyy-MM-dd) that has ended: from <see cref="Earliest"/> to yesterday.</summary>
    public static DateOnly ParseDay(string text, string option)
    {
        if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            throw new CliUsageException($"{option} '{text}' is not a day; use yyyy-MM-dd, e.g. 2026-11-25.");
        }

        var earliest = DateOnly.FromDateTime(Earliest.UtcDateTime);
        var yesterday = DateOnly.FromDateTime(TimeProvider.System.GetUtcNow().UtcDateTime).AddDays(-1);
        if (day < earliest)
        {
            throw new CliUsageException($"{option} {text} is before {earliest:yyyy-MM-dd}: no evidence is that old. Give a day from {earliest:yyyy-MM-dd} to {yesterday:yyyy-MM-dd}.");
        }

        if (day > yesterday)
        {
            throw new CliUsageException($"{option} {text} has not ended yet (UTC). Give a past day, {yesterday:yyyy-MM-dd} at the latest.");
        }

        return day;
    }

    private static string Iso(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}

/// <summary>A usage or configuration error: exit code 2.</summary>
internal sealed class CliUsageException(string message) : Exception(message);
