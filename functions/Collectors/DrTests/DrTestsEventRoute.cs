using System.Globalization;
using System.Text.Json;
using Collectors.Events;
using Microsoft.Extensions.Options;

namespace Collectors.DrTests;

/// <summary>
/// <c>Collectors.DrTest.Completed</c> events (schemas/collectors.drtest.v1.schema.json) into
/// <c>dr-tests/drills</c>, ordered by <c>data.endedAt</c>. One stream for every workload, so the
/// overdue check sees a configured workload that has never been drilled. Validation refuses what a
/// check could not judge honestly: missing or mistyped fields, impossible values, times in the future.
/// </summary>
internal sealed class DrTestsEventRoute(TimeProvider time, IOptions<DrTestsOptions> options) : IEventRoute
{
    public const string Id = "dr-tests";
    public const string Scope = "drills";
    public const string CompletedType = "Collectors.DrTest.Completed";

    /// <summary>
    /// A drill report needs a few hundred bytes; 32 KiB leaves room for notes and links while keeping the event
    /// well inside a Storage queue message (64 KiB, less after Base64). A larger event is refused.
    /// </summary>
    public const int MaxEventBytes = 32 * 1024;

    /// <summary>The scenarios of schemas/collectors.drtest.v1.schema.json.</summary>
    public static readonly IReadOnlyList<string> Scenarios =
        ["region-failover", "zone-failover", "database-restore", "backup-restore", "service-failover", "data-corruption-recovery", "other"];

    public static readonly IReadOnlyList<string> Results = ["passed", "failed"];

    public string Collector => Id;

    /// <summary>From collector.json, like everything else about the collector.</summary>
    public IReadOnlyList<string> Criteria { get; } = Catalog.CollectorDescriptor.For(typeof(DrTestsEventRoute)).Criteria;

    public IReadOnlyCollection<string> EventTypes { get; } = [CompletedType];

    public EventPlacement Place(EventEnvelope envelope)
    {
        var drill = DrTestReport.Read(envelope.Data, out var problems);
        var latest = time.GetUtcNow().AddMinutes(Math.Max(0, options.Value.MaxClockSkewMinutes));
        if (envelope.Raw.Length > MaxEventBytes)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"the event is {envelope.Raw.Length} bytes, more than the {MaxEventBytes} a DR test report may take"));
        }

        if (envelope.Time is { } sent && sent > latest)
        {
            problems.Add($"the event time {Iso(sent)} lies in the future");
        }

        if (drill is not null)
        {
            if (drill.EndedAt < drill.StartedAt)
            {
                problems.Add($"data.endedAt {Iso(drill.EndedAt)} is before data.startedAt {Iso(drill.StartedAt)}");
            }

            if (drill.EndedAt > latest)
            {
                problems.Add($"data.endedAt {Iso(drill.EndedAt)} lies in the future");
            }

            if (drill.StartedAt > latest)
            {
                problems.Add($"data.startedAt {Iso(drill.StartedAt)} lies in the future");
            }
        }

        return problems.Count > 0 || drill is null
            ? EventPlacement.Reject($"{envelope.ShownType} event {envelope.ShownId} is not a valid DR test report: {string.Join("; ", problems)} (see schemas/collectors.drtest.v1.schema.json)")
            : EventPlacement.Accept(Scope, drill.EndedAt, $"DR drill {UntrustedText.Shown(drill.DrillId)} of workload {UntrustedText.Shown(drill.Workload)} ({drill.Scenario}, {drill.Result}).");
    }

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
}

/// <summary>The fields of a DR test report that the route validates and the checks judge.</summary>
internal sealed partial record DrTestReport(
    string DrillId,
    string Workload,
    string Scenario,
    DateTimeOffset StartedAt,
    DateTimeOffset EndedAt,
    double TargetRtoMinutes,
    double? AchievedRtoMinutes,
    double TargetRpoMinutes,
    double? AchievedRpoMinutes,
    string Result,
    string RunBy)
{
    public bool Passed => Result == "passed";

    /// <summary>Reads data; null with the problems when a required field is missing or mistyped.</summary>
    public static DrTestReport? Read(JsonElement? data, out List<string> problems)
    {
        problems = [];
        if (data is not { ValueKind: JsonValueKind.Object } d)
        {
            problems.Add(data is null ? "it has no data" : $"data is a JSON {data.Value.ValueKind.ToString().ToLowerInvariant()}, not an object");
            return null;
        }

        var drillId = Text(d, "drillId", 200, problems);
        var workload = Text(d, "workload", 100, problems);
        var runBy = Text(d, "runBy", 256, problems);
        var scenario = Choice(d, "scenario", DrTestsEventRoute.Scenarios, problems);
        var result = Choice(d, "result", DrTestsEventRoute.Results, problems);
        var started = Instant(d, "startedAt", problems);
        var ended = Instant(d, "endedAt", problems);
        var targetRto = Minutes(d, "targetRtoMinutes", required: true, problems);
        var targetRpo = Minutes(d, "targetRpoMinutes", required: true, problems);

        // A drill that failed may not have recovered at all, so it may not know what it achieved.
        var achievedRequired = result != "failed";
        var achievedRto = Minutes(d, "achievedRtoMinutes", achievedRequired, problems);
        var achievedRpo = Minutes(d, "achievedRpoMinutes", achievedRequired, problems);

        if (d.TryGetProperty("links", out var links))
        {
            if (links.ValueKind != JsonValueKind.Array)
            {
                problems.Add("data.links must be an array of URLs");
            }
            else
            {
                var i = 0;
                foreach (var link in links.EnumerateArray())
                {
                    if (link.ValueKind != JsonValueKind.String || !Uri.TryCreate(link.GetString(), UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
                    {
                        problems.Add(string.Create(CultureInfo.InvariantCulture, $"data.links[{i}] is not an absolute http(s) URL: {link.GetRawText()}"));
                    }

                    i++;
                }
            }
        }

        if (problems.Count > 0)
        {
            return null;
        }

        return new DrTestReport(drillId!, workload!, scenario!, started!.Value, ended!.Value, targetRto!.Value, achievedRto, targetRpo!.Value, achievedRpo, result!, runBy!);
    }

    private static string? Text(JsonElement d, string name, int maxLength, List<string> problems)
    {
        if (!d.TryGetProperty(name, out var value))
        {
            problems.Add($"data.{name} is missing");
            return null;
        }

        if (value.ValueKind != JsonValueKind.String || value.GetString()!.Trim().Length == 0)
        {
            problems.Add($"data.{name} must be a non-empty string, not {Shown(value)}");
            return null;
        }

        if (value.GetString()!.Length > maxLength)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"data.{name} is longer than {maxLength} characters"));
            return null;
        }

        return value.GetString()!.Trim();
    }

    private static string? Choice(JsonElement d, string name, IReadOnlyList<string> allowed, List<string> problems)
    {
        var text = Text(d, name, 100, problems);
        if (text is null)
        {
            return null;
        }

        if (!allowed.Contains(text, StringComparer.Ordinal))
        {
            problems.Add($"data.{name} '{text}' is not one of {string.Join(", ", allowed)}");
            return null;
        }

        return text;
    }

    private static DateTimeOffset? Instant(JsonElement d, string name, List<string> problems)
    {
        if (!d.TryGetProperty(name, out var value))
        {
            problems.Add($"data.{name} is missing");
            return null;
        }

        // RFC 3339 demands an offset (a bare local time would be read in whatever zone the publisher was in) and
        // allows any number of fraction digits (Go writes nine); .NET keeps seven, so the rest is cut, not rounded.
        var text = value.ValueKind == JsonValueKind.String ? value.GetString()! : string.Empty;
        var match = Rfc3339().Match(text);
        if (!match.Success
            || !DateTimeOffset.TryParseExact(
                $"{match.Groups["date"].Value}T{match.Groups["time"].Value}.{(match.Groups["fraction"].Value + "0000000")[..7]}{(match.Groups["zone"].Value is "z" ? "Z" : match.Groups["zone"].Value)}",
                "yyyy-MM-dd'T'HH:mm:ss.fffffffK", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            problems.Add($"data.{name} must be an RFC 3339 timestamp with a time zone (e.g. 2026-11-20T14:05:00Z), not {Shown(value)}");
            return null;
        }

        if (parsed.Year < 2000)
        {
            problems.Add($"data.{name} {value.GetString()} is before the year 2000");
            return null;
        }

        return parsed.ToUniversalTime();
    }

    private static double? Minutes(JsonElement d, string name, bool required, List<string> problems)
    {
        if (!d.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                problems.Add($"data.{name} is missing");
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var minutes) || !double.IsFinite(minutes))
        {
            problems.Add($"data.{name} must be a number of minutes, not {Shown(value)}");
            return null;
        }

        if (minutes < 0)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"data.{name} {minutes} is negative"));
            return null;
        }

        // Ten years: beyond that the value is a unit mistake (seconds or milliseconds), not a recovery time.
        if (minutes > 5_256_000)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"data.{name} {minutes} is more than ten years of minutes"));
            return null;
        }

        return minutes;
    }

    [System.Text.RegularExpressions.GeneratedRegex("^(?<date>\\d{4}-\\d{2}-\\d{2})[Tt](?<time>\\d{2}:\\d{2}:\\d{2})(?:\\.(?<fraction>\\d{1,7})\\d*)?(?<zone>[Zz]|[+-]\\d{2}:\\d{2})$")]
    private static partial System.Text.RegularExpressions.Regex Rfc3339();

    private static string Shown(JsonElement value)
    {
        var raw = value.GetRawText();
        return raw.Length > 60 ? raw[..60] + "…" : raw;
    }
}
