using Collectors.Summary;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Collectors.Functions;

/// <summary>Timer (default 06:00 UTC): summarises yesterday from the evidence, stores it write-once and e-mails it once.</summary>
public sealed partial class DailySummaryFunction(DailySummaryService summaries, TimeProvider time, ILogger<DailySummaryFunction> logger)
{
    [Function("daily-summary")]
    public async Task RunAsync([TimerTrigger("%DAILY_SUMMARY_SCHEDULE%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        var yesterday = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime.Date.AddDays(-1));
        var run = await summaries.RunAsync(yesterday, send: true, cancellationToken);
        LogSummary(logger, run.Summary.Subject, run.MailStatus ?? "not sent");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Subject}; mail: {Mail}")]
    private static partial void LogSummary(ILogger logger, string subject, string mail);
}
