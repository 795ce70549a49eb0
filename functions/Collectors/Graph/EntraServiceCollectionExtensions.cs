using Azure.Core;
using Collectors.Configuration;
using Collectors.EntraDirectoryAudits;
using Collectors.EntraSignIns;
using Collectors.Evidence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Collectors.Graph;

public static class EntraServiceCollectionExtensions
{
    public const string SignInsSection = "Collectors:EntraSignIns";
    public const string DirectoryAuditsSection = "Collectors:EntraDirectoryAudits";

    public static IServiceCollection AddEntraCollectors(this IServiceCollection services)
    {
        services.AddOptions<GraphPacingOptions>().BindConfiguration("Collectors:Graph");
        services.AddOptions<AuditLogOptions>(SignInsSection).BindConfiguration(SignInsSection).ValidateOnStart();
        services.AddOptions<AuditLogOptions>(DirectoryAuditsSection).BindConfiguration(DirectoryAuditsSection).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuditLogOptions>, AuditLogOptionsValidator>();
        services.AddSingleton(sp =>
        {
            var pacing = sp.GetRequiredService<IOptions<GraphPacingOptions>>().Value;
            return new ReportingPacer(pacing.RequestsPerWindow, TimeSpan.FromSeconds(pacing.WindowSeconds), sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton(sp => new GraphReportingClient(
            sp.GetRequiredService<IOptions<AzureOptions>>().Value,
            sp.GetRequiredService<TokenCredential>(),
            sp.GetRequiredService<ReportingPacer>(),
            sp.GetRequiredService<ILogger<GraphReportingClient>>()));
        services.AddSingleton(sp => new EntraSignInsCollector(Create(sp, SignInsSection, EntraSignInsCollector.Sources)));
        services.AddSingleton(sp => new EntraDirectoryAuditsCollector(Create(sp, DirectoryAuditsSection, _ => [EntraDirectoryAuditsCollector.Source])));
        services.AddSingleton<Catalog.ICollectorChecks>(new Catalog.RecordChecks(EntraSignInsCollector.Id, (stream, records, ct) => new SignInChecks().EvaluateAsync(stream, records, ct)));
        services.AddSingleton<Catalog.ICollectorChecks>(new Catalog.RecordChecks(EntraDirectoryAuditsCollector.Id, (stream, records, ct) => new DirectoryAuditChecks().EvaluateAsync(stream, records, ct)));
        return services;
    }

    private static AuditLogCollector Create(IServiceProvider sp, string section, Func<AuditLogOptions, IReadOnlyList<AuditLogSource>> sources)
    {
        var options = sp.GetRequiredService<IOptionsMonitor<AuditLogOptions>>().Get(section);
        var azure = sp.GetRequiredService<IOptions<AzureOptions>>().Value;
        return new AuditLogCollector(
            sources(options),
            options,
            sp.GetRequiredService<GraphReportingClient>(),
            sp.GetRequiredService<EvidenceWriter>(),
            sp.GetRequiredService<LateArrivalSweep>(),
            sp.GetRequiredService<TokenCredential>(),
            azure.ResolveCloud().Graph,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<AuditLogCollector>());
    }
}

public sealed class AuditLogOptionsValidator : IValidateOptions<AuditLogOptions>
{
    public ValidateOptionsResult Validate(string? name, AuditLogOptions options)
    {
        var key = (name ?? string.Empty).Replace(':', '_').Replace("_", "__", StringComparison.Ordinal);
        var failures = new List<string>();
        if (options.WindowMinutes < 1 || 1440 % options.WindowMinutes != 0)
        {
            failures.Add($"{key}__WindowMinutes {options.WindowMinutes} must divide a day (e.g. 15, 30, 60).");
        }

        if (options.LagMinutes < 0 || options.MaxWindowsPerRun < 1)
        {
            failures.Add($"{key}__LagMinutes must be ≥ 0 and {key}__MaxWindowsPerRun ≥ 1.");
        }

        if (options.RetentionDays is < 1 or > 30)
        {
            failures.Add($"{key}__RetentionDays {options.RetentionDays} must be 1–30 (Entra keeps 30 days with P1/P2, 7 without).");
        }

        if (options.SweepHourUtc is < 0 or > 23)
        {
            failures.Add($"{key}__SweepHourUtc {options.SweepHourUtc} must be an hour, 0–23.");
        }

        if (options.PageSize is < 1 or > 1000)
        {
            failures.Add($"{key}__PageSize {options.PageSize} must be 1–1000 (Graph's documented maximum).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
