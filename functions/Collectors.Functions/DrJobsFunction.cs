using Collectors.DrJobs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Collectors.Functions;

/// <summary>Timer: collects every configured vault's test failovers and restores up to now − lag, catching up missed windows.</summary>
public sealed partial class DrJobsFunction(DrJobsCollector collector, ILogger<DrJobsFunction> logger)
{
    [Function("dr-jobs")]
    public async Task RunAsync([TimerTrigger("%DR_JOBS_SCHEDULE%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var run = await collector.RunScheduledAsync(cancellationToken);
        if (!run.Succeeded)
        {
            // Failed windows are recorded as error records and retried next run; the summary reports them.
            LogFailures(logger, run.Failed, string.Join("; ", run.Results.Where(r => r.Reason is not null && r.ErrorRecord is not null).Select(r => $"{r.Stream} {r.Window}: {r.Reason}")));
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "DR jobs run left {Failed} window(s) open: {Reasons}")]
    private static partial void LogFailures(ILogger logger, int failed, string reasons);
}
