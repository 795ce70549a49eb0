using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Collectors.Catalog;
using Collectors.Evidence;
using Microsoft.Extensions.DependencyInjection;

namespace Collectors.Cli.Commands;

/// <summary><c>collectors list</c>: every collector of this deployment, from its collector.json.</summary>
internal static class ListCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var json = new Option<bool>("--json") { Description = "Print the collectors' metadata as JSON." };
        var command = new Command("list", "List the collectors: id, kind, SOC 2 criteria, trigger and its setting, permissions. Exit 0, or 2 on a configuration error.") { json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                // The catalog needs no store or endpoint: it is what the collectors' collector.json files say.
                using var host = await CollectorsHost.StartAsync(new Dictionary<string, string?>(), verbose: false, error, cancellationToken, validate: false).ConfigureAwait(false);
                var catalog = host.Services.GetRequiredService<CollectorCatalog>();
                if (parse.GetValue(json))
                {
                    await output.WriteLineAsync(JsonSerializer.Serialize(catalog.Collectors, EvidenceJson.Options)).ConfigureAwait(false);
                    return CollectorsCli.Ok;
                }

                foreach (var c in catalog.Collectors)
                {
                    var trigger = c.Trigger == "timer" ? $"timer %{c.ScheduleSetting}% (default {c.DefaultSchedule})" : $"queue %{c.QueueSetting}% (default {c.DefaultQueue})";
                    await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{c.Id,-24} {c.Kind,-9} {string.Join(" ", c.Criteria),-18} {trigger}")).ConfigureAwait(false);
                    await output.WriteLineAsync($"  {c.Title}").ConfigureAwait(false);
                    foreach (var p in c.Permissions)
                    {
                        await output.WriteLineAsync($"  needs {p.Role} on the {p.Scope}: {p.Why}").ConfigureAwait(false);
                    }

                    await output.WriteLineAsync($"  checks: {string.Join(", ", c.Checks.Select(k => $"{k.Id} ({k.Criterion})"))}").ConfigureAwait(false);
                    if (c.Kind != CollectorDescriptor.Events)
                    {
                        await output.WriteLineAsync(c.FanOut ? "  fan-out: one work item per stream on the work queue" : $"  fan-out: off, its timer runs every stream: {c.FanOutNote}").ConfigureAwait(false);
                    }
                }

                return CollectorsCli.Ok;
            }
            catch (CliUsageException ex)
            {
                await error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
                return CollectorsCli.UsageError;
            }
        });
        return command;
    }
}
