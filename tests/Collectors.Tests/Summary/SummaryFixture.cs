using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Collectors.ActivityLog;
using Collectors.Catalog;
using Collectors.Evidence;
using Collectors.Summary;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.Summary;

/// <summary>Activity Log evidence for whole days, written through the real writer, with chosen gaps, failures and violations.</summary>
internal static class SummaryFixture
{
    public const string Pipeline = "pipeline-sp";
    public static readonly EvidenceStream Stream = ActivityLogCollector.StreamFor("00000000-0000-0000-0000-0000000000aa");

    public static DateOnly Day(int offset) => DateOnly.FromDateTime(DateTime.UtcNow.Date.AddDays(-10 + offset));

    public static DateTimeOffset Start(DateOnly day) => new(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    /// <summary>Commits the day's 96 windows except <paramref name="skip"/>; <paramref name="violations"/> maps a window index to a record to add.</summary>
    public static async Task CommitDayAsync(TestStore store, DateOnly day, int[]? skip = null, Dictionary<int, string>? violations = null, int[]? fail = null)
    {
        var start = Start(day);
        for (var i = 0; i < 96; i++)
        {
            if (skip?.Contains(i) == true)
            {
                continue;
            }

            var window = new TimeWindow(start.AddMinutes(15 * i), start.AddMinutes(15 * (i + 1)));
            var records = new List<byte[]> { Event($"{day:yyyyMMdd}-{i}-a", window.Start.AddMinutes(1), Pipeline, "Microsoft.Web/sites/write", "Succeeded") };
            if (violations?.TryGetValue(i, out var extra) == true)
            {
                records.Add(Encoding.UTF8.GetBytes(extra));
            }

            var batch = new EvidenceBatch(ActivityLogCollector.Id, CollectorCatalog.Default.Find(ActivityLogCollector.Id)!.Criteria, Stream, window);
            var result = fail?.Contains(i) == true
                ? await store.Writer.CommitWindowAsync(batch, Failing, CancellationToken.None)
                : await store.Writer.CommitWindowAsync(batch, Records.Source(records), CancellationToken.None);
            Assert.AreNotEqual(CommitStatus.AlreadyCommitted, result.Status);
        }
    }

    public static string OutOfBand(string id, DateTimeOffset at) => Encoding.UTF8.GetString(Event(id, at, "mallory@contoso.com", "Microsoft.Compute/virtualMachines/write", "Succeeded"));

    public static string SelfProtection(string id, DateTimeOffset at) => Encoding.UTF8.GetString(Event(id, at, Pipeline, "microsoft.insights/diagnosticSettings/write", "Succeeded", "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stevidence/providers/microsoft.insights/diagnosticSettings/d"));

    public static string RoleChange(string id, DateTimeOffset at) => Encoding.UTF8.GetString(Event(id, at, Pipeline, "Microsoft.Authorization/roleAssignments/write", "Succeeded"));

    public static byte[] Event(string id, DateTimeOffset at, string caller, string operation, string status, string? resourceId = null) => Encoding.UTF8.GetBytes(
        $"{{\"eventDataId\":\"{id}\",\"eventTimestamp\":\"{at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture)}\",\"caller\":\"{caller}\",\"category\":{{\"value\":\"Administrative\"}},\"operationName\":{{\"value\":\"{operation}\"}},\"status\":{{\"value\":\"{status}\"}},\"resourceId\":\"{resourceId ?? "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Web/sites/app"}\"}}");

    public static DailySummaryBuilder Builder(TestStore store, TimeProvider time, bool emulator = true) => new(
        store.Reader,
        CollectorCatalog.Of(ActivityLogCollector.Id),
        [new RecordChecks(ActivityLogCollector.Id, (stream, records, ct) => new ActivityLogChecks([Pipeline], "stevidence").EvaluateAsync(stream, records, ct))],
        emulator,
        time);

    /// <summary>The summary service over the store, without mail (its Graph client is never built).</summary>
    public static DailySummaryService Service(TestStore store, TimeProvider clock) => new(
        Builder(store, clock),
        store.NewWriter(clock),
        store.Reader,
        store.State,
        () => throw new InvalidOperationException("This summary service does not send mail."),
        new SummaryOptions(),
        clock,
        Microsoft.Extensions.Logging.Abstractions.NullLogger<DailySummaryService>.Instance);

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Failing(SourceLog log, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        log.AddRequest(new SourceRequest("GET", "https://management.azure.com/subscriptions/x/providers/Microsoft.Insights/eventtypes/management/values", "2015-04-01", null));
        await Task.Yield();
        throw new EvidenceSourceException("ARM returned 403 AuthorizationFailed for the Activity Log of subscription x: the collector's identity needs the Reader role.", 403, "AuthorizationFailed");
#pragma warning disable CS0162 // an iterator needs a yield
        yield break;
#pragma warning restore CS0162
    }
}
