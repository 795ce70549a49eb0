using Collectors.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Collectors.ActivityLog;

public static class ActivityLogServiceCollectionExtensions
{
    public static IServiceCollection AddActivityLogCollector(this IServiceCollection services)
    {
        services.AddOptions<ActivityLogOptions>().BindConfiguration(ActivityLogOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ActivityLogOptions>, ActivityLogOptionsValidator>();
        services.AddSingleton<ActivityLogClient>();
        services.AddSingleton<ActivityLogCollector>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ActivityLogOptions>>().Value;
            var evidence = sp.GetRequiredService<IOptions<EvidenceOptions>>().Value;
            return new ActivityLogChecks(options.ApprovedDeployers, options.EvidenceStorageAccountName ?? AccountNameOf(evidence.BlobServiceUri));
        });
        services.AddSingleton<Catalog.ICollectorChecks>(sp => new Catalog.RecordChecks(ActivityLogCollector.Id, (stream, records, ct) => sp.GetRequiredService<ActivityLogChecks>().EvaluateAsync(stream, records, ct)));
        return services;
    }

    /// <summary>stevidence from https://stevidence.blob.core.windows.net/ (any cloud's suffix).</summary>
    internal static string? AccountNameOf(Uri? blobServiceUri) =>
        blobServiceUri is { IsLoopback: false } uri && uri.Host.Contains(".blob.", StringComparison.OrdinalIgnoreCase) ? uri.Host[..uri.Host.IndexOf('.', StringComparison.Ordinal)] : null;
}

public sealed class ActivityLogOptionsValidator : IValidateOptions<ActivityLogOptions>
{
    public ValidateOptionsResult Validate(string? name, ActivityLogOptions options)
    {
        var failures = new List<string>();
        if (options.WindowMinutes < 1 || 1440 % options.WindowMinutes != 0)
        {
            failures.Add($"Collectors__ActivityLog__WindowMinutes {options.WindowMinutes} must divide a day (e.g. 5, 15, 30, 60).");
        }

        if (options.LagMinutes < 0)
        {
            failures.Add($"Collectors__ActivityLog__LagMinutes {options.LagMinutes} cannot be negative.");
        }

        if (options.SweepHourUtc is < 0 or > 23)
        {
            failures.Add($"Collectors__ActivityLog__SweepHourUtc {options.SweepHourUtc} must be an hour, 0–23.");
        }

        if (options.MaxWindowsPerRun < 1)
        {
            failures.Add($"Collectors__ActivityLog__MaxWindowsPerRun {options.MaxWindowsPerRun} must be at least 1.");
        }

        if (options.MaxParallelSubscriptions < 1)
        {
            failures.Add($"Collectors__ActivityLog__MaxParallelSubscriptions {options.MaxParallelSubscriptions} must be at least 1.");
        }

        foreach (var subscription in options.Subscriptions.Where(s => !Guid.TryParse(s, out _)))
        {
            failures.Add($"Collectors__ActivityLog__Subscriptions contains '{subscription}', which is not a subscription id (a GUID).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
