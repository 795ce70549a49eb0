using Collectors.ActivityLog;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Collectors.Functions;

/// <summary>Timer: collects every subscription's Activity Log windows up to now − lag, catching up missed ones.</summary>
public sealed partial class ActivityLogFunction(ActivityLogCollector collector, ILogger<ActivityLogFunction> logger)
{
    [Function("activity-log")]
    public async Task RunAsync([TimerTrigger("%ACTIVITY_LOG_SCHEDULE%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var run = await collector.RunScheduledAsync(cancellationToken);
        if (!run.Succeeded)
        {
            // Failed windows are recorded as error records and retried next run; the summary reports them.
            LogFailures(logger, run.Failed, string.Join("; ", run.Results.Where(r => r.Reason is not null && r.ErrorRecord is not null).Select(r => $"{r.Stream} {r.Window}: {r.Reason}")));
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Activity Log run left {Failed} window(s) open: {Reasons}")]
    private static partial void LogFailures(ILogger logger, int failed, string reasons);
}
