using Collectors.Cli;

namespace Collectors.Tests.Infrastructure;

internal sealed record CliRun(int ExitCode, string Output, string Error);

/// <summary>Runs the real <c>collectors</c> command in-process.</summary>
internal static class CollectorsCommand
{
    public static async Task<CliRun> RunAsync(IReadOnlyDictionary<string, string?>? configuration, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CollectorsCli.RunAsync(args, output, error, CancellationToken.None, configuration);
        return new CliRun(code, output.ToString(), error.ToString());
    }

    public static Task<CliRun> RunAsync(params string[] args) => RunAsync(null, args);
}
