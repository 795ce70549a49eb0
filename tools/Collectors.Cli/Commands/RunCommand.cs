using System.CommandLine;
using System.Globalization;
using Collectors.Catalog;
using Collectors.Evidence;
using Collectors.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Collectors.Cli.Commands;

/// <summary>
/// <c>collectors run &lt;id&gt;</c>: any collector of the catalog, through the runtime. Without --from/--to, what its
/// timer would do now (due windows from each stream's cursor, the sweep if due, or a snapshot); with them, a
/// backfill of the range; with --sweep, the late-arrival sweep of one day. Work items run in this process,
/// --parallel at once (one stream each).
/// </summary>
internal static class RunCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var id = new Argument<string>("collector") { Description = "The collector's id (collectors list)." };
        var from = new Option<string?>("--from") { Description = "Start of a backfill (UTC, ISO-8601); rounded down to the window grid." };
        var to = new Option<string?>("--to") { Description = "End of a backfill (UTC, ISO-8601); rounded up; must be at least the lag before now." };
        var scopes = new Option<string[]>("--scope", "--subscription") { Description = "Collect only this stream key (a subscription id, a vault id, a source); repeat for several. Default: every configured stream.", AllowMultipleArgumentsPerToken = false };
        var sweep = new Option<string?>("--sweep") { Description = "Run the late-arrival sweep for this UTC day (yyyy-MM-dd): supplements for records not captured yet." };
        var parallel = new Option<int?>("--parallel") { Description = "Streams collected at once (default: the collector's MaxParallelStreams)." };
        var verbose = new Option<bool>("--verbose") { Description = "Log every window." };
        var command = new Command("run", "Run a collector now: without --from/--to as its timer would; with them, commit every window of the range (backfill); with --sweep, sweep one day for late records. Exit 0 all committed, 1 any window failed (see its error record), 2 usage or configuration error.")
        {
            id, from, to, scopes, sweep, parallel, verbose,
        };
        command.SetAction((parse, cancellationToken) => Guarded(error, async () =>
        {
            var collector = parse.GetValue(id)!;
            var fromText = parse.GetValue(from);
            var toText = parse.GetValue(to);
            var sweepText = parse.GetValue(sweep);
            var only = parse.GetValue(scopes) is { Length: > 0 } given ? given : null;
            if ((fromText is null) != (toText is null))
            {
                throw new CliUsageException("Give both --from and --to for a backfill, or neither for a scheduled run.");
            }

            if (sweepText is not null && fromText is not null)
            {
                throw new CliUsageException("--sweep sweeps one day: give it or --from/--to, not both.");
            }

            // What the collector is decides which options make sense, before any option's value is judged.
            using (var composition = await CollectorsHost.StartAsync(new Dictionary<string, string?>(), verbose: false, error, cancellationToken, validate: false).ConfigureAwait(false))
            {
                var catalog = composition.Services.GetRequiredService<CollectorCatalog>();
                var descriptor = catalog.Find(collector);
                if (descriptor is null or { Kind: CollectorDescriptor.Events })
                {
                    throw new CliUsageException(CollectorRuntime.NotRunnable(catalog, collector));
                }

                if (descriptor?.Kind == CollectorDescriptor.Snapshot && (fromText is not null || sweepText is not null))
                {
                    throw new CliUsageException(fromText is not null ? CollectorRuntime.NoPastSnapshots(collector) : $"{collector} takes snapshots; it has no late-arrival sweep.");
                }
            }

            var range = fromText is null ? ((DateTimeOffset, DateTimeOffset)?)null : (CliConfiguration.ParseInstant(fromText, "--from"), CliConfiguration.ParseInstant(toText!, "--to"));
            var day = sweepText is null ? (DateOnly?)null : CliConfiguration.ParseDay(sweepText, "--sweep");
            if (parse.GetValue(parallel) is < 1)
            {
                throw new CliUsageException("--parallel must be at least 1.");
            }

            using var host = await CollectorsHost.StartAsync(new Dictionary<string, string?>(), parse.GetValue(verbose), error, cancellationToken).ConfigureAwait(false);
            var runtime = host.Services.GetRequiredService<CollectorRuntime>();
            IReadOnlyList<WorkItem> items;
            IProgress<CommitResult>? progress = null;
            try
            {
                runtime.Get(collector);
                if (day is { } d)
                {
                    items = await runtime.PlanSweepAsync(collector, d, only, cancellationToken).ConfigureAwait(false);
                    await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Sweeping {collector} for {d:yyyy-MM-dd}: {items.Count} stream(s)…")).ConfigureAwait(false);
                }
                else if (range is { } r)
                {
                    items = await runtime.PlanBackfillAsync(collector, r.Item1, r.Item2, only, cancellationToken).ConfigureAwait(false);
                    var windows = runtime.PlanBackfill(collector, r.Item1, r.Item2).Count;
                    await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"Backfilling {collector}: {items.Count} stream(s), {windows} window(s) each, {TimeWindow.Iso(r.Item1)} to {TimeWindow.Iso(r.Item2)}…")).ConfigureAwait(false);
                    progress = new ProgressPrinter(output, windows * items.Count);
                }
                else
                {
                    if (only is not null)
                    {
                        throw new CliUsageException("--scope applies to a backfill (--from/--to) or a sweep; a scheduled run collects the configured streams.");
                    }

                    items = await runtime.PlanScheduledAsync(collector, cancellationToken).ConfigureAwait(false);
                    var label = runtime.SnapshotWindowNow(collector) is { } window ? $", snapshots labelled with window {window}" : string.Empty;
                    await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Running {collector} as its timer would: {items.Count} work item(s){label}…")).ConfigureAwait(false);
                }
            }
            catch (ArgumentException ex)
            {
                throw new CliUsageException(ex.Message);
            }

            var run = await runtime.RunAllAsync(items, parse.GetValue(parallel) ?? runtime.Parallelism(collector), progress, cancellationToken).ConfigureAwait(false);
            await output.WriteAsync(RunReport.Render(run)).ConfigureAwait(false);
            return run.Succeeded ? CollectorsCli.Ok : CollectorsCli.Problem;
        }));
        return command;
    }

    /// <summary>Exit 2 for usage and configuration errors, 1 when the source refused in a way the user must fix.</summary>
    private static async Task<int> Guarded(TextWriter error, Func<Task<int>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is CliUsageException or EvidenceStoreConfigurationException or InvalidOperationException or Azure.Identity.AuthenticationFailedException or Azure.Identity.CredentialUnavailableException)
        {
            await error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return CollectorsCli.UsageError;
        }
        catch (EvidenceSourceException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return CollectorsCli.Problem;
        }
        catch (Exception ex) when (Unreachable.Matches(ex))
        {
            await error.WriteLineAsync($"error: {Unreachable.Describe(ex, "a service", Unreachable.CheckSettings)}").ConfigureAwait(false);
            return CollectorsCli.UsageError;
        }
    }
}

/// <summary>Prints a progress line at most every 10% (and every failure at once) for long ranges.</summary>
internal sealed class ProgressPrinter(TextWriter output, int total) : IProgress<CommitResult>
{
    private readonly Lock _gate = new();
    private int _done;
    private int _failed;
    private int _lastDecile;

    public void Report(CommitResult value)
    {
        lock (_gate)
        {
            _done++;
            if (value.Status == CommitStatus.Failed)
            {
                _failed++;
                output.WriteLine($"  FAILED {value.Stream} {value.Window}: {value.Reason}");
            }

            var decile = total == 0 ? 10 : _done * 10 / total;
            if (total >= 20 && decile > _lastDecile)
            {
                _lastDecile = decile;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  [{_done * 100 / total,3}%] {_done}/{total} windows, {_failed} failed"));
            }
        }
    }
}

internal static class RunReport
{
    public static string Render(CollectionRun run)
    {
        var w = new StringWriter(CultureInfo.InvariantCulture);
        foreach (var stream in run.Results.GroupBy(r => r.Stream.Name).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var list = stream.ToList();
            w.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {stream.Key}: {list.Count(r => r.Status == CommitStatus.Committed)} committed, {list.Count(r => r.Status == CommitStatus.AlreadyCommitted)} already committed, {list.Count(r => r.Status == CommitStatus.Failed)} failed, {list.Sum(r => r.Records):N0} records"));
            foreach (var failed in list.Where(r => r.Status == CommitStatus.Failed))
            {
                w.WriteLine($"    {failed.Window}: {failed.Reason}");
                w.WriteLine($"      error record: {failed.ErrorRecord}");
            }
        }

        w.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Done: {run.Committed} window(s) committed, {run.AlreadyCommitted} already committed, {run.Failed} failed, {run.Records:N0} records."));
        return w.ToString();
    }
}
