using System.Net;
using System.Text.Json;
using Collectors.Configuration;
using Collectors.Simulator.Faults;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.ActivityLog;

/// <summary>The simulator answers as ARM does, so that what passes against it means something.</summary>
[TestClass]
public sealed class SimulatorContractTests
{
    private static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(ActivityLogHarness harness, string pathAndQuery, bool token = true)
    {
        using var http = new HttpClient(TrustedTransport.CreateHandler(harness.Simulator.CertificatePath));
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(harness.Simulator.BaseUri, pathAndQuery));
        if (token)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "anything");
        }

        using var response = await http.SendAsync(request);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, document.RootElement.Clone());
    }

    [TestMethod]
    public async Task RequestsWithoutABearerTokenAreRefused()
    {
        await using var harness = await ActivityLogHarness.StartAsync(FaultProfile.None);

        var (status, body) = await GetAsync(harness, "subscriptions?api-version=2022-12-01", token: false);

        Assert.AreEqual(HttpStatusCode.Unauthorized, status);
        Assert.AreEqual("AuthenticationFailed", body.GetProperty("error").GetProperty("code").GetString());
    }

    [TestMethod]
    public async Task AMissingOrMalformedFilterIsAnArmShaped400()
    {
        await using var harness = await ActivityLogHarness.StartAsync(FaultProfile.None);
        var sub = harness.Simulator.Scenario.SubscriptionIds[0];
        var path = $"subscriptions/{sub}/providers/Microsoft.Insights/eventtypes/management/values?api-version=2015-04-01";

        var missing = await GetAsync(harness, path);
        var malformed = await GetAsync(harness, path + "&$filter=" + Uri.EscapeDataString("caller eq 'x'"));
        var noVersion = await GetAsync(harness, $"subscriptions/{sub}/providers/Microsoft.Insights/eventtypes/management/values");

        Assert.AreEqual(HttpStatusCode.BadRequest, missing.Status);
        StringAssert.Contains(missing.Body.GetProperty("error").GetProperty("message").GetString(), "$filter");
        Assert.AreEqual(HttpStatusCode.BadRequest, malformed.Status);
        Assert.AreEqual("BadRequest", malformed.Body.GetProperty("error").GetProperty("code").GetString());
        Assert.AreEqual("MissingApiVersionParameter", noVersion.Body.GetProperty("error").GetProperty("code").GetString());
    }

    [TestMethod]
    public async Task TheOptionalClauseAndSelectNarrowTheResult()
    {
        await using var harness = await ActivityLogHarness.StartAsync(FaultProfile.None);
        var scenario = harness.Simulator.Scenario;
        var sub = scenario.SubscriptionIds[0];
        var from = scenario.Options.DataStart;
        var to = from.AddHours(1).AddTicks(-1);
        var filter = $"eventTimestamp ge '{from:O}' and eventTimestamp le '{to:O}' and resourceGroupName eq 'rg-network'";

        var (status, body) = await GetAsync(harness, $"subscriptions/{sub}/providers/Microsoft.Insights/eventtypes/management/values?api-version=2015-04-01&$filter={Uri.EscapeDataString(filter)}&$select=eventDataId,resourceGroupName");

        Assert.AreEqual(HttpStatusCode.OK, status);
        var items = body.GetProperty("value").EnumerateArray().ToList();
        var expected = scenario.Events(sub, from, to).Where(e => e.ResourceGroup == "rg-network").Select(e => e.EventDataId).ToList();
        Assert.IsNotEmpty(expected);
        CollectionAssert.AreEquivalent(expected, items.Select(i => i.GetProperty("eventDataId").GetString()).ToList());
        Assert.IsTrue(items.All(i => i.EnumerateObject().Count() == 2), "$select keeps only the named fields");
    }
}
