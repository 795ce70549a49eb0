using System.CommandLine;
using System.Globalization;
using Collectors.ActivityLog;
using Collectors.Evidence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Collectors.Cli.Commands;

/// <summary><c>collectors run &lt;collector&gt;</c>: the scheduled run now, or a backfill of a range.</summary>
internal static class RunCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("run", "Run a collector now: without --from/--to as its timer would; with them, commit every window of the range (backfill). Exit 0 all windows committed, 1 any window failed (see its error record), 2 usage or configuration error.");
        command.Subcommands.Add(ActivityLog(output, error));
        command.Subcommands.Add(AuditLog(output, error, EntraSignIns.EntraSignInsCollector.Id, "Collect Microsoft Entra sign-in logs (CC6.1) from Microsoft Graph.", sp => sp.GetRequiredService<EntraSignIns.EntraSignInsCollector>().Collector));
        command.Subcommands.Add(DefenderFindings(output, error));
        command.Subcommands.Add(DrJobs(output, error));
        command.Subcommands.Add(AuditLog(output, error, EntraDirectoryAudits.EntraDirectoryAuditsCollector.Id, "Collect Microsoft Entra directory audit logs (CC6.2, CC6.3) from Microsoft Graph.", sp => sp.GetRequiredService<EntraDirectoryAudits.EntraDirectoryAuditsCollector>().Collector));
        return command;
    }

    private static Command DefenderFindings(TextWriter output, TextWriter error)
    {
        var from = new Option<string?>("--from") { Description = "Refused: snapshots of the past cannot exist." };
        var to = new Option<string?>("--to") { Description = "Refused: snapshots of the past cannot exist." };
        var verbose = new Option<bool>("--verbose") { Description = "Log every query." };
        var command = new Command("defender-findings", "Take a full-population snapshot of Defender for Cloud now (assessments, open alerts, secure scores, SOC regulatory compliance), labelled with the current grid window (CC7.1, CC6.8, CC3.2). A second run in the same window commits nothing new.") { from, to, verbose };
        command.SetAction((parse, cancellationToken) => Guarded(error, async () =>
        {
            if (parse.GetValue(from) is not null || parse.GetValue(to) is not null)
            {
                throw new CliUsageException(
                    "defender-findings takes snapshots of the current state only: Defender for Cloud and Resource Graph do not keep past states, so snapshots of the past cannot exist and --from/--to are refused. Run 'collectors run defender-findings' without them to take a snapshot now.");
            }

            using var host = await CollectorsHost.StartAsync(new Dictionary<string, string?>(), parse.GetValue(verbose), error, cancellationToken).ConfigureAwait(false);
            var collector = host.Services.GetRequiredService<Collectors.Defender.DefenderCollector>();
            var window = collector.WindowAt(DateTimeOffset.UtcNow);
            await output.WriteLineAsync($"Taking a Defender for Cloud snapshot, labelled with window {window}…").ConfigureAwait(false);
            CollectionRun run;
            try
            {
                run = await collector.SnapshotAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ArgumentException ex)
            {
                throw new CliUsageException(ex.Message);
            }

            await output.WriteAsync(RunReport.Render(run)).ConfigureAwait(false);
            return run.Succeeded ? CollectorsCli.Ok : CollectorsCli.Problem;
        }));
        return command;
    }

    private static Command AuditLog(TextWriter output, TextWriter error, string id, string description, Func<IServiceProvider, Graph.AuditLogCollector> resolve)
    {
        var from = new Option<string?>("--from") { Description = "Start of the range (UTC, ISO-8601); rounded down to the window grid." };
        var to = new Option<string?>("--to") { Description = "End of the range (UTC, ISO-8601); rounded up; must be at least the lag before now." };
        var sweep = new Option<string?>("--sweep") { Description = "Run the late-arrival sweep for this UTC day (yyyy-MM-dd): supplements for records not captured yet." };
        var verbose = new Option<bool>("--verbose") { Description = "Log every window." };
        var command = new Command(id, description) { from, to, sweep, verbose };
        command.SetAction((parse, cancellationToken) => Guarded(error, async () =>
        {
            var range = Range(parse.GetValue(from), parse.GetValue(to));
            var sweepDay = SweepDay(parse.GetValue(sweep), range);

            using var host = await CollectorsHost.StartAsync(new Dictionary<string, string?>(), parse.GetValue(verbose), error, cancellationToken).ConfigureAwait(false);
            var collector = resolve(host.Services);
            CollectionRun run;
            if (sweepDay is { } day)
            {
                await output.WriteLineAsync($"Sweeping {id} for late arrivals on {day:yyyy-MM-dd}…").ConfigureAwait(false);
                try
                {
                    run = await collector.SweepDayAsync(day, cancellationToken).ConfigureAwait(false);
                }
                catch (ArgumentException ex)
                {
                    throw new CliUsageException(ex.Message);
                }
            }
            else if (range is not { } r)
            {
                await output.WriteLineAsync($"Running {id} as its timer would…").ConfigureAwait(false);
                run = await collector.RunScheduledAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var (start, end) = r;
                int windows;
                try
                {
                    windows = collector.PlanBackfill(start, end).Count * collector.Sources.Count;
                }
                catch (ArgumentException ex)
                {
                    throw new CliUsageException(ex.Message);
                }

                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Backfilling {id}: {windows} window(s), {TimeWindow.Iso(start)} to {TimeWindow.Iso(end)} (paced under Graph's reporting limit)…")).ConfigureAwait(false);
                run = await collector.BackfillAsync(start, end, new ProgressPrinter(output, windows), cancellationToken).ConfigureAwait(false);
            }

            await output.WriteAsync(RunReport.Render(run)).ConfigureAwait(false);
            return run.Succeeded ? CollectorsCli.Ok : CollectorsCli.Problem;
        }));
        return command;
    }

    private static Command DrJobs(TextWriter output, TextWriter error)
    {
        var from = new Option<string?>("--from") { Description = "Start of the range (UTC, ISO-8601); rounded down to the window grid." };
        var to = new Option<string?>("--to") { Description = "End of the range (UTC, ISO-8601); rounded up to the window grid; must be at least the lag before now." };
        var verbose = new Option<bool>("--verbose") { Description = "Log every window." };
        var command = new Command("dr-jobs", "Collect Site Recovery test failovers and Azure Backup restores of each vault in Collectors__DrJobs__Vaults into write-once evidence (A1.2, A1.3).") { from, to, verbose };
        command.SetAction((parse, cancellationToken) => Guarded(error, async () =>
        {
            var range = Range(parse.GetValue(from), parse.GetValue(to));
            using var host = await CollectorsHost.StartAsync(new Dictionary<string, string?>(), parse.GetValue(verbose), error, cancellationToken).ConfigureAwait(false);
            var collector = host.Services.GetRequiredService<Collectors.DrJobs.DrJobsCollector>();
            CollectionRun run;
            try
            {
                var vaults = collector.Vaults();
                if (range is not { } r)
                {
                    await output.WriteLineAsync("Running the DR jobs collector as its timer would…").ConfigureAwait(false);
                    run = await collector.RunScheduledAsync(cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    var (start, end) = r;
                    var perVault = collector.PlanBackfill(start, end).Count;
                    await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"Backfilling the DR jobs of {vaults.Count} vault(s), {perVault} window(s) each, {TimeWindow.Iso(start)} to {TimeWindow.Iso(end)}…")).ConfigureAwait(false);
                    run = await collector.BackfillAsync(start, end, new ProgressPrinter(output, perVault * vaults.Count), cancellationToken).ConfigureAwait(false);
                }
            }
            catch (ArgumentException ex)
            {
                throw new CliUsageException(ex.Message);
            }

            await output.WriteAsync(RunReport.Render(run)).ConfigureAwait(false);
            return run.Succeeded ? CollectorsCli.Ok : CollectorsCli.Problem;
        }));
        return command;
    }

    private static Command ActivityLog(TextWriter output, TextWriter error)
    {
        var from = new Option<string?>("--from") { Description = "Start of the range (UTC, ISO-8601); rounded down to the window grid." };
        var to = new Option<string?>("--to") { Description = "End of the range (UTC, ISO-8601); rounded up to the window grid; must be at least the lag before now." };
        var sweep = new Option<string?>("--sweep") { Description = "Run the late-arrival sweep for this UTC day (yyyy-MM-dd): supplements for events published after their window was collected." };
        var subscriptions = new Option<string[]>("--subscription") { Description = "A subscription id; repeat for several. Default: Collectors__ActivityLog__Subscriptions, else every readable subscription.", AllowMultipleArgumentsPerToken = false };
        var verbose = new Option<bool>("--verbose") { Description = "Log every window." };
        var command = new Command("activity-log", "Collect the Azure Activity Log of each subscription into write-once evidence (CC8.1, CC6.3, CC7.2).") { from, to, sweep, subscriptions, verbose };
        command.SetAction((parse, cancellationToken) => Guarded(error, async () =>
        {
            var range = Range(parse.GetValue(from), parse.GetValue(to));
            var sweepDay = SweepDay(parse.GetValue(sweep), range);
            using var host = await CollectorsHost.StartAsync(new Dictionary<string, string?>(), parse.GetValue(verbose), error, cancellationToken).ConfigureAwait(false);
            var collector = host.Services.GetRequiredService<ActivityLogCollector>();
            var only = parse.GetValue(subscriptions) ?? [];
            CollectionRun run;
            if (sweepDay is { } day)
            {
                await output.WriteLineAsync($"Sweeping the Activity Log for late arrivals on {day:yyyy-MM-dd}…").ConfigureAwait(false);
                try
                {
                    run = await collector.SweepDayAsync(day, only, cancellationToken).ConfigureAwait(false);
                }
                catch (ArgumentException ex)
                {
                    throw new CliUsageException(ex.Message);
                }
            }
            else if (range is not { } r)
            {
                if (only.Length > 0)
                {
                    throw new CliUsageException("--subscription applies to a backfill (--from/--to) or a sweep (--sweep); a scheduled run collects the configured subscriptions.");
                }

                await output.WriteLineAsync("Running the Activity Log collector as its timer would…").ConfigureAwait(false);
                run = await collector.RunScheduledAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var (start, end) = r;
                int perStream;
                try
                {
                    perStream = collector.PlanBackfill(start, end).Count;
                }
                catch (ArgumentException ex)
                {
                    throw new CliUsageException(ex.Message);
                }

                IReadOnlyList<string> targets;
                try
                {
                    targets = await collector.ResolveSubscriptionsAsync(only, cancellationToken).ConfigureAwait(false);
                }
                catch (ArgumentException ex)
                {
                    throw new CliUsageException(ex.Message);
                }

                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"Backfilling the Activity Log of {targets.Count} subscription(s), {perStream} window(s) each, {TimeWindow.Iso(start)} to {TimeWindow.Iso(end)}…")).ConfigureAwait(false);
                var progress = new ProgressPrinter(output, perStream * targets.Count);
                try
                {
                    run = await collector.BackfillAsync(start, end, targets, progress, cancellationToken).ConfigureAwait(false);
                }
                catch (ArgumentException ex)
                {
                    throw new CliUsageException(ex.Message);
                }
            }

            await output.WriteAsync(RunReport.Render(run)).ConfigureAwait(false);
            return run.Succeeded ? CollectorsCli.Ok : CollectorsCli.Problem;
        }));
        return command;
    }

    /// <summary>A backfill range, parsed and checked before anything is started; null for a scheduled run.</summary>
    private static (DateTimeOffset From, DateTimeOffset To)? Range(string? from, string? to)
    {
        if ((from is null) != (to is null))
        {
            throw new CliUsageException("Give both --from and --to for a backfill, or neither for a scheduled run.");
        }

        return from is null ? null : (CliConfiguration.ParseInstant(from, "--from"), CliConfiguration.ParseInstant(to!, "--to"));
    }

    /// <summary>The day to sweep, if one was given; a sweep and a backfill are different runs.</summary>
    private static DateOnly? SweepDay(string? sweep, (DateTimeOffset From, DateTimeOffset To)? range)
    {
        if (sweep is not null && range is not null)
        {
            throw new CliUsageException("Give --sweep <day> or --from/--to, not both: a sweep re-reads committed windows, a backfill commits new ones.");
        }

        return sweep is null ? null : CliConfiguration.ParseDay(sweep, "--sweep");
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
