using Collectors.EntraDirectoryAudits;
using Collectors.EntraSignIns;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Collectors.Functions;

/// <summary>Timers: Entra sign-ins and directory audits, hourly windows after a two-hour lag, plus the daily late-arrival sweep.</summary>
public sealed partial class EntraFunctions(EntraSignInsCollector signIns, EntraDirectoryAuditsCollector directoryAudits, ILogger<EntraFunctions> logger)
{
    [Function("entra-signins")]
    public async Task SignInsAsync([TimerTrigger("%ENTRA_SIGNINS_SCHEDULE%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var run = await signIns.Collector.RunScheduledAsync(cancellationToken);
        if (!run.Succeeded)
        {
            LogFailures(logger, "entra-signins", run.Failed);
        }
    }

    [Function("entra-directory-audits")]
    public async Task DirectoryAuditsAsync([TimerTrigger("%ENTRA_DIRECTORY_AUDITS_SCHEDULE%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var run = await directoryAudits.Collector.RunScheduledAsync(cancellationToken);
        if (!run.Succeeded)
        {
            LogFailures(logger, "entra-directory-audits", run.Failed);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Collector} run left {Failed} window(s) open; their error records say why")]
    private static partial void LogFailures(ILogger logger, string collector, int failed);
}
