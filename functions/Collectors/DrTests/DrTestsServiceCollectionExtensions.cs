using Collectors.Events;
using Collectors.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Collectors.DrTests;

internal static class DrTestsServiceCollectionExtensions
{
    public static IServiceCollection AddDrTestsCollector(this IServiceCollection services)
    {
        services.AddOptions<DrTestsOptions>().BindConfiguration(DrTestsOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DrTestsOptions>, DrTestsOptionsValidator>();
        services.AddEventIngestion();
        services.AddEventCollector<DrTestsEventRoute>();
        services.AddSingleton<DrTestChecks>();
        services.AddSingleton<Catalog.ICollectorChecks>(sp => new Catalog.EvidenceChecks(DrTestsEventRoute.Id, (reader, stream, from, to, ct) => sp.GetRequiredService<DrTestChecks>().EvaluateAsync(reader, stream, from, to, ct)));
        return services;
    }
}

internal sealed class DrTestsOptionsValidator : IValidateOptions<DrTestsOptions>
{
    public ValidateOptionsResult Validate(string? name, DrTestsOptions options)
    {
        var failures = new List<string>();
        for (var i = 0; i < options.Workloads.Count; i++)
        {
            var w = options.Workloads[i];
            var key = $"Collectors__DrTests__Workloads__{i}";
            if (string.IsNullOrWhiteSpace(w.Name))
            {
                failures.Add($"{key}__Name is empty: every workload needs the name its drills report in data.workload.");
            }

            if (w.RequiredIntervalDays < 1)
            {
                failures.Add($"{key}__RequiredIntervalDays {w.RequiredIntervalDays} must be at least 1 (default 90).");
            }

            if (w.RtoMinutes is < 0 || w.RpoMinutes is < 0)
            {
                failures.Add($"{key}__RtoMinutes and __RpoMinutes cannot be negative.");
            }
        }

        foreach (var duplicate in options.Workloads.Where(w => !string.IsNullOrWhiteSpace(w.Name)).GroupBy(w => w.Name.Trim(), StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            failures.Add($"Collectors__DrTests__Workloads lists the workload '{duplicate.Key}' more than once.");
        }

        if (options.MaxClockSkewMinutes < 0)
        {
            failures.Add($"Collectors__DrTests__MaxClockSkewMinutes {options.MaxClockSkewMinutes} cannot be negative.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
