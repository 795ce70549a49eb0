using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Collectors.DrJobs;

public static class DrJobsServiceCollectionExtensions
{
    public static IServiceCollection AddDrJobsCollector(this IServiceCollection services)
    {
        services.AddOptions<DrJobsOptions>().BindConfiguration(DrJobsOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<DrJobsOptions>, DrJobsOptionsValidator>();
        services.AddSingleton<DrJobsClient>();
        services.AddSingleton<DrJobsCollector>();
        services.AddSingleton<DrJobChecks>();
        services.AddSingleton<Catalog.ICollectorChecks>(sp => new Catalog.RecordChecks(DrJobsCollector.Id, (stream, records, ct) => sp.GetRequiredService<DrJobChecks>().EvaluateAsync(stream, records, ct)));
        return services;
    }
}

public sealed class DrJobsOptionsValidator : IValidateOptions<DrJobsOptions>
{
    public ValidateOptionsResult Validate(string? name, DrJobsOptions options)
    {
        var failures = new List<string>();
        if (options.WindowMinutes < 1 || 1440 % options.WindowMinutes != 0)
        {
            failures.Add($"Collectors__DrJobs__WindowMinutes {options.WindowMinutes} must divide a day (e.g. 15, 60, 240).");
        }

        if (options.LagMinutes < 0)
        {
            failures.Add($"Collectors__DrJobs__LagMinutes {options.LagMinutes} cannot be negative.");
        }

        if (options.MaxWindowsPerRun < 1)
        {
            failures.Add($"Collectors__DrJobs__MaxWindowsPerRun {options.MaxWindowsPerRun} must be at least 1.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
