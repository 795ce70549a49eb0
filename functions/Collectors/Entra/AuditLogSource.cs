using System.Globalization;
using Collectors.Evidence;

namespace Collectors.Entra;

/// <summary>One Graph audit-log stream: its key, where it is read from and how its windows are filtered.</summary>
internal sealed record AuditLogSource(string Key, string Collector, string Version, string Resource, string TimeField, string? EventType, string ScopeSuffix)
{
    public EvidenceStream StreamFor(string tenantId) => new(Collector, $"tenant-{tenantId.ToLowerInvariant()}{ScopeSuffix}");

    /// <summary>[start, end) as Graph's filter: ge start and le (end − 100 ns), the timestamps' precision; Graph's lt is not documented for every resource.</summary>
    public string Filter(TimeWindow window)
    {
        var time = $"{TimeField} ge {Format(window.Start)} and {TimeField} le {Format(window.End.AddTicks(-1))}";
        return EventType is null ? time : $"({time}) and signInEventTypes/any(t: t eq '{EventType}')";
    }

    public Uri Url(Uri endpoint, TimeWindow window, int top) =>
        new(endpoint, $"{Version}/auditLogs/{Resource}?$filter={Uri.EscapeDataString(Filter(window))}&$top={top.ToString(CultureInfo.InvariantCulture)}");

    private static string Format(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}
