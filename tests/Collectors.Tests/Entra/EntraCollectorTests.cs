using Collectors.Arm;
using Collectors.Entra;
using Collectors.Entra.DirectoryAudits;
using Collectors.Entra.SignIns;
using Collectors.Evidence;
using Collectors.Simulator.Faults;
using Collectors.Simulator.Graph;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.Entra;

[TestClass]
public sealed class EntraCollectorTests
{
    private static readonly DateTimeOffset Day = new(DateTime.UtcNow.Date.AddDays(-3), TimeSpan.Zero);

    [TestMethod]
    public async Task AMissingPermissionAndAMissingLicenceAreNamedAndLeaveErrorRecords()
    {
        foreach (var (refusal, expected) in new[] { (GraphRefusal.MissingPermission, "AuditLog.Read.All"), (GraphRefusal.MissingLicence, "P1") })
        {
            await using var harness = await EntraHarness.StartAsync(new GraphScenarioOptions { DataStart = Day, Days = 1 }, TimeProvider.System, refusal: refusal);

            var run = await CollectorsCommand.RunAsync(harness.Configuration(), "run", "entra-signins", "--from", TimeWindow.Iso(Day), "--to", TimeWindow.Iso(Day.AddHours(2)));

            Assert.AreEqual(1, run.ExitCode, run.Output + run.Error);
            StringAssert.Contains(run.Output, expected);
            StringAssert.Contains(run.Output, "403");
            var errors = await harness.Store.ListAsync(EvidencePaths.ErrorSuffix);
            Assert.HasCount(2, errors, refusal.ToString());
            var record = (await harness.Store.Evidence.GetBlobClient(errors[0]).DownloadContentAsync()).Value.Content.ToObjectFromJson<ErrorRecord>(EvidenceJson.Options)!;
            Assert.AreEqual(403, record.HttpStatus);
            StringAssert.Contains(record.Reason, expected);
        }
    }

    [TestMethod]
    public async Task BackfillRefusesRangesOlderThanTheRetention()
    {
        await using var harness = await EntraHarness.StartAsync(new GraphScenarioOptions { DataStart = Day, Days = 1 }, TimeProvider.System);

        var old = await CollectorsCommand.RunAsync(harness.Configuration(), "run", "entra-directory-audits", "--from", TimeWindow.Iso(DateTimeOffset.UtcNow.AddDays(-40)), "--to", TimeWindow.Iso(DateTimeOffset.UtcNow.AddDays(-39)));
        var noP1 = harness.Configuration();
        noP1["Collectors:EntraDirectoryAudits:RetentionDays"] = "7";
        var beyondSeven = await CollectorsCommand.RunAsync(noP1, "run", "entra-directory-audits", "--from", TimeWindow.Iso(DateTimeOffset.UtcNow.AddDays(-9)), "--to", TimeWindow.Iso(DateTimeOffset.UtcNow.AddDays(-8)));

        Assert.AreEqual(2, old.ExitCode, old.Output + old.Error);
        StringAssert.Contains(old.Error, "30 days");
        Assert.AreEqual(2, beyondSeven.ExitCode);
        StringAssert.Contains(beyondSeven.Error, "7 without");
        Assert.AreEqual(0, harness.Simulator.Faults.Requests);
    }

    [TestMethod]
    public async Task NonInteractiveServicePrincipalAndManagedIdentitySignInsAreEachTheirOwnStream()
    {
        var clock = new ShiftedClock(Day.AddHours(5));
        await using var harness = await EntraHarness.StartAsync(new GraphScenarioOptions { DataStart = Day, Days = 1, SignInsPerHour = 40, LateShare = 0 }, clock);
        await using var host = await harness.HostAsync(("Collectors:EntraSignIns:FirstRunLookbackHours", "3"), ("Collectors:EntraSignIns:IncludeNonInteractive", "true"), ("Collectors:EntraSignIns:PageSize", "25"));
        var collector = host.Get<EntraSignInsCollector>();

        var run = await host.Runtime.RunScheduledAsync(EntraSignInsCollector.Id, CancellationToken.None);

        Assert.AreEqual(12, run.Committed, "4 streams × 3 hourly windows");
        var tenant = await host.Get<EntraAuditLogs>().TenantIdAsync(CancellationToken.None);
        var reader = new EvidenceReader(harness.Store.Evidence);
        foreach (var source in collector.Sources)
        {
            var expected = harness.Simulator.Graph.Records(GraphScenario.SignIns, Day, Day.AddHours(3), source.EventType ?? "interactiveUser").Select(r => r.Id).ToList();
            var stored = new List<string>();
            await foreach (var manifest in reader.ManifestsAsync(source.StreamFor(tenant), Day, Day.AddHours(3), CancellationToken.None))
            {
                StringAssert.Contains(manifest.Manifest.Source.Requests[0].Url, $"/{source.Version}/auditLogs/signIns");
                await foreach (var record in reader.RecordsAsync(manifest, CancellationToken.None))
                {
                    stored.Add(EvidenceReader.ReadString(record.Json.Span, "id")!);
                }
            }

            Assert.IsNotEmpty(expected);
            CollectionAssert.AreEquivalent(expected, stored, source.StreamFor(tenant).Name);
        }
    }

    [TestMethod]
    public async Task ThePublishedGraphExamplesParseAndAreJudged()
    {
        var signInPage = JsonPage.Parse(MicrosoftFixtures.Bytes("graph_signins_list_v1_example1_nextlink.json"), "value", "@odata.nextLink");
        var auditPage = JsonPage.Parse(MicrosoftFixtures.Bytes("graph_directoryaudits_list_v1_example1.json"), "value", "@odata.nextLink");

        Assert.AreEqual(1, signInPage.Count);
        StringAssert.Contains(signInPage.NextLink, "$skiptoken=");
        Assert.IsGreaterThanOrEqualTo(1, auditPage.Count);
        Assert.IsNull(auditPage.NextLink);

        await using var store = TestStore.Create();
        var stream = new EvidenceStream(EntraSignInsCollector.Id, "tenant-fixture");
        var window = new TimeWindow(new DateTimeOffset(2020, 3, 13, 19, 0, 0, TimeSpan.Zero), new DateTimeOffset(2020, 3, 13, 20, 0, 0, TimeSpan.Zero));
        var committed = await store.Writer.CommitWindowAsync(new EvidenceBatch(EntraSignInsCollector.Id, Collectors.Catalog.CollectorCatalog.Default.Find(EntraSignInsCollector.Id)!.Criteria, stream, window), Records.Source(signInPage.Items.Select(i => i.ToArray())), CancellationToken.None);
        Assert.AreEqual(CommitStatus.Committed, committed.Status, committed.Reason);
        var reader = new EvidenceReader(store.Evidence);
        var findings = new List<Collectors.Findings.Finding>();
        await foreach (var manifest in reader.ManifestsAsync(stream, window.Start, window.End, CancellationToken.None))
        {
            findings.AddRange(await new SignInChecks().EvaluateAsync(stream.Name, reader.RecordsAsync(manifest, CancellationToken.None), CancellationToken.None));
        }

        var unknown = findings.Single();
        Assert.AreEqual(SignInChecks.UnknownRequirement, unknown.Check, "the 2020 example predates authenticationRequirement: MFA is not judged, and it says so");
        Assert.AreEqual(Collectors.Findings.Severity.Info, unknown.Severity);

        var auditFindings = await new DirectoryAuditChecks().EvaluateAsync("entra-directory-audits/tenant-fixture", AsRecords(auditPage), CancellationToken.None);
        Assert.IsEmpty(auditFindings, "adding a member to a group is neither a role assignment, a lifecycle event nor an invitation");
    }

    private static async IAsyncEnumerable<EvidenceRecord> AsRecords(JsonPage page)
    {
        var line = 0;
        foreach (var item in page.Items)
        {
            yield return new EvidenceRecord("fixture", line++, item);
        }

        await Task.CompletedTask;
    }
}
