using Collectors.Arm;
using Collectors.Configuration;
using Collectors.DefenderFindings;
using Collectors.Evidence;
using Collectors.Simulator.Faults;
using Collectors.Simulator.Scenario;
using Collectors.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Collectors.Tests.DefenderFindings;

[TestClass]
public sealed class DefenderCollectorTests
{
    [TestMethod]
    public async Task AForbiddenSubscriptionLeavesAnErrorRecordNamingTheMissingRole()
    {
        await using var harness = await DefenderHarness.StartAsync(FaultProfile.None, subscriptions: 2, forbidden: [1]);

        var run = await CollectorsCommand.RunAsync(harness.Configuration(), "run", "defender-findings");

        Assert.AreEqual(1, run.ExitCode, run.Output + run.Error);
        StringAssert.Contains(run.Output, "1 window(s) committed, 0 already committed, 1 failed");
        StringAssert.Contains(run.Output, "needs the Security Reader role (or Reader)");
        var forbidden = harness.Simulator.Scenario.SubscriptionIds[1];
        var errors = await harness.Store.ListAsync(EvidencePaths.ErrorSuffix);
        var error = (await harness.Store.Evidence.GetBlobClient(errors.Single()).DownloadContentAsync()).Value.Content.ToObjectFromJson<ErrorRecord>(EvidenceJson.Options)!;
        Assert.AreEqual(DefenderFindingsCollector.StreamForSubscription(forbidden).Name, error.Stream);
        Assert.AreEqual(403, error.HttpStatus);
        Assert.AreEqual("AuthorizationFailed", error.ErrorCode);
    }

    [TestMethod]
    public async Task WithoutSubscriptionsTheTenantIsOneStreamNamedByTheTokensTenant()
    {
        await using var harness = await DefenderHarness.StartAsync(FaultProfile.None, subscriptions: 2, assessmentsPerSubscription: 40);

        var run = await CollectorsCommand.RunAsync(harness.Configuration(subscriptions: false), "run", "defender-findings");

        Assert.AreEqual(0, run.ExitCode, run.Output + run.Error);
        var stream = DefenderFindingsCollector.StreamForTenant(SimulatorCredential.TenantId);
        StringAssert.Contains(run.Output, $"{stream.Name}: 1 committed");
        var manifest = (await harness.Store.ListAsync(EvidencePaths.ManifestSuffix)).Single();
        StringAssert.StartsWith(manifest, stream.Name + "/");
        var committed = (await harness.Store.Evidence.GetBlobClient(manifest).DownloadContentAsync()).Value.Content.ToObjectFromJson<EvidenceManifest>(EvidenceJson.Options)!;
        Assert.IsFalse(committed.Source.Requests.Any(r => r.Body!.Contains("\"subscriptions\"", StringComparison.Ordinal)), "a tenant-scope query names no subscriptions");
        var subscriptions = harness.Simulator.Scenario.SubscriptionIds;
        var truth = subscriptions.Sum(s => harness.Defender.Ids(0, s, [.. DefenderScenario.Types]).Count);
        Assert.AreEqual(truth, committed.Content.Records, "every subscription's rows in one stream");
    }

    [TestMethod]
    public async Task TheQuotaHeadersAreHonouredSoTheQuotaIsNeverExceeded()
    {
        await using var harness = await DefenderHarness.StartAsync(FaultProfile.None, subscriptions: 1, assessmentsPerSubscription: 100, quotaLimit: 4, quotaWindow: TimeSpan.FromSeconds(1));
        var collector = harness.Collector(TimeProvider.System, new DefenderOptions { Subscriptions = [.. harness.Simulator.Scenario.SubscriptionIds], PageSize = 25 });

        var run = await collector.SnapshotAsync(CancellationToken.None);

        Assert.AreEqual(1, run.Committed, run.Results[0].Reason);
        Assert.AreEqual(0, harness.Simulator.ResourceGraphQuota.Throttled, "every wait announced by x-ms-user-quota-resets-after was kept");
        Assert.IsGreaterThanOrEqualTo(7L, (await ManifestAsync(harness)).Source.Pages, "pages of 25 rows");
    }

    [TestMethod]
    public async Task PastTheQuotaA429IsRetriedAndTheSnapshotStillCompletes()
    {
        await using var harness = await DefenderHarness.StartAsync(FaultProfile.None, subscriptions: 1, assessmentsPerSubscription: 40, quotaLimit: 3, quotaWindow: TimeSpan.FromSeconds(1));
        var options = new DefenderOptions { Subscriptions = [.. harness.Simulator.Scenario.SubscriptionIds], PageSize = 50, MaxParallelScopes = 2 };
        // Two collectors (two processes) share the identity's quota; each only knows its own answers.
        var first = harness.Collector(TimeProvider.System, options);
        var second = harness.Collector(TimeProvider.System, options);

        var runs = await Task.WhenAll(first.SnapshotAsync(CancellationToken.None), second.SnapshotAsync(CancellationToken.None));

        Assert.IsGreaterThan(0, harness.Simulator.ResourceGraphQuota.Throttled, "the quota was exceeded");
        Assert.AreEqual(1, runs.Sum(r => r.Committed), string.Join("; ", runs.SelectMany(r => r.Results).Select(r => r.Reason)));
        Assert.AreEqual(1, runs.Sum(r => r.AlreadyCommitted), string.Join("; ", runs.SelectMany(r => r.Results).Select(r => $"{r.Status} {r.Reason}")));
    }

    [TestMethod]
    public async Task TotalRecordsThatDisagreeWithTheRowsReceivedIsAnErrorRecordNotASnapshot()
    {
        await using var harness = await DefenderHarness.StartAsync(FaultProfile.None, subscriptions: 1, assessmentsPerSubscription: 50);
        harness.Defender.TotalRecordsSkew = 1;

        var run = await harness.Collector(TimeProvider.System).SnapshotAsync(CancellationToken.None);

        Assert.AreEqual(1, run.Failed);
        StringAssert.Contains(run.Results[0].Reason, "reported totalRecords");
        Assert.IsEmpty(await harness.Store.ListAsync(EvidencePaths.ManifestSuffix));
        Assert.HasCount(1, await harness.Store.ListAsync(EvidencePaths.ErrorSuffix));
    }

    [TestMethod]
    public async Task AQueryThatDoesNotProjectIdIsTruncatedByResourceGraphAndRefused()
    {
        await using var harness = await DefenderHarness.StartAsync(FaultProfile.None, subscriptions: 1, assessmentsPerSubscription: 50);
        var arm = new ArmRestClient(harness.Azure, new SimulatorCredential(), NullLogger<ArmRestClient>.Instance);
        var graph = new ResourceGraphClient(arm, TimeProvider.System, NullLogger<ResourceGraphClient>.Instance);
        var query = new ResourceGraphQuery("names", "securityresources | where type =~ 'microsoft.security/assessments' | project name, properties", harness.Simulator.Scenario.SubscriptionIds, Top: 10);
        var log = new SourceLog();

        var ex = await Assert.ThrowsExactlyAsync<EvidenceSourceException>(async () =>
        {
            await foreach (var row in graph.QueryAsync(query, log, CancellationToken.None))
            {
                _ = row;
            }
        });

        StringAssert.Contains(ex.Message, "truncated");
        Assert.AreEqual(0, log.Pages, "no row of a truncated page is handed on");
        Assert.IsFalse(log.Complete);
        StringAssert.Contains(log.Requests.Single().Body, "project name, properties");
    }

    [TestMethod]
    public void EveryQueryProjectsIdOrdersByItAndSetsTheResultFormatAndPageSize()
    {
        foreach (var query in DefenderQueries.For(["00000000-0000-0000-0000-000000000001"], ["SOC"], 1000))
        {
            StringAssert.Contains(query.Text, "| project id,");
            StringAssert.Contains(query.Text, "| order by id asc");
            var body = System.Text.Encoding.UTF8.GetString(ResourceGraphClient.Body(query, "token").Span);
            StringAssert.Contains(body, "\"$top\":1000");
            StringAssert.Contains(body, "\"resultFormat\":\"objectArray\"");
            StringAssert.Contains(body, "\"$skipToken\":\"token\"");
            StringAssert.Contains(body, "\"subscriptions\":[\"00000000-0000-0000-0000-000000000001\"]");
        }

        Assert.ThrowsExactly<ArgumentException>(() => DefenderQueries.RegulatoryComplianceText(["SOC' or 1==1"]));
    }

    [TestMethod]
    public async Task BadSettingsAreNamedAtStartup()
    {
        var run = await CollectorsCommand.RunAsync(new Dictionary<string, string?>
        {
            ["Evidence:ConnectionString"] = "UseDevelopmentStorage=true",
            ["Collectors:DefenderFindings:SnapshotHours"] = "5",
            ["Collectors:DefenderFindings:PageSize"] = "5000",
            ["Collectors:DefenderFindings:RegulatoryStandards:0"] = "SOC'2",
            ["Collectors:DefenderFindings:Subscriptions:0"] = "prod",
        }, "run", "defender-findings");

        Assert.AreEqual(2, run.ExitCode, run.Output + run.Error);
        StringAssert.Contains(run.Error, "Collectors__DefenderFindings__SnapshotHours 5 must divide a day");
        StringAssert.Contains(run.Error, "Collectors__DefenderFindings__PageSize 5000");
        StringAssert.Contains(run.Error, "RegulatoryStandards contains 'SOC'2'");
        StringAssert.Contains(run.Error, "Subscriptions contains 'prod'");
    }

    private static async Task<EvidenceManifest> ManifestAsync(DefenderHarness harness)
    {
        var name = (await harness.Store.ListAsync(EvidencePaths.ManifestSuffix)).Single();
        return (await harness.Store.Evidence.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToObjectFromJson<EvidenceManifest>(EvidenceJson.Options)!;
    }
}
