using System.CommandLine;
using Collectors.Cli.Commands;

namespace Collectors.Cli;

/// <summary>The <c>collectors</c> command. Exit codes: 0 done/intact, 1 integrity problem or failed work, 2 usage or configuration error.</summary>
public static class CollectorsCli
{
    public const int Ok = 0;
    public const int Problem = 1;
    public const int UsageError = 2;

    /// <param name="configuration">Settings layered over appsettings.json and the environment (tests; an embedding host).</param>
    /// <param name="extend">Composition added after the library's (an embedding host's own collectors).</param>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken, IReadOnlyDictionary<string, string?>? configuration = null, Action<Microsoft.Extensions.Hosting.IHostApplicationBuilder>? extend = null)
    {
        CliConfiguration.Layer = configuration;
        CollectorsHost.Extend = extend;
        var root = new RootCommand("Collectors: SOC 2 evidence that collects itself. Run collectors, and verify the evidence store.");
        root.Subcommands.Add(VerifyCommand.Create(output, error));
        root.Subcommands.Add(RunCommand.Create(output, error));
        root.Subcommands.Add(ListCommand.Create(output, error));
        root.Subcommands.Add(SummaryCommand.Create(output, error));
        root.Subcommands.Add(IngestEventCommand.Create(output, error));
        root.Subcommands.Add(AuditCommands.Auditor(output, error));
        root.Subcommands.Add(AuditCommands.Export(output, error));
        root.Subcommands.Add(AuditCommands.Sample(output, error));

        var parseResult = root.Parse(args);
        if (parseResult.Errors.Count > 0)
        {
            foreach (var parseError in parseResult.Errors)
            {
                await error.WriteLineAsync($"error: {parseError.Message}").ConfigureAwait(false);
            }

            await error.WriteLineAsync("Run 'collectors --help' for usage.").ConfigureAwait(false);
            return UsageError;
        }

        return await parseResult.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken).ConfigureAwait(false);
    }
}
