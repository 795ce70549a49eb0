using System.Text.Json;
using Collectors.Evidence;
using Collectors.Runtime;
using Collectors.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Collectors.Tests.SampleHeartbeats;

/// <summary>
/// A collector defined only here (this folder: collector.json and SampleHeartbeatsCollector.cs) and added by
/// the one line in <see cref="Register"/>: the CLI's list and run, the runtime, the daily summary and verify
/// take it as they take the library's own.
/// </summary>
[TestClass]
public sealed class SampleCollectorTests
{
    /// <summary>The whole registration.</summary>
    internal static void Register(IHostApplicationBuilder builder) => builder.Services.AddCollector<SampleHeartbeatsCollector, SampleHeartbeatsOptions>();

    private static readonly DateOnly Day = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-2));

    private static DateTimeOffset DayStart => new(Day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    private static Dictionary<string, string?> Settings(TestStore store, params (string Key, string? Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Evidence:ConnectionString"] = store.Options.ConnectionString,
            ["Evidence:Container"] = store.Options.Container,
            ["Evidence:StateContainer"] = store.Options.StateContainer,
            ["Azure:Credential"] = "AzureCli",
            ["Collectors:SampleHeartbeats:Services:0"] = "checkout",
            ["Collectors:SampleHeartbeats:Services:1"] = "ledger",
            ["Collectors:SampleHeartbeats:Missed:0"] = TimeWindow.Iso(DayStart.AddHours(13).AddMinutes(35)),
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    [TestMethod]
    public async Task CollectorsListShowsIt()
    {
        var list = await CollectorsCommand.RunAsync(null, Register, "list");
        var json = await CollectorsCommand.RunAsync(null, Register, "list", "--json");
        var without = await CollectorsCommand.RunAsync("list");

        Assert.AreEqual(0, list.ExitCode, list.Error);
        StringAssert.Contains(list.Output, "sample-heartbeats");
        StringAssert.Contains(list.Output, "timer %SAMPLE_HEARTBEATS_SCHEDULE% (default 0 */30 * * * *)");
        StringAssert.Contains(list.Output, "checks: heartbeat-missed (A1.1)");
        using var document = JsonDocument.Parse(json.Output);
        var sample = document.RootElement.EnumerateArray().Single(c => c.GetProperty("id").GetString() == "sample-heartbeats");
        Assert.AreEqual("windowed", sample.GetProperty("kind").GetString());
        Assert.AreEqual("SampleHeartbeats", sample.GetProperty("folder").GetString());
        Assert.DoesNotContain("sample-heartbeats", without.Output, "without its registration line the library knows nothing of it");
    }

    [TestMethod]
    public async Task CollectorsRunCommitsItsWindowsTheSummaryCoversAndJudgesThemAndVerifyPassesThem()
    {
        await using var store = TestStore.Create();
        var settings = Settings(store);
        var output = Directory.CreateTempSubdirectory("sample-summary-");
        try
        {
            var run = await CollectorsCommand.RunAsync(settings, Register, "run", "sample-heartbeats", "--from", TimeWindow.Iso(DayStart), "--to", TimeWindow.Iso(DayStart.AddDays(1)));
            var again = await CollectorsCommand.RunAsync(settings, Register, "run", "sample-heartbeats", "--from", TimeWindow.Iso(DayStart), "--to", TimeWindow.Iso(DayStart.AddDays(1)));
            var summary = await CollectorsCommand.RunAsync(settings, Register, "summary", "--date", Day.ToString("yyyy-MM-dd"), "--out", output.FullName);
            var verify = await CollectorsCommand.RunAsync(["verify", "--connection-string", store.Options.ConnectionString!, "--container", store.Options.Container]);

            Assert.AreEqual(0, run.ExitCode, run.Output + run.Error);
            StringAssert.Contains(run.Output, "Backfilling sample-heartbeats: 2 stream(s), 48 window(s) each");
            StringAssert.Contains(run.Output, "96 window(s) committed, 0 already committed, 0 failed, 576 records");
            StringAssert.Contains(again.Output, "0 window(s) committed, 96 already committed");

            var reader = new EvidenceReader(store.Evidence);
            var records = 0;
            await foreach (var record in reader.RecordsInRangeAsync(new EvidenceStream("sample-heartbeats", "ledger"), DayStart, DayStart.AddDays(1), CancellationToken.None))
            {
                records++;
            }

            Assert.AreEqual(288, records, "one heartbeat every five minutes for a day");

            Assert.AreEqual(0, summary.ExitCode, summary.Output + summary.Error);
            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output.FullName, $"summary-{Day:yyyy-MM-dd}.json")));
            var streams = json.RootElement.GetProperty("streams").EnumerateArray().Where(s => s.GetProperty("collector").GetString() == "sample-heartbeats").ToList();
            Assert.HasCount(2, streams);
            foreach (var stream in streams)
            {
                Assert.AreEqual(48, stream.GetProperty("windowsExpected").GetInt32(), "30-minute windows from collector.json");
                Assert.AreEqual(48, stream.GetProperty("windowsCommitted").GetInt32());
                Assert.AreEqual(0, stream.GetProperty("windowsMissing").GetInt32());
            }

            var a11 = json.RootElement.GetProperty("criteria").EnumerateArray().Single(c => c.GetProperty("id").GetString() == "A1.1");
            Assert.AreEqual("FAIL", a11.GetProperty("status").GetString(), "the planted missed heartbeats fail A1.1");
            Assert.AreEqual(2, a11.GetProperty("findings").GetInt32(), "checkout and ledger each missed 13:35");
            CollectionAssert.Contains(a11.GetProperty("collectors").EnumerateArray().Select(c => c.GetString()).ToList(), "sample-heartbeats");

            Assert.AreEqual(0, verify.ExitCode, verify.Output + verify.Error);
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }

    [TestMethod]
    public async Task ItsWindowsComeFromItsCollectorJsonAndItsSettingsAndAContradictionNamesTheSetting()
    {
        await using var store = TestStore.Create();
        var tuned = await CollectorsTestHost.StartAsync(Settings(store, ("Collectors:SampleHeartbeats:WindowMinutes", "60")), extend: Register);
        await using (tuned)
        {
            Assert.AreEqual((TimeSpan.FromHours(1), TimeSpan.FromMinutes(5)), tuned.Runtime.Grid("sample-heartbeats"));
        }

        var bad = await CollectorsCommand.RunAsync(Settings(store, ("Collectors:SampleHeartbeats:RetentionDays", "30")), Register, "run", "sample-heartbeats");

        Assert.AreEqual(2, bad.ExitCode, bad.Output + bad.Error);
        StringAssert.Contains(bad.Error, "Collectors__SampleHeartbeats__RetentionDays 30 must be 1–7");

        var deep = await CollectorsCommand.RunAsync(Settings(store, ("Collectors:SampleHeartbeats:RetentionDays", "2"), ("Collectors:SampleHeartbeats:FirstRunLookbackHours", "72")), Register, "run", "sample-heartbeats");
        Assert.AreEqual(2, deep.ExitCode, deep.Output + deep.Error);
        StringAssert.Contains(deep.Error, "Collectors__SampleHeartbeats__FirstRunLookbackHours 72 reaches back beyond what the source keeps (2 days");
    }

    [TestMethod]
    public async Task AWindowChangedUnderAStreamWithEvidenceStopsItsCollectionWithAnErrorRecordInsteadOfOverlapping()
    {
        await using var store = TestStore.Create();
        var cursor = DayStart.AddHours(10).AddMinutes(30);
        var stream = new EvidenceStream("sample-heartbeats", "checkout");
        await store.Writer.MoveCursorAsync(stream, cursor, CancellationToken.None);

        await using var host = await CollectorsTestHost.StartAsync(Settings(store, ("Collectors:SampleHeartbeats:WindowMinutes", "60")), extend: Register);
        var items = await host.Runtime.PlanScheduledAsync("sample-heartbeats", CancellationToken.None);

        Assert.IsFalse(items.Any(i => i.Stream == stream.Name && i.Kind == WorkKind.Scheduled), "no window on the new grid is planned for the stream cut on the old one");
        Assert.IsTrue(items.Any(i => i.Stream == "sample-heartbeats/ledger" && i.Kind == WorkKind.Scheduled), "a stream with no evidence yet starts on the new grid");
        var errors = (await store.ListAsync(EvidencePaths.ErrorSuffix)).Where(n => n.StartsWith(stream.Name + "/", StringComparison.Ordinal)).ToList();
        Assert.HasCount(1, errors);
        var record = (await store.Evidence.GetBlobClient(errors[0]).DownloadContentAsync()).Value.Content.ToObjectFromJson<ErrorRecord>(EvidenceJson.Options)!;
        StringAssert.Contains(record.Reason, "Collectors__SampleHeartbeats__WindowMinutes was changed");
    }

    [TestMethod]
    public async Task TheTimerPathPlansOneWorkItemPerStreamAndRunsThemFromTheQueueMessage()
    {
        await using var store = TestStore.Create();
        await using var host = await CollectorsTestHost.StartAsync(Settings(store), extend: Register);

        var items = await host.Runtime.PlanScheduledAsync("sample-heartbeats", CancellationToken.None);

        Assert.HasCount(2, items);
        CollectionAssert.AreEquivalent(new[] { "sample-heartbeats/checkout", "sample-heartbeats/ledger" }, items.Select(i => i.Stream).ToList());
        foreach (var item in items)
        {
            var run = await host.Runtime.RunMessageAsync(item.ToMessage(), CancellationToken.None);
            Assert.IsNotNull(run);
            Assert.IsTrue(run.Succeeded);
            Assert.AreEqual(WorkKind.Scheduled, item.Kind);
            Assert.IsTrue(item.From >= DateTimeOffset.UtcNow.AddHours(-2.5) && item.To <= DateTimeOffset.UtcNow.AddMinutes(-5), $"{item}: the first run looks back two hours and stops the lag before now");
            Assert.AreEqual((int)((item.To - item.From) / TimeSpan.FromMinutes(30)), run.Committed, "every planned 30-minute window is committed");
            var again = await host.Runtime.RunMessageAsync(item.ToMessage(), CancellationToken.None);
            Assert.AreEqual(0, again!.Committed, "a redelivered work item commits nothing new");
        }
    }
}
