using Collectors.Configuration;
using Collectors.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Collectors.ActivityLog;

internal static class ActivityLogServiceCollectionExtensions
{
    public static IServiceCollection AddActivityLogCollector(this IServiceCollection services)
    {
        services.AddOptions<ActivityLogOptions>().BindConfiguration(ActivityLogOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ActivityLogOptions>, ActivityLogOptionsValidator>();
        services.AddSingleton<ActivityLogClient>();
        services.AddCollector<ActivityLogCollector>();
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

internal sealed class ActivityLogOptionsValidator : IValidateOptions<ActivityLogOptions>
{
    public ValidateOptionsResult Validate(string? name, ActivityLogOptions options)
    {
        var failures = options.Subscriptions.Where(s => !Guid.TryParse(s, out _))
            .Select(s => $"Collectors__ActivityLog__Subscriptions contains '{s}', which is not a subscription id (a GUID).").ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
