using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Collectors.Cli;

/// <summary>The same composition as the Functions app (AddCollectors), hosted for one CLI command.</summary>
internal static class CollectorsHost
{
    private static readonly AsyncLocal<Action<IHostApplicationBuilder>?> s_extend = new();

    /// <summary>Composition added after AddCollectors by an embedding caller (tests add a collector of their own).</summary>
    public static Action<IHostApplicationBuilder>? Extend { get => s_extend.Value; set => s_extend.Value = value; }

    /// <param name="validate">False starts nothing and validates nothing: for commands that only read the composition (list).</param>
    public static async Task<IHost> StartAsync(IDictionary<string, string?> overrides, bool verbose, TextWriter error, CancellationToken cancellationToken, bool validate = true)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddConfiguration(CliConfiguration.Build(overrides));
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(verbose ? LogLevel.Information : LogLevel.Warning);
        builder.Logging.AddFilter("Azure", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting", LogLevel.None);
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.AddCollectors();
        Extend?.Invoke(builder);
        var host = builder.Build();
        if (!validate)
        {
            return host;
        }

        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OptionsValidationException or AggregateException { InnerExceptions: [OptionsValidationException, ..] })
        {
            host.Dispose();
            var messages = ex is AggregateException aggregate ? aggregate.InnerExceptions.Select(e => e.Message) : [ex.Message];
            throw new CliUsageException("configuration: " + string.Join(Environment.NewLine + "configuration: ", messages));
        }

        return host;
    }
}
