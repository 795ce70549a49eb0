using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Collectors.Arm;
using Collectors.DefenderFindings;
using Collectors.Evidence;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.DefenderFindings;

/// <summary>Microsoft's published examples go through the same parsing and checks as the simulator's rows.</summary>
[TestClass]
public sealed class DefenderFixtureTests
{
    [TestMethod]
    public void ThePublishedResourceGraphPagesParseWithTheirSkipTokenAndCounts()
    {
        var first = JsonPage.Parse(MicrosoftFixtures.ResponseBody("resourcegraph_resources_firstpage_skiptoken_2024-04-01.json"), "data", "$skipToken");
        var next = JsonPage.Parse(MicrosoftFixtures.ResponseBody("resourcegraph_resources_nextpage_skiptoken_2024-04-01.json"), "data", "$skipToken");

        foreach (var page in new[] { first, next })
        {
            Assert.AreEqual(3, page.Count);
            Assert.IsNotNull(page.NextLink, "$skipToken is the next-page cursor");
            Assert.AreEqual(386, page.Properties["totalRecords"].GetInt64());
            Assert.AreEqual(3, page.Properties["count"].GetInt32());
            Assert.AreEqual("false", page.Properties["resultTruncated"].GetString(), "resultTruncated is a string");
            Assert.IsTrue(page.Items.All(i => EvidenceReader.ReadString(i.Span, "id") is { Length: > 0 }), "rows project id");
        }

        Assert.AreNotEqual(first.NextLink, next.NextLink);
        var request = JsonNode.Parse(MicrosoftFixtures.Bytes("resourcegraph_resources_nextpage_skiptoken_2024-04-01.json"))!["parameters"]!["query"]!;
        Assert.AreEqual(first.NextLink, request["options"]!["$skipToken"]!.GetValue<string>(), "the next request resends the query with the previous page's $skipToken");
        var body = JsonNode.Parse(Encoding.UTF8.GetString(ResourceGraphClient.Body(new ResourceGraphQuery("q", request["query"]!.GetValue<string>(), ["cfbbd179-59d2-4052-aa06-9270a38aa9d6"]), first.NextLink).Span))!;
        Assert.AreEqual(request["options"]!["$skipToken"]!.GetValue<string>(), body["options"]!["$skipToken"]!.GetValue<string>());
        Assert.AreEqual(request["subscriptions"]![0]!.GetValue<string>(), body["subscriptions"]![0]!.GetValue<string>());
    }

    [TestMethod]
    public async Task ThePublishedAssessmentsAndSecureScoresAreStoredAsReturnedAndJudged()
    {
        var assessments = JsonPage.Parse(MicrosoftFixtures.ResponseBody("defender_assessments_list_2021-06-01.json"), "value", "nextLink");
        var scores = JsonPage.Parse(MicrosoftFixtures.ResponseBody("defender_securescores_list_2020-01-01.json"), "value", "nextLink");
        var rows = assessments.Items.Concat(scores.Items).Select(i => i.ToArray()).ToList();
        Assert.HasCount(3, rows);

        await using var store = TestStore.Create();
        var stream = DefenderFindingsCollector.StreamForSubscription("20ff7fc3-e762-44dd-bd96-b71116dcdc23");
        var window = new TimeWindow(new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 25, 6, 0, 0, TimeSpan.Zero));
        var committed = await store.Writer.CommitWindowAsync(new EvidenceBatch(DefenderFindingsCollector.Id, Collectors.Catalog.CollectorCatalog.Default.Find(DefenderFindingsCollector.Id)!.Criteria, stream, window), Records.Source(rows), CancellationToken.None);
        Assert.AreEqual(CommitStatus.Committed, committed.Status, committed.Reason);

        var reader = new EvidenceReader(store.Evidence);
        var manifest = await reader.ManifestsAsync(stream, window.Start, window.End, CancellationToken.None).SingleAsync();
        var stored = new List<byte[]>();
        await foreach (var record in reader.RecordsAsync(manifest, CancellationToken.None))
        {
            stored.Add(record.Json.ToArray());
        }

        for (var i = 0; i < rows.Count; i++)
        {
            CollectionAssert.AreEqual(rows[i], stored[i], "stored as the service sent it");
        }

        var snapshot = await DefenderChecks.ReadAsync(reader, manifest, CancellationToken.None);
        var vmss1 = snapshot.Assessments.Values.Single(a => a.ResourceId.EndsWith("/vmss1", StringComparison.Ordinal));
        Assert.AreEqual("Healthy", vmss1.Status);
        Assert.AreEqual("/subscriptions/20ff7fc3-e762-44dd-bd96-b71116dcdc23/resourceGroups/myRg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss1", vmss1.ResourceId, "resourceDetails.id (lower case in the REST example)");
        Assert.AreEqual("NotApplicable", snapshot.Assessments.Values.Single(a => a.ResourceId.EndsWith("/vmss2", StringComparison.Ordinal)).Status);
        Assert.AreEqual(23.53, snapshot.SecureScores["/subscriptions/20ff7fc3-e762-44dd-bd96-b71116dcdc23/providers/Microsoft.Security/secureScores/ascScore"]);
        Assert.IsEmpty(new DefenderChecks().Evaluate(stream.Name, snapshot, null), "healthy and not-applicable assessments are no finding");

        // The same shapes, worse: the example turned unhealthy (severity as Resource Graph adds it), score down 3.5.
        var worse = JsonNode.Parse(rows[0])!;
        worse["properties"]!["status"]!["code"] = "Unhealthy";
        worse["properties"]!["metadata"] = new JsonObject { ["severity"] = "High" };
        var lower = JsonNode.Parse(rows[2])!;
        lower["properties"]!["score"]!["current"] = 20.03;
        var next = new TimeWindow(window.End, window.End.AddHours(6));
        await store.Writer.CommitWindowAsync(new EvidenceBatch(DefenderFindingsCollector.Id, Collectors.Catalog.CollectorCatalog.Default.Find(DefenderFindingsCollector.Id)!.Criteria, stream, next),
            Records.Source([Encoding.UTF8.GetBytes(worse.ToJsonString()), rows[1], Encoding.UTF8.GetBytes(lower.ToJsonString())]), CancellationToken.None);

        var findings = await new DefenderChecks(slaDays: 30, secureScoreDropPoints: 1.0).EvaluateLatestAsync(reader, stream, next.End, CancellationToken.None);

        CollectionAssert.AreEquivalent(new[] { DefenderChecks.NewHighUnhealthy, DefenderChecks.SecureScoreDrop }, findings.Select(f => f.Check).ToList());
        Assert.AreEqual(vmss1.ResourceId, findings.Single(f => f.Check == DefenderChecks.NewHighUnhealthy).Details!["resourceId"]);
    }

    [TestMethod]
    public void AlertsAreReadInEitherPropertyCase()
    {
        using var camel = JsonDocument.Parse("""{"id":"/a","type":"microsoft.security/locations/alerts","properties":{"status":"Active","severity":"High","alertDisplayName":"x","resourceIdentifiers":[{"type":"AzureResource","azureResourceId":"/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/virtualMachines/vm"}]}}""");
        using var pascal = JsonDocument.Parse("""{"id":"/b","type":"microsoft.security/locations/alerts","properties":{"Status":"InProgress","Severity":"High","AlertDisplayName":"y","CompromisedEntity":"vm2"}}""");

        var a = DefenderChecks.AlertView.From("/a", camel.RootElement);
        var b = DefenderChecks.AlertView.From("/b", pascal.RootElement);

        Assert.IsTrue(a.IsOpen && b.IsOpen);
        Assert.AreEqual("High", b.Severity);
        Assert.EndsWith("/virtualMachines/vm", a.ResourceId);
        Assert.AreEqual("vm2", b.ResourceId);
    }
}
