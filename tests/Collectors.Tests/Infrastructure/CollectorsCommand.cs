using Collectors.Cli;

namespace Collectors.Tests.Infrastructure;

internal sealed record CliRun(int ExitCode, string Output, string Error);

/// <summary>Runs the real <c>collectors</c> command in-process.</summary>
internal static class CollectorsCommand
{
    public static Task<CliRun> RunAsync(IReadOnlyDictionary<string, string?>? configuration, params string[] args) => RunAsync(configuration, null, args);

    /// <param name="extend">Composition added after AddCollectors (a collector defined in the tests).</param>
    public static async Task<CliRun> RunAsync(IReadOnlyDictionary<string, string?>? configuration, Action<Microsoft.Extensions.Hosting.IHostApplicationBuilder>? extend, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CollectorsCli.RunAsync(args, output, error, CancellationToken.None, configuration, extend);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    public static Task<CliRun> RunAsync(params string[] args) => RunAsync(null, args);
}
