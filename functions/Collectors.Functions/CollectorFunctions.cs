using Collectors.Runtime;
using Microsoft.Azure.Functions.Worker;

namespace Collectors.Functions;

/// <summary>
/// One timer per scheduled collector, each a call into the runtime by id: it plans the due work items (one
/// per stream) and puts them on the work queue, where <see cref="RunWorkItemAsync"/> runs them on as many
/// instances as the Functions platform scales out to. The Function name is the collector id.
/// </summary>
public sealed class CollectorFunctions(CollectorRuntime runtime)
{
    [Function("activity-log")]
    public Task ActivityLogAsync([TimerTrigger("%ACTIVITY_LOG_SCHEDULE%")] TimerInfo timer, CancellationToken cancellationToken) => runtime.ScheduleAsync("activity-log", cancellationToken);

    [Function("entra-signins")]
    public Task EntraSignInsAsync([TimerTrigger("%ENTRA_SIGNINS_SCHEDULE%")] TimerInfo timer, CancellationToken cancellationToken) => runtime.ScheduleAsync("entra-signins", cancellationToken);

    [Function("entra-directory-audits")]
    public Task EntraDirectoryAuditsAsync([TimerTrigger("%ENTRA_DIRECTORY_AUDITS_SCHEDULE%")] TimerInfo timer, CancellationToken cancellationToken) => runtime.ScheduleAsync("entra-directory-audits", cancellationToken);

    [Function("defender-findings")]
    public Task DefenderFindingsAsync([TimerTrigger("%DEFENDER_FINDINGS_SCHEDULE%")] TimerInfo timer, CancellationToken cancellationToken) => runtime.ScheduleAsync("defender-findings", cancellationToken);

    [Function("dr-jobs")]
    public Task DrJobsAsync([TimerTrigger("%DR_JOBS_SCHEDULE%")] TimerInfo timer, CancellationToken cancellationToken) => runtime.ScheduleAsync("dr-jobs", cancellationToken);

    /// <summary>One work item. A storage or source failure inside is an error record and a normal return; anything that throws is retried, then goes to the poison queue.</summary>
    [Function("collector-work")]
    public Task RunWorkItemAsync([QueueTrigger("%COLLECTOR_WORK_QUEUE%")] string message, CancellationToken cancellationToken) => runtime.RunMessageAsync(message, cancellationToken);

    /// <summary>A work item that failed every delivery: an error record, so the daily summary reports the stream and why.</summary>
    [Function("collector-work-poison")]
    public Task RecordPoisonAsync([QueueTrigger("%COLLECTOR_WORK_QUEUE%-poison")] string message, CancellationToken cancellationToken) => runtime.RecordPoisonAsync(message, cancellationToken);
}
