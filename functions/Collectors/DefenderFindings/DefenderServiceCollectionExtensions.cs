using Collectors.Arm;
using Collectors.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Collectors.DefenderFindings;

internal static class DefenderServiceCollectionExtensions
{
    public static IServiceCollection AddDefenderFindingsCollector(this IServiceCollection services)
    {
        var descriptor = Catalog.CollectorDescriptor.For(typeof(DefenderFindingsCollector));
        services.AddOptions<DefenderOptions>()
            .Configure(o => o.SnapshotHours = (int)descriptor.SnapshotEvery!.Value.TotalHours)
            .BindConfiguration(DefenderOptions.SectionName)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<DefenderOptions>, DefenderOptionsValidator>();
        services.TryAddSingleton<ResourceGraphClient>();
        services.AddCollector<DefenderFindingsCollector>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<DefenderOptions>>().Value;
            return new DefenderChecks(options.SlaDays, options.SecureScoreDropPoints);
        });
        services.AddSingleton<Catalog.ICollectorChecks>(sp => new Catalog.EvidenceChecks(DefenderFindingsCollector.Id, (reader, stream, from, to, ct) => sp.GetRequiredService<DefenderChecks>().EvaluateLatestAsync(reader, stream, to, ct)));
        return services;
    }
}

internal sealed class DefenderOptionsValidator : IValidateOptions<DefenderOptions>
{
    public ValidateOptionsResult Validate(string? name, DefenderOptions options)
    {
        var failures = new List<string>();
        if (options.SnapshotHours < 1 || 24 % options.SnapshotHours != 0)
        {
            failures.Add($"Collectors__DefenderFindings__SnapshotHours {options.SnapshotHours} must divide a day (1, 2, 3, 4, 6, 8, 12 or 24).");
        }

        if (options.PageSize is < 1 or > 1000)
        {
            failures.Add($"Collectors__DefenderFindings__PageSize {options.PageSize} must be 1–1000 (Resource Graph's $top).");
        }

        if (options.MaxParallelScopes < 1)
        {
            failures.Add($"Collectors__DefenderFindings__MaxParallelScopes {options.MaxParallelScopes} must be at least 1.");
        }

        if (options.SlaDays < 1)
        {
            failures.Add($"Collectors__DefenderFindings__SlaDays {options.SlaDays} must be at least 1.");
        }

        if (options.SecureScoreDropPoints < 0 || double.IsNaN(options.SecureScoreDropPoints))
        {
            failures.Add($"Collectors__DefenderFindings__SecureScoreDropPoints {options.SecureScoreDropPoints} cannot be negative.");
        }

        foreach (var standard in options.RegulatoryStandards.Where(s => !DefenderQueries.IsSafeStandard(s)))
        {
            failures.Add($"Collectors__DefenderFindings__RegulatoryStandards contains '{standard}': use 1–64 letters, digits, '.', '_' or '-' (it is matched as a name prefix).");
        }

        foreach (var subscription in options.Subscriptions.Where(s => !Guid.TryParse(s, out _)))
        {
            failures.Add($"Collectors__DefenderFindings__Subscriptions contains '{subscription}', which is not a subscription id (a GUID).");
        }

        if (!string.IsNullOrWhiteSpace(options.TenantId) && !Guid.TryParse(options.TenantId, out _))
        {
            failures.Add($"Collectors__DefenderFindings__TenantId '{options.TenantId}' is not a tenant id (a GUID).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
