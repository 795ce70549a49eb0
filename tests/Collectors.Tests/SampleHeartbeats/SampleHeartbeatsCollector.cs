using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Collectors.Catalog;
using Collectors.Evidence;
using Collectors.Findings;
using Collectors.Runtime;
using Microsoft.Extensions.Options;

namespace Collectors.Tests.SampleHeartbeats;

/// <summary>Section <c>Collectors:SampleHeartbeats</c>.</summary>
public sealed class SampleHeartbeatsOptions
{
    public List<string> Services { get; } = [];

    /// <summary>Heartbeat instants (UTC, on the five-minute grid) recorded as missed.</summary>
    public List<DateTimeOffset> Missed { get; } = [];
}

/// <summary>
/// A collector that lives only in the test project: this folder (collector.json, this file) and one line,
/// <c>services.AddCollector&lt;SampleHeartbeatsCollector&gt;()</c>, make it a collector the runtime plans and
/// commits, <c>collectors list</c> and <c>collectors run sample-heartbeats</c> know, the daily summary covers
/// (A1.1) and judges, and the convention test walks. Its source is generated here, not a service.
/// </summary>
public sealed class SampleHeartbeatsCollector(IOptions<SampleHeartbeatsOptions> options) : IWindowedCollector, ICollectorChecks
{
    public const string Id = "sample-heartbeats";

    private static readonly TimeSpan Every = TimeSpan.FromMinutes(5);

    string ICollector.Id => Id;

    string ICollectorChecks.CollectorId => Id;

    public Task<IReadOnlyList<CollectorStream>> StreamsAsync(IReadOnlyList<string>? only, CancellationToken cancellationToken)
    {
        var services = only is { Count: > 0 } ? only : options.Value.Services;
        if (services.Count == 0)
        {
            throw new ArgumentException("No service is configured: set Collectors__SampleHeartbeats__Services__0.");
        }

        IReadOnlyList<CollectorStream> streams = [.. services.Select(s => new CollectorStream(new EvidenceStream(Id, s), s))];
        return Task.FromResult(streams);
    }

    public Task<CollectorStream> StreamAsync(string key, CancellationToken cancellationToken) =>
        Task.FromResult(new CollectorStream(new EvidenceStream(Id, key), key));

    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAsync(CollectorStream stream, TimeWindow window, SourceLog log, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        log.AddRequest(new SourceRequest("GENERATE", $"heartbeats://{stream.Key}", null, $"at >= {TimeWindow.Iso(window.Start)} and at < {TimeWindow.Iso(window.End)}"));
        log.AddPage();
        for (var at = window.Start; at < window.End; at += Every)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var status = options.Value.Missed.Contains(at) ? "missed" : "ok";
            yield return Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $$"""{"id":"{{stream.Key}}-{{at:yyyyMMddHHmm}}","service":"{{stream.Key}}","at":"{{TimeWindow.Iso(at)}}","status":"{{status}}"}"""));
            await Task.Yield();
        }

        log.MarkComplete();
    }

    public async Task<IReadOnlyList<Finding>> EvaluateAsync(EvidenceReader reader, EvidenceStream stream, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var findings = new List<Finding>();
        await foreach (var record in reader.RecordsInRangeAsync(stream, from, to, cancellationToken).ConfigureAwait(false))
        {
            using var document = JsonDocument.Parse(record.Json);
            var root = document.RootElement;
            if (root.GetProperty("status").GetString() == "missed")
            {
                var id = root.GetProperty("id").GetString()!;
                findings.Add(new Finding(SampleHeartbeatsChecks.Missed, "A1.1", Severity.Medium, "A service missed a heartbeat", $"{root.GetProperty("service").GetString()} at {root.GetProperty("at").GetString()}", stream.Name, record.Manifest, id, root.GetProperty("at").GetDateTimeOffset()));
            }
        }

        return findings;
    }
}

/// <summary>The check ids this collector emits (declared in its collector.json).</summary>
public static class SampleHeartbeatsChecks
{
    public const string Missed = "heartbeat-missed";
}
