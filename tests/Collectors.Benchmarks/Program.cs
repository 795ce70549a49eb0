using Collectors;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Collectors.ActivityLog;
using Collectors.Arm;
using Collectors.Configuration;
using Collectors.Evidence;
using Collectors.Verification;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

// A measuring harness, run by eng/bench.sh once per case in a fresh process, so that each process's
// peak working set belongs to one case only. Prints one line of key=value figures.
var arguments = ParseArguments(args);
var scenario = args.Length > 0 ? args[0] : "writer";
var connectionString = Environment.GetEnvironmentVariable("AZURITE_CONNECTION_STRING")
    ?? throw new InvalidOperationException("Set AZURITE_CONNECTION_STRING (eng/bench.sh does).");
var suffix = Guid.NewGuid().ToString("N")[..10];
var options = new EvidenceOptions { ConnectionString = connectionString, Container = $"bench-{suffix}", StateContainer = $"bench-state-{suffix}", RequireImmutability = false };
var connection = EvidenceStoreConnection.Create(options, new AzureOptions());
var evidenceStore = new EvidenceStore(connection, options, NullLogger<EvidenceStore>.Instance);
using var signer = new Collectors.Signing.LocalSigner(connection.State!);
var writer = new EvidenceWriter(
    evidenceStore,
    new CheckpointStore(connection.State!, connection.Evidence, TimeProvider.System, NullLogger.Instance),
    new EvidenceSealer(evidenceStore, signer),
    TimeProvider.System,
    NullLogger<EvidenceWriter>.Instance);
using var process = Process.GetCurrentProcess();
try
{
    return scenario switch
    {
        "writer" => await WriterAsync(),
        "activity-log" => await ActivityLogAsync(),
        "entra-signins" => await EntraSignInsAsync(),
        "events" => await EventsAsync(),
        "fanout" => await FanoutAsync(),
        _ => Usage(),
    };
}
finally
{
    await connection.Evidence.DeleteIfExistsAsync();
    await connection.State!.DeleteIfExistsAsync();
}

// The late-arrival sweep the collectors are composed with (the benchmarks run backfills, which never sweep).
// The library composed as the Functions app composes it, against the simulator given on the command line.
async Task<IHost> HostAsync(params (string Key, string? Value)[] extra)
{
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
    var settings = new Dictionary<string, string?>
    {
        ["Evidence:ConnectionString"] = connectionString,
        ["Evidence:Container"] = options.Container,
        ["Evidence:StateContainer"] = options.StateContainer,
        ["Evidence:RequireImmutability"] = "false",
        ["Azure:Credential"] = "Simulator",
        ["Azure:ResourceManagerEndpoint"] = arguments["simulator"],
        ["Azure:GraphEndpoint"] = arguments["simulator"],
        ["Azure:AdditionalTrustedCertificate"] = arguments["cert"],
    };
    foreach (var (key, value) in extra)
    {
        settings[key] = value;
    }

    builder.Configuration.AddInMemoryCollection(settings);
    builder.AddCollectors();
    var host = builder.Build();
    await host.StartAsync();
    return host;
}

int Usage()
{
    Console.Error.WriteLine($"Unknown benchmark '{scenario}'. Known: writer, activity-log, entra-signins, events, fanout.");
    return 2;
}

async Task<int> WriterAsync()
{
    var count = long.Parse(arguments.GetValueOrDefault("records", "100000"), CultureInfo.InvariantCulture);
    var size = int.Parse(arguments.GetValueOrDefault("size", "1536"), CultureInfo.InvariantCulture);
    var stream = new EvidenceStream("bench", "writer");
    var window = new TimeWindow(new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 25, 1, 0, 0, TimeSpan.Zero));
    process.Refresh();
    var baseline = process.WorkingSet64;
    var clock = Stopwatch.StartNew();
    var result = await writer.CommitWindowAsync(new EvidenceBatch("bench", ["CC8.1"], stream, window), (log, ct) => Generate(count, size, log, ct), CancellationToken.None);
    var writeSeconds = clock.Elapsed.TotalSeconds;
    if (result.Status != CommitStatus.Committed)
    {
        Console.Error.WriteLine($"The commit did not succeed: {result.Status} {result.Reason}");
        return 1;
    }

    process.Refresh();
    var peakAfterWrite = process.PeakWorkingSet64;
    var manifest = (await connection.Evidence.GetBlobClient(result.Manifest).DownloadContentAsync()).Value.Content.ToObjectFromJson<EvidenceManifest>(EvidenceJson.Options)!;

    clock.Restart();
    var report = await new EvidenceVerifier(connection.Evidence, connection.How, TimeProvider.System).VerifyAsync(new VerifyRequest(), null, CancellationToken.None);
    var verifySeconds = clock.Elapsed.TotalSeconds;

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"writer records={count} record_bytes={size} seconds={writeSeconds:F2} records_per_s={count / writeSeconds:F0} uncompressed_mb_per_s={manifest.Content.UncompressedBytes / writeSeconds / 1e6:F1} " +
        $"compressed_mb={manifest.Content.Bytes / 1e6:F1} ratio={(double)manifest.Content.UncompressedBytes / manifest.Content.Bytes:F1} " +
        $"peak_working_set_mb={peakAfterWrite / 1048576.0:F0} start_working_set_mb={baseline / 1048576.0:F0} " +
        $"verify_seconds={verifySeconds:F2} verify_records_per_s={count / verifySeconds:F0} verify_intact={report.Intact}"));
    return report.Intact && report.RecordsChecked == count ? 0 : 1;
}

// A burst of pushed events into one stream, as Event Grid delivers them to a queue and the Functions
// host hands them over: --events messages, --concurrency at once, --latency-ms added to every storage
// request (an account that is not on the same machine). --batch 1 commits one manifest per chain claim
// and lease, as the writer did before group commit.
async Task<int> EventsAsync()
{
    var count = int.Parse(arguments.GetValueOrDefault("events", "900"), CultureInfo.InvariantCulture);
    var concurrency = int.Parse(arguments.GetValueOrDefault("concurrency", "48"), CultureInfo.InvariantCulture);
    var latency = TimeSpan.FromMilliseconds(double.Parse(arguments.GetValueOrDefault("latency-ms", "25"), CultureInfo.InvariantCulture));
    var batch = int.Parse(arguments.GetValueOrDefault("batch", "64"), CultureInfo.InvariantCulture);
    var far = EvidenceStoreConnection.Create(options, new AzureOptions(), configure: o => o.AddPolicy(new DelayPolicy(latency), Azure.Core.HttpPipelinePosition.PerRetry));
    var farStore = new EvidenceStore(far, options, NullLogger<EvidenceStore>.Instance);
    using var farSigner = new Collectors.Signing.LocalSigner(far.State!);
    var farWriter = new EvidenceWriter(farStore, new CheckpointStore(far.State!, far.Evidence, TimeProvider.System, NullLogger.Instance), new EvidenceSealer(farStore, farSigner), TimeProvider.System, NullLogger<EvidenceWriter>.Instance) { MaxBatch = batch };
    var handler = new Collectors.Events.EventIngestionHandler([new Collectors.PolicyStates.PolicyStatesEventRoute()], farWriter, new EvidenceReader(far.Evidence), Options.Create(new Collectors.Events.EventsOptions()), TimeProvider.System, NullLogger<Collectors.Events.EventIngestionHandler>.Instance);
    var origin = Collectors.Events.EventOrigin.Queue("policy-states");
    var subscription = "0b1f6471-1bf0-4dda-aec3-111122223333";
    var now = DateTimeOffset.UtcNow.AddMinutes(-5);
    var messages = Enumerable.Range(0, count).Select(i => BinaryData.FromString(
        $"[{{\"id\":\"bench-{i:D6}\",\"topic\":\"/subscriptions/{subscription}\",\"subject\":\"/subscriptions/{subscription}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st{i}\",\"data\":{{\"timestamp\":\"{now.AddMilliseconds(i * 37):O}\",\"policyAssignmentId\":\"/subscriptions/{subscription}/providers/microsoft.authorization/policyassignments/a\",\"policyDefinitionId\":\"/providers/microsoft.authorization/policydefinitions/d\",\"complianceState\":\"NonCompliant\",\"subscriptionId\":\"{subscription}\"}},\"eventType\":\"Microsoft.PolicyInsights.PolicyStateChanged\",\"eventTime\":\"{now:O}\",\"dataVersion\":\"1\",\"metadataVersion\":\"1\"}}]")).ToList();
    await farStore.EnsureReadyAsync(CancellationToken.None);
    var latencies = new double[count];
    var failures = 0;
    process.Refresh();
    var baseline = process.WorkingSet64;
    var clock = Stopwatch.StartNew();
    await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, ct) =>
    {
        var started = clock.Elapsed;
        var result = await handler.HandleAsync(origin, messages[i], ct);
        latencies[i] = (clock.Elapsed - started).TotalSeconds;
        if (result.Accepted != 1)
        {
            Interlocked.Increment(ref failures);
        }
    });
    var seconds = clock.Elapsed.TotalSeconds;
    process.Refresh();
    var peak = process.PeakWorkingSet64;
    Array.Sort(latencies);
    var report = await new EvidenceVerifier(connection.Evidence, connection.How, TimeProvider.System).VerifyAsync(new VerifyRequest(), null, CancellationToken.None);
    var claims = 0;
    await foreach (var _ in connection.Evidence.GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = EvidencePaths.ChainPrefix(new EvidenceStream("policy-states", $"sub-{subscription}")) }))
    {
        claims++;
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"events events={count} concurrency={concurrency} latency_ms={latency.TotalMilliseconds:F0} max_batch={batch} seconds={seconds:F2} events_per_s={count / seconds:F1} " +
        $"p50_s={latencies[count / 2]:F2} p95_s={latencies[(int)(count * 0.95)]:F2} max_s={latencies[^1]:F2} not_committed={failures} chain_claims={claims} " +
        $"peak_working_set_mb={peak / 1048576.0:F0} start_working_set_mb={baseline / 1048576.0:F0} verify_intact={report.Intact} manifests={report.ManifestsChecked}"));
    return failures == 0 && report.Intact && report.ManifestsChecked == count ? 0 : 1;
}

// End to end: the simulator (a separate process, started by eng/bench.sh) → ARM client → writer → Azurite.
async Task<int> ActivityLogAsync()
{
    var simulator = new Uri(arguments["simulator"]);
    var azure = new AzureOptions
    {
        Credential = CredentialKind.Simulator,
        ResourceManagerEndpoint = simulator,
        GraphEndpoint = simulator,
        AdditionalTrustedCertificate = arguments["cert"],
    };
    var day = DateTimeOffset.Parse(arguments["start"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
    using var host = await HostAsync(("Collectors:ActivityLog:Sweep", "false"));
    var runtime = host.Services.GetRequiredService<Collectors.Runtime.CollectorRuntime>();
    var subscriptions = await new ActivityLogClient(new ArmRestClient(azure, new SimulatorCredential(), NullLogger<ArmRestClient>.Instance)).ListSubscriptionsAsync(CancellationToken.None);
    using var http = new HttpClient(TrustedTransport.CreateHandler(arguments["cert"]));
    http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "bench");
    var before = await SimulatorStatsAsync(http, simulator);
    process.Refresh();
    var baseline = process.WorkingSet64;
    var clock = Stopwatch.StartNew();
    var run = await runtime.BackfillAsync(ActivityLogCollector.Id, day, day.AddDays(1), null, null, CancellationToken.None);
    var seconds = clock.Elapsed.TotalSeconds;
    process.Refresh();
    var peak = process.PeakWorkingSet64;
    var after = await SimulatorStatsAsync(http, simulator);
    var simulatorSeconds = (after.Milliseconds - before.Milliseconds) / 1000.0;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"activity-log subscriptions={subscriptions.Count} windows={run.Results.Count} failed={run.Failed} events={run.Records} requests={after.Requests - before.Requests} seconds={seconds:F2} events_per_s={run.Records / seconds:F0} " +
        $"simulator_busy_seconds={simulatorSeconds:F2} simulator_share={simulatorSeconds / seconds:P0} peak_working_set_mb={peak / 1048576.0:F0} start_working_set_mb={baseline / 1048576.0:F0}"));
    return run.Failed == 0 ? 0 : 1;
}

// Fan-out: one day of Activity Log for every subscription the simulator has (a separate process, ARM's read
// token bucket on, --latency-ms of service time per ARM request), planned as the timer plans it (one work item
// per stream) onto a real Azurite queue, and run by --workers consumers that take messages as the Functions
// queue trigger does (receive, run through the runtime, delete). Compared with the floor the limits allow:
//   floor = max(requests × latency ÷ workers,                        every worker busy waiting on ARM
//               busiest subscription's requests × latency,            a stream is one writer at a time (its lease)
//               (busiest subscription's requests − 250) ÷ 25 s)       ARM: 250-read bucket, 25 reads/s, per subscription
async Task<int> FanoutAsync()
{
    var simulator = new Uri(arguments["simulator"]);
    var workers = int.Parse(arguments.GetValueOrDefault("workers", "16"), CultureInfo.InvariantCulture);
    var latency = double.Parse(arguments.GetValueOrDefault("latency-ms", "0"), CultureInfo.InvariantCulture) / 1000.0;
    var day = DateTimeOffset.Parse(arguments["start"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
    var scenarioOptions = new Collectors.Simulator.Scenario.ScenarioOptions
    {
        Seed = int.Parse(arguments.GetValueOrDefault("seed", "42"), CultureInfo.InvariantCulture),
        Subscriptions = int.Parse(arguments.GetValueOrDefault("subscriptions", "200"), CultureInfo.InvariantCulture),
        ActivityEventsPerHour = int.Parse(arguments.GetValueOrDefault("events-per-hour", "4"), CultureInfo.InvariantCulture),
        DataStart = day,
        Days = 1,
    };
    var queues = new Azure.Storage.Queues.QueueServiceClient(arguments["queue"]);
    var queueName = $"fanout-{suffix}";
    using var host = await HostAsync(
        ("Collectors:ActivityLog:Sweep", "false"),
        ("Collectors:ActivityLog:WindowMinutes", arguments.GetValueOrDefault("window-minutes", "15")),
        ("AzureWebJobsStorage", arguments["queue"]),
        (Collectors.Runtime.WorkQueue.Setting, queueName));
    var runtime = host.Services.GetRequiredService<Collectors.Runtime.CollectorRuntime>();
    var queue = queues.GetQueueClient(queueName);
    await queue.CreateIfNotExistsAsync();
    await evidenceStore.EnsureReadyAsync(CancellationToken.None);
    using var http = new HttpClient(TrustedTransport.CreateHandler(arguments["cert"]));
    http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "bench");
    var before = await SimulatorStatsAsync(http, simulator);
    process.Refresh();
    var baseline = process.WorkingSet64;
    var azuriteBefore = CpuSeconds(arguments.GetValueOrDefault("azurite-pid"));
    var simulatorBefore = CpuSeconds(arguments.GetValueOrDefault("simulator-pid"));
    var ownBefore = process.TotalProcessorTime.TotalSeconds;

    var clock = Stopwatch.StartNew();
    var items = await runtime.PlanBackfillAsync(ActivityLogCollector.Id, day, day.AddDays(1), null, CancellationToken.None);
    await host.Services.GetRequiredService<Collectors.Runtime.WorkQueue>().SendAsync(items, CancellationToken.None);
    var planned = clock.Elapsed.TotalSeconds;
    var done = 0;
    var committed = 0;
    var failed = 0;
    long records = 0;
    var consumers = Enumerable.Range(0, workers).Select(async _ =>
    {
        while (Volatile.Read(ref done) < items.Count)
        {
            var received = (await queue.ReceiveMessagesAsync(1, TimeSpan.FromMinutes(10))).Value;
            if (received.Length == 0)
            {
                await Task.Delay(50);
                continue;
            }

            var run = await runtime.RunMessageAsync(received[0].MessageText, CancellationToken.None);
            await queue.DeleteMessageAsync(received[0].MessageId, received[0].PopReceipt);
            Interlocked.Add(ref committed, run?.Committed ?? 0);
            Interlocked.Add(ref failed, run?.Failed ?? 1);
            Interlocked.Add(ref records, run?.Records ?? 0);
            Interlocked.Increment(ref done);
        }
    }).ToList();
    await Task.WhenAll(consumers);
    var seconds = clock.Elapsed.TotalSeconds;
    process.Refresh();
    var peak = process.PeakWorkingSet64;
    var ownCpu = process.TotalProcessorTime.TotalSeconds - ownBefore;
    var azuriteCpu = CpuSeconds(arguments.GetValueOrDefault("azurite-pid")) - azuriteBefore;
    var simulatorCpu = CpuSeconds(arguments.GetValueOrDefault("simulator-pid")) - simulatorBefore;
    var after = await SimulatorStatsAsync(http, simulator);
    var throttle = await SimulatorThrottleAsync(http, simulator);
    var requests = after.Requests - before.Requests;
    // A stream is one work item, run by one worker: the items are as many rounds as streams ÷ workers, rounded up.
    var rounds = (items.Count + workers - 1) / workers;
    var floor = Math.Max(
        Math.Max(requests * latency / workers, rounds * throttle.MaxSubscriptionRequests * latency),
        Math.Max(0, (throttle.MaxSubscriptionRequests - 250) / 25.0));

    // The evidence against the generator's ground truth, subscription by subscription, then verify.
    var truth = new Collectors.Simulator.Scenario.TenantScenario(scenarioOptions);
    var mismatched = 0;
    var reader = new EvidenceReader(connection.Evidence);
    foreach (var item in items)
    {
        var subscription = item.Key;
        var expected = truth.Events(subscription, day, day.AddDays(1).AddTicks(-1)).Select(e => e.EventDataId).ToHashSet(StringComparer.Ordinal);
        var stored = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var record in reader.RecordsInRangeAsync(ActivityLogCollector.StreamFor(subscription), day, day.AddDays(1), CancellationToken.None))
        {
            using var document = JsonDocument.Parse(record.Json);
            stored.Add(document.RootElement.GetProperty("eventDataId").GetString()!);
        }

        if (!stored.SetEquals(expected))
        {
            mismatched++;
        }
    }

    var report = await new EvidenceVerifier(connection.Evidence, connection.How, TimeProvider.System).VerifyAsync(new VerifyRequest(), null, CancellationToken.None);
    await queue.DeleteIfExistsAsync();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"fanout workers={workers} subscriptions={items.Count} window_minutes={runtime.Windows(ActivityLogCollector.Id).WindowMinutes} windows={committed} failed={failed} records={records} requests={requests} throttled_429={throttle.Throttled} " +
        $"max_subscription_requests={throttle.MaxSubscriptionRequests} latency_ms={latency * 1000:F0} plan_enqueue_seconds={planned:F1} seconds={seconds:F1} floor_seconds={floor:F1} ratio={seconds / floor:F2} " +
        $"cpu_s_bench={ownCpu:F0} cpu_s_azurite={azuriteCpu:F0} cpu_s_simulator={simulatorCpu:F0} " +
        $"peak_working_set_mb={peak / 1048576.0:F0} start_working_set_mb={baseline / 1048576.0:F0} ground_truth_mismatches={mismatched} verify_intact={report.Intact} manifests={report.ManifestsChecked}"));
    return failed == 0 && mismatched == 0 && report.Intact ? 0 : 1;
}

// One day of interactive sign-ins through the Graph SDK client, paced at --limit requests per --window seconds
// (0 = unpaced). Efficiency = collection time ÷ (pages × window ÷ limit): 1.0 is the pacing minimum.
async Task<int> EntraSignInsAsync()
{
    var simulator = new Uri(arguments["simulator"]);
    var limit = int.Parse(arguments.GetValueOrDefault("limit", "5"), CultureInfo.InvariantCulture);
    var windowSeconds = double.Parse(arguments.GetValueOrDefault("window", "10"), CultureInfo.InvariantCulture);
    var azure = new AzureOptions
    {
        Credential = CredentialKind.Simulator,
        ResourceManagerEndpoint = simulator,
        GraphEndpoint = simulator,
        AdditionalTrustedCertificate = arguments["cert"],
    };
    var day = DateTimeOffset.Parse(arguments["start"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
    using var host = await HostAsync(
        ("Collectors:Graph:RequestsPerWindow", limit.ToString(CultureInfo.InvariantCulture)),
        ("Collectors:Graph:WindowSeconds", windowSeconds.ToString(CultureInfo.InvariantCulture)),
        ("Collectors:EntraSignIns:Sweep", "false"));
    var runtime = host.Services.GetRequiredService<Collectors.Runtime.CollectorRuntime>();
    var pacer = host.Services.GetRequiredService<Collectors.Entra.ReportingPacer>();
    using var http = new HttpClient(TrustedTransport.CreateHandler(arguments["cert"]));
    http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "bench");
    var before = await SimulatorStatsAsync(http, simulator);
    process.Refresh();
    var baseline = process.WorkingSet64;
    var clock = Stopwatch.StartNew();
    var run = await runtime.BackfillAsync(Collectors.Entra.SignIns.EntraSignInsCollector.Id, day, day.AddDays(1), null, null, CancellationToken.None);
    var seconds = clock.Elapsed.TotalSeconds;
    process.Refresh();
    var peak = process.PeakWorkingSet64;
    var after = await SimulatorStatsAsync(http, simulator);
    var pages = 0;
    await foreach (var manifest in new EvidenceReader(connection.Evidence).ManifestsAsync(Collectors.Entra.SignIns.EntraSignInsCollector.SourcesFor(new())[0].StreamFor(SimulatorCredential.TenantId), day, day.AddDays(1), CancellationToken.None))
    {
        pages += manifest.Manifest.Source.Pages;
    }

    var minimum = limit <= 0 ? double.NaN : pages * windowSeconds / limit;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"entra-signins limit={limit}/{windowSeconds}s windows={run.Results.Count} failed={run.Failed} records={run.Records} pages={pages} requests={after.Requests - before.Requests} throttled_by_pacer={pacer.Throttled} " +
        $"seconds={seconds:F1} pacing_minimum_seconds={minimum:F1} efficiency={seconds / minimum:F3} records_per_s={run.Records / seconds:F0} peak_working_set_mb={peak / 1048576.0:F0} start_working_set_mb={baseline / 1048576.0:F0}"));
    return run.Failed == 0 ? 0 : 1;
}

static async Task<(long Requests, double Milliseconds)> SimulatorStatsAsync(HttpClient http, Uri simulator)
{
    using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri(simulator, "_simulator/stats")));
    return (document.RootElement.GetProperty("requests").GetInt64(), document.RootElement.GetProperty("handlingMilliseconds").GetDouble());
}

// User + system CPU seconds of another process (Linux /proc), or 0 when no pid is given.
static double CpuSeconds(string? pid)
{
    if (pid is null || !File.Exists($"/proc/{pid}/stat"))
    {
        return 0;
    }

    var stat = File.ReadAllText($"/proc/{pid}/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
}

static async Task<(long Throttled, long MaxSubscriptionRequests)> SimulatorThrottleAsync(HttpClient http, Uri simulator)
{
    using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri(simulator, "_simulator/stats")));
    return (document.RootElement.GetProperty("throttled").GetInt64(), document.RootElement.GetProperty("maxSubscriptionRequests").GetInt64());
}

// Activity-Log-like records generated into one reusable buffer: the harness itself holds no population.
static async IAsyncEnumerable<ReadOnlyMemory<byte>> Generate(long count, int size, SourceLog log, [EnumeratorCancellation] CancellationToken cancellationToken)
{
    log.AddRequest(new SourceRequest("GET", "https://bench.invalid/values", null, null));
    var buffer = new byte[size * 2];
    var state = 2463534242u;
    for (long i = 0; i < count; i++)
    {
        if (i % 1000 == 0)
        {
            log.AddPage();
            await Task.Yield();
        }

        System.Text.Unicode.Utf8.TryWrite(buffer, CultureInfo.InvariantCulture,
            $"{{\"eventDataId\":\"{i:D12}-bench\",\"eventTimestamp\":\"2026-11-25T00:{i % 60:D2}:{i % 59:D2}.{i % 1000:D3}Z\",\"caller\":\"user{i % 97}@contoso.com\",\"operationName\":{{\"value\":\"Microsoft.Storage/storageAccounts/write\",\"localizedValue\":\"Create/Update Storage Account\"}},\"status\":{{\"value\":\"Succeeded\"}},\"correlationId\":\"", out var written);
        var target = size - 2;
        while (written < target)
        {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            // About a third random hex (ids, GUIDs), the rest repeated vocabulary, as in real Activity Log records.
            buffer[written++] = (written % 3 == 0) ? (byte)"0123456789abcdef"[(int)(state & 0xF)] : (byte)"resourceGroups/providers/"[written % 25];
        }

        buffer[written++] = (byte)'"';
        buffer[written++] = (byte)'}';
        yield return buffer.AsMemory(0, written);
    }

    log.MarkComplete();
}

static Dictionary<string, string> ParseArguments(string[] args)
{
    var result = new Dictionary<string, string>(StringComparer.Ordinal);
    for (var i = 1; i + 1 < args.Length; i += 2)
    {
        result[args[i].TrimStart('-')] = args[i + 1];
    }

    return result;
}

/// <summary>Adds a fixed delay to every storage request: the account is not on this machine.</summary>
internal sealed class DelayPolicy(TimeSpan delay) : Azure.Core.Pipeline.HttpPipelinePolicy
{
    public override async ValueTask ProcessAsync(Azure.Core.HttpMessage message, ReadOnlyMemory<Azure.Core.Pipeline.HttpPipelinePolicy> pipeline)
    {
        await Task.Delay(delay).ConfigureAwait(false);
        await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
    }

    public override void Process(Azure.Core.HttpMessage message, ReadOnlyMemory<Azure.Core.Pipeline.HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();
}
