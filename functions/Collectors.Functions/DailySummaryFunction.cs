using Collectors.Summary;
using Microsoft.Azure.Functions.Worker;

namespace Collectors.Functions;

/// <summary>Timer (default 06:00 UTC): summarises every day up to yesterday not summarised yet, oldest first, stores each write-once and e-mails each once.</summary>
public sealed class DailySummaryFunction(DailySummaryService summaries)
{
    [Function("daily-summary")]
    public Task RunAsync([TimerTrigger("%DAILY_SUMMARY_SCHEDULE%")] TimerInfo timer, CancellationToken cancellationToken) =>
        summaries.RunDueAsync(cancellationToken);
}
