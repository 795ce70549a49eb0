using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Collectors.Evidence;
using Collectors.Summary;
using Microsoft.Extensions.DependencyInjection;

namespace Collectors.Cli.Commands;

/// <summary><c>collectors summary --date D [--send] [--out dir]</c>.</summary>
internal static class SummaryCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var date = new Option<string>("--date") { Description = "The UTC day to summarise (yyyy-MM-dd).", Required = true };
        var send = new Option<bool>("--send") { Description = "E-mail it to Summary__Recipients (once per date, however often this runs)." };
        var outDir = new Option<string?>("--out") { Description = "Also write the JSON and the HTML report into this folder." };
        var command = new Command("summary", "Summarise a day from the evidence: coverage, PASS/FAIL/ERROR per SOC 2 criterion, findings with their evidence, drift since the day before. Stored write-once in the evidence container.") { date, send, outDir };
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var day = CliConfiguration.ParseDay(parse.GetValue(date)!, "--date");
                using var host = await CollectorsHost.StartAsync(new Dictionary<string, string?>(), verbose: false, error, cancellationToken).ConfigureAwait(false);
                var run = await host.Services.GetRequiredService<DailySummaryService>().RunAsync(day, parse.GetValue(send), cancellationToken).ConfigureAwait(false);
                var s = run.Summary;
                await output.WriteLineAsync(s.Subject).ConfigureAwait(false);
                foreach (var c in s.Criteria.Where(c => c.Status != Status.NotCovered))
                {
                    await output.WriteLineAsync($"  {c.Status,-6} {c.Id,-6} {c.Name}{(c.Reasons.Count > 0 ? $": {c.Reasons[0]}" : string.Empty)}").ConfigureAwait(false);
                }

                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {s.Totals.NotCovered} criteria are not covered by any collector.")).ConfigureAwait(false);
                await output.WriteLineAsync($"Stored: {run.Commit.Manifest} ({run.Commit.Status})").ConfigureAwait(false);
                if (run.MailStatus is not null)
                {
                    await output.WriteLineAsync($"Mail: {run.MailStatus}").ConfigureAwait(false);
                }

                if (parse.GetValue(outDir) is { } folder)
                {
                    Directory.CreateDirectory(folder);
                    var html = Path.Combine(folder, $"summary-{s.Date}.html");
                    await File.WriteAllTextAsync(html, run.Html, cancellationToken).ConfigureAwait(false);
                    await File.WriteAllTextAsync(Path.Combine(folder, $"summary-{s.Date}.json"), JsonSerializer.Serialize(s, EvidenceJson.Options), cancellationToken).ConfigureAwait(false);
                    await output.WriteLineAsync($"Report: {html}").ConfigureAwait(false);
                }

                return run.MailStatus is { } m && m.StartsWith("not sent:", StringComparison.Ordinal) && parse.GetValue(send) ? CollectorsCli.Problem : CollectorsCli.Ok;
            }
            catch (Exception ex) when (ex is CliUsageException or EvidenceStoreConfigurationException or InvalidOperationException)
            {
                await error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
                return CollectorsCli.UsageError;
            }
            catch (Exception ex) when (Unreachable.Matches(ex))
            {
                await error.WriteLineAsync($"error: {Unreachable.Describe(ex, "the evidence store", Unreachable.CheckSettings)}").ConfigureAwait(false);
                return CollectorsCli.UsageError;
            }
        });
        return command;
    }
}
