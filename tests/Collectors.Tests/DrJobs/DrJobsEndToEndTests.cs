using System.Text.Json;
using Collectors.DrJobs;
using Collectors.Evidence;
using Collectors.Simulator.Faults;
using Collectors.Simulator.Scenario;
using Collectors.Tests.ActivityLog;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.DrJobs;

[TestClass]
public sealed class DrJobsEndToEndTests
{
    private static DateTimeOffset Start => new(DateTime.UtcNow.Date.AddDays(-3), TimeSpan.Zero);

    private static async Task<ActivityLogHarness> StartAsync() =>
        await ActivityLogHarness.StartAsync(FaultProfile.None, new ScenarioOptions { DataStart = Start, Days = 2, ActivityEventsPerHour = 1 });

    private static string Vault(ActivityLogHarness harness, string name = "rsv-prod") =>
        $"/subscriptions/{harness.Simulator.Scenario.SubscriptionIds[0]}/resourceGroups/rg-dr/providers/Microsoft.RecoveryServices/vaults/{name}";

    [TestMethod]
    public async Task ABackfillStoresEachVaultsTestFailoversAndRestoresAndTheChecksFindThePlantedOnes()
    {
        await using var harness = await StartAsync();
        var vault = Vault(harness);
        var settings = harness.Configuration(("Collectors:DrJobs:Vaults:0", vault));

        var run = await CollectorsCommand.RunAsync(settings, "run", "dr-jobs", "--from", TimeWindow.Iso(Start), "--to", TimeWindow.Iso(Start.AddDays(2)));
        var again = await CollectorsCommand.RunAsync(settings, "run", "dr-jobs", "--from", TimeWindow.Iso(Start), "--to", TimeWindow.Iso(Start.AddDays(2)));

        Assert.AreEqual(0, run.ExitCode, run.Output + run.Error);
        StringAssert.Contains(run.Output, "48 window(s) committed");
        StringAssert.Contains(again.Output, "48 already committed");
        var stream = DrJobsCollector.StreamFor(vault);
        StringAssert.StartsWith(stream.Scope, "vault-rsv-prod-");
        var reader = new EvidenceReader(harness.Store.Evidence);
        var operations = new List<string?>();
        await foreach (var r in reader.RecordsInRangeAsync(stream, Start, Start.AddDays(2), CancellationToken.None))
        {
            // A record's memory is valid only until the next one: read it now.
            using var d = JsonDocument.Parse(r.Json);
            var p = d.RootElement.GetProperty("properties");
            operations.Add(p.TryGetProperty("scenarioName", out var s) ? s.GetString() : p.GetProperty("operation").GetString());
        }

        Assert.AreEqual(4, operations.Count(o => o == "TestFailover"), "two passing, one failed; the one still running is the fourth");
        Assert.AreEqual(2, operations.Count(o => o == "TestFailoverCleanup"));
        Assert.AreEqual(4, operations.Count(o => o == "Restore"));
        Assert.IsFalse(operations.Any(o => o is "RegisterDra" or "Backup"), "only drills are stored");

        var manifest = await reader.ManifestsAsync(stream, Start.AddHours(2), Start.AddHours(3), CancellationToken.None).SingleAsync();
        Assert.HasCount(2, manifest.Manifest.Source.Requests);
        StringAssert.Contains(manifest.Manifest.Source.Requests[1].Filter, "operation eq 'Restore'");
        Assert.IsTrue(manifest.Manifest.Source.Complete);

        var findings = await new DrJobChecks().EvaluateAsync(stream.Name, reader.RecordsInRangeAsync(stream, Start, Start.AddDays(2), CancellationToken.None), CancellationToken.None);
        var found = findings.Select(f => $"{f.Check} {f.Details!["operation"]} {f.Details["state"]}").Order(StringComparer.Ordinal).ToArray();
        CollectionAssert.AreEqual(
            new[] { "dr-job-failed Restore Failed", "dr-job-failed TestFailover Failed", "dr-job-incomplete Restore Cancelled", "dr-job-incomplete TestFailover InProgress" },
            found);

        var verify = await CollectorsCommand.RunAsync(["verify", "--connection-string", harness.Store.Options.ConnectionString!, "--container", harness.Store.Options.Container]);
        Assert.AreEqual(0, verify.ExitCode, verify.Output + verify.Error);
    }

    [TestMethod]
    public async Task AVaultTheIdentityCannotReadFailsItsWindowsNamingTheRole()
    {
        await using var harness = await StartAsync();
        var settings = harness.Configuration(("Collectors:DrJobs:Vaults:0", Vault(harness, "forbidden-vault")));

        var run = await CollectorsCommand.RunAsync(settings, "run", "dr-jobs", "--from", TimeWindow.Iso(Start), "--to", TimeWindow.Iso(Start.AddHours(1)));

        Assert.AreEqual(1, run.ExitCode, run.Output + run.Error);
        StringAssert.Contains(run.Output, "needs the Reader role on the vault");
    }

    [TestMethod]
    public async Task AVaultSettingThatIsNotAVaultIdIsAUsageError()
    {
        await using var harness = await StartAsync();
        var settings = harness.Configuration(("Collectors:DrJobs:Vaults:0", "rsv-prod"));

        var run = await CollectorsCommand.RunAsync(settings, "run", "dr-jobs", "--from", TimeWindow.Iso(Start), "--to", TimeWindow.Iso(Start.AddHours(1)));

        Assert.AreEqual(2, run.ExitCode, run.Output + run.Error);
        StringAssert.Contains(run.Error, "not a Recovery Services vault resource id");
    }
}
