using Collectors.Defender;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Collectors.Functions;

/// <summary>Timer: a full-population snapshot of Defender for Cloud, labelled with the current grid window.</summary>
public sealed partial class DefenderFindingsFunction(DefenderCollector collector, ILogger<DefenderFindingsFunction> logger)
{
    [Function("defender-findings")]
    public async Task RunAsync([TimerTrigger("%DEFENDER_FINDINGS_SCHEDULE%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var run = await collector.SnapshotAsync(cancellationToken);
        if (!run.Succeeded)
        {
            // A failed snapshot is an error record; a later run in the same window may still take it.
            LogFailures(logger, run.Failed, string.Join("; ", run.Results.Where(r => r.ErrorRecord is not null).Select(r => $"{r.Stream} {r.Window}: {r.Reason}")));
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Defender snapshot failed for {Failed} stream(s): {Reasons}")]
    private static partial void LogFailures(ILogger logger, int failed, string reasons);
}
