using System.CommandLine;
using Collectors.Events;
using Collectors.Evidence;
using Microsoft.Extensions.DependencyInjection;

namespace Collectors.Cli.Commands;

/// <summary><c>collectors ingest-event --file &lt;path&gt;|-</c>: one message through the same handler as the queue trigger.</summary>
internal static class IngestEventCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var file = new Option<string>("--file") { Description = "The message: a file holding one event or an array, raw JSON or Base64 (Event Grid schema or CloudEvents 1.0); '-' reads standard input.", Required = true };
        var verbose = new Option<bool>("--verbose") { Description = "Log every event." };
        var command = new Command("ingest-event", "Store a delivered event message as evidence, exactly as the queue trigger does: each event into its stream (a redelivered event id commits nothing), anything refused into a rejection record. Exit 0 every event stored, 1 something was refused (see the rejection record), 2 usage or configuration error.") { file, verbose };
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var path = parse.GetValue(file)!;
                BinaryData message;
                EventOrigin origin;
                if (path == "-")
                {
                    await using var stdin = Console.OpenStandardInput();
                    message = await BinaryData.FromStreamAsync(stdin, cancellationToken).ConfigureAwait(false);
                    origin = EventOrigin.File("stdin");
                }
                else
                {
                    if (!File.Exists(path))
                    {
                        throw new CliUsageException($"--file '{path}' does not exist.");
                    }

                    message = new BinaryData(await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false));
                    origin = EventOrigin.File(Path.GetFileName(path));
                }

                using var host = await CollectorsHost.StartAsync(new Dictionary<string, string?>(), parse.GetValue(verbose), error, cancellationToken).ConfigureAwait(false);
                var handler = host.Services.GetRequiredService<EventIngestionHandler>();
                var result = await handler.HandleAsync(origin, message, cancellationToken).ConfigureAwait(false);
                foreach (var e in result.Events)
                {
                    // Ids and types are the publisher's text: shown escaped, so they cannot rewrite the terminal.
                    var (id, type) = (UntrustedText.Shown(e.Id, 100), UntrustedText.Shown(e.Type, 100));
                    await output.WriteLineAsync(e.Rejection is not null
                        ? $"  event {e.Index} {id} {type}: refused: {UntrustedText.Shown(e.Rejection, 2000)}"
                        : $"  event {e.Index} {id} {type}: {(e.Status == CommitStatus.Committed ? "committed" : "already committed")} {e.Manifest}").ConfigureAwait(false);
                }

                if (result.RejectionRecord is not null)
                {
                    await output.WriteLineAsync($"Refused: {UntrustedText.Shown(result.Reason, 4000)}").ConfigureAwait(false);
                    await output.WriteLineAsync($"  rejection record: {result.RejectionRecord}").ConfigureAwait(false);
                }

                await output.WriteLineAsync($"Done: {result.Accepted} event(s) committed, {result.Duplicates} already committed, {result.Rejected} refused.").ConfigureAwait(false);
                return result.RejectionRecord is null ? CollectorsCli.Ok : CollectorsCli.Problem;
            }
            catch (Exception ex) when (Unreachable.Matches(ex))
            {
                await error.WriteLineAsync($"error: {Unreachable.Describe(ex, "the evidence store", Unreachable.CheckSettings)} Nothing was stored; run the command again.").ConfigureAwait(false);
                return CollectorsCli.UsageError;
            }
            catch (Azure.RequestFailedException ex)
            {
                await error.WriteLineAsync($"error: the evidence store failed ({ex.Status} {ex.ErrorCode}): {ex.Message.Split('\n')[0]} Nothing is lost: run the command again; events already stored are not stored twice.").ConfigureAwait(false);
                return CollectorsCli.Problem;
            }
            catch (Exception ex) when (ex is CliUsageException or EvidenceStoreConfigurationException or InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                await error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
                return CollectorsCli.UsageError;
            }
        });
        return command;
    }
}
