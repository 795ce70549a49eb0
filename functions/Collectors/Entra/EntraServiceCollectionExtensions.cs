using Azure.Core;
using Collectors.Configuration;
using Collectors.Entra.DirectoryAudits;
using Collectors.Entra.SignIns;
using Collectors.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Collectors.Entra;

internal static class EntraServiceCollectionExtensions
{
    /// <summary>The Graph client and pacer both Entra collectors share.</summary>
    public static IServiceCollection AddEntra(this IServiceCollection services)
    {
        services.AddOptions<GraphPacingOptions>().BindConfiguration("Collectors:Graph");
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
        services.AddSingleton<EntraAuditLogs>();
        return services;
    }

    public static IServiceCollection AddEntraSignInsCollector(this IServiceCollection services)
    {
        services.AddOptions<AuditLogOptions>(EntraSignInsCollector.Id).BindConfiguration("Collectors:EntraSignIns").ValidateOnStart();
        services.AddCollector<EntraSignInsCollector>();
        services.AddSingleton<Catalog.ICollectorChecks>(new Catalog.RecordChecks(EntraSignInsCollector.Id, (stream, records, ct) => new SignInChecks().EvaluateAsync(stream, records, ct)));
        return services;
    }

    public static IServiceCollection AddEntraDirectoryAuditsCollector(this IServiceCollection services)
    {
        services.AddOptions<AuditLogOptions>(EntraDirectoryAuditsCollector.Id).BindConfiguration("Collectors:EntraDirectoryAudits").ValidateOnStart();
        services.AddCollector<EntraDirectoryAuditsCollector>();
        services.AddSingleton<Catalog.ICollectorChecks>(new Catalog.RecordChecks(EntraDirectoryAuditsCollector.Id, (stream, records, ct) => new DirectoryAuditChecks().EvaluateAsync(stream, records, ct)));
        return services;
    }
}

internal sealed class AuditLogOptionsValidator : IValidateOptions<AuditLogOptions>
{
    public ValidateOptionsResult Validate(string? name, AuditLogOptions options) =>
        options.PageSize is < 1 or > 1000
            ? ValidateOptionsResult.Fail($"Collectors__{Catalog.CollectorDescriptor.Pascal(name ?? string.Empty)}__PageSize {options.PageSize} must be 1–1000 (Graph's documented maximum).")
            : ValidateOptionsResult.Success;
}
