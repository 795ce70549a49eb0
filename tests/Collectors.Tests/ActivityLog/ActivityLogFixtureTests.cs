using Collectors.Catalog;
using Collectors.ActivityLog;
using Collectors.Arm;
using Collectors.Evidence;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.ActivityLog;

/// <summary>Microsoft's published Activity Log example goes through the same code as the simulator's pages.</summary>
[TestClass]
public sealed class ActivityLogFixtureTests
{
    [TestMethod]
    public async Task ThePublishedExampleParsesCommitsAndIsJudged()
    {
        var body = MicrosoftFixtures.ResponseBody("activitylog_list_filtered_nextlink.json");

        var page = JsonPage.Parse(body, "value", "nextLink");

        Assert.AreEqual(1, page.Count);
        StringAssert.StartsWith(page.NextLink, "https://management.azure.com/");

        await using var store = TestStore.Create();
        var stream = ActivityLogCollector.StreamFor("089bd33f-d4ec-47fe-8ba5-0753aa5c5b33");
        var window = new TimeWindow(new DateTimeOffset(2015, 1, 21, 22, 0, 0, TimeSpan.Zero), new DateTimeOffset(2015, 1, 21, 22, 15, 0, TimeSpan.Zero));
        var committed = await store.Writer.CommitWindowAsync(
            new EvidenceBatch(ActivityLogCollector.Id, CollectorCatalog.Default.Find(ActivityLogCollector.Id)!.Criteria, stream, window),
            Records.Source(page.Items.Select(i => i.ToArray())),
            CancellationToken.None);
        Assert.AreEqual(CommitStatus.Committed, committed.Status, committed.Reason);

        var reader = new EvidenceReader(store.Evidence);
        var stored = new List<byte[]>();
        await foreach (var manifest in reader.ManifestsAsync(stream, window.Start, window.End, CancellationToken.None))
        {
            await foreach (var record in reader.RecordsAsync(manifest, CancellationToken.None))
            {
                stored.Add(record.Json.ToArray());
            }
        }

        CollectionAssert.AreEqual(page.Items.Single().ToArray(), stored.Single(), "the record is stored as the service sent it");

        var checks = new ActivityLogChecks(approvedDeployers: [], evidenceStorageAccountName: "stevidence");
        var findings = await checks.EvaluateAsync(reader, stream, window.Start, window.End, CancellationToken.None);
        var finding = findings.Single();
        Assert.AreEqual(ActivityLogChecks.OutOfBandChange, finding.Check);
        Assert.AreEqual("44ade6b4-3813-45e6-ae27-7420a95fa2f8", finding.RecordId);
        StringAssert.Contains(finding.Item, "admin@contoso.com microsoft.support/supporttickets/write");
        Assert.AreEqual(committed.Manifest, finding.Manifest);

        var approved = new ActivityLogChecks(approvedDeployers: ["2468adf0-8211-44e3-95xq-85137af64708"], evidenceStorageAccountName: null);
        Assert.IsEmpty(await approved.EvaluateAsync(reader, stream, window.Start, window.End, CancellationToken.None), "the caller's object id from its claims approves it");
    }
}
