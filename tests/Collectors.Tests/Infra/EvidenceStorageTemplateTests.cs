using System.Text.Json.Nodes;

namespace Collectors.Tests.Infra;

[TestClass]
public sealed class EvidenceStorageTemplateTests
{
    private const string BlobServices = "Microsoft.Storage/storageAccounts/blobServices";
    private const string Containers = "Microsoft.Storage/storageAccounts/blobServices/containers";

    [TestMethod]
    public void EveryStorageAccountRefusesSharedKeysAnonymousBlobsPlainHttpAndOldTls()
    {
        var accounts = Deployments.Defaults.OfType("Microsoft.Storage/storageAccounts").ToList();

        Assert.HasCount(2, accounts, "an evidence account and a separate Functions runtime account");
        foreach (var account in accounts)
        {
            var p = account.Properties;
            Assert.IsFalse(p["allowSharedKeyAccess"]!.GetValue<bool>(), account.Name);
            Assert.IsFalse(p["allowBlobPublicAccess"]!.GetValue<bool>(), account.Name);
            Assert.AreEqual("TLS1_2", p["minimumTlsVersion"]!.GetValue<string>(), account.Name);
            Assert.IsTrue(p["supportsHttpsTrafficOnly"]!.GetValue<bool>(), account.Name);
        }
    }

    [TestMethod]
    public void TheEvidenceAccountIsCreatedWormWithADefaultRetentionOfAtLeastAYearUnlockedForTrials()
    {
        var evidence = Deployments.Defaults.EvidenceAccount;
        var policy = evidence.Properties["immutableStorageWithVersioning"]!["immutabilityPolicy"]!;

        Assert.IsGreaterThanOrEqualTo(365, policy["immutabilityPeriodSinceCreationInDays"]!.GetValue<int>());
        Assert.AreEqual(400, policy["immutabilityPeriodSinceCreationInDays"]!.GetValue<int>(), "the documented default");
        Assert.AreEqual("Unlocked", policy["state"]!.GetValue<string>(), "locking is irreversible: opt-in only");
        Assert.IsFalse(policy["allowProtectedAppendWrites"]!.GetValue<bool>());
        Assert.AreNotEqual(Deployments.Defaults.RuntimeAccount.Id, evidence.Id);
    }

    [TestMethod]
    public void LockingTheImmutabilityPolicyIsAParameterThatReachesTheAccount()
    {
        var policy = Deployments.Multi.EvidenceAccount.Properties["immutableStorageWithVersioning"]!["immutabilityPolicy"]!;

        Assert.AreEqual("Locked", policy["state"]!.GetValue<string>());
    }

    [TestMethod]
    public void ProductionDeploysALockedPolicyAndEveryEnvironmentRequiresImmutability()
    {
        var production = Deployments.Production.EvidenceAccount.Properties["immutableStorageWithVersioning"]!["immutabilityPolicy"]!;

        Assert.AreEqual("Locked", production["state"]!.GetValue<string>(), "a Locked policy can be neither shortened nor removed, by anyone");
        Assert.IsGreaterThanOrEqualTo(365, production["immutabilityPeriodSinceCreationInDays"]!.GetValue<int>());
        foreach (var snapshot in Deployments.All)
        {
            Assert.AreEqual("true", snapshot.AppSettings["Evidence__RequireImmutability"]?.GetValue<string>(), "no container without version-level WORM, trial or production");
        }
    }

    [TestMethod]
    public void VersioningIsOnAndTheEvidenceAndSummariesContainersAreVersionLevelWorm()
    {
        var snapshot = Deployments.Defaults;
        var evidence = snapshot.EvidenceAccount;
        var blobService = snapshot.Children(evidence, BlobServices).Single();

        Assert.IsTrue(blobService.Properties["isVersioningEnabled"]!.GetValue<bool>());
        var containers = snapshot.Children(evidence, Containers).ToDictionary(c => c.ShortName);
        foreach (var name in new[] { "evidence", "summaries" })
        {
            Assert.IsTrue(containers.ContainsKey(name), $"container '{name}' is missing");
            Assert.IsTrue(containers[name].Properties["immutableStorageWithVersioning"]?["enabled"]?.GetValue<bool>() == true, $"'{name}' must ask for version-level immutability at creation");
            Assert.AreEqual("None", containers[name].Properties["publicAccess"]?.GetValue<string>(), name);
        }
    }

    [TestMethod]
    public void TheStateContainerAsksForNoWormAndKeepsCheckpointVersionsOnlyBriefly()
    {
        var snapshot = Deployments.Defaults;
        var evidence = snapshot.EvidenceAccount;
        var state = snapshot.Children(evidence, Containers).Single(c => c.ShortName == "collector-state");

        Assert.IsNull(state.Properties["immutableStorageWithVersioning"], "checkpoints are overwritten with If-Match");
        var statePolicy = snapshot.Children(state, "Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies").Single();
        Assert.AreEqual(1, statePolicy.Properties["immutabilityPeriodSinceCreationInDays"]!.GetValue<int>(), "overrides the account's 400-day default for checkpoint versions");
        var rule = LifecycleRules(snapshot, evidence).Single(r => Prefixes(r).Contains("collector-state/"));
        Assert.IsNotNull(rule["definition"]?["actions"]?["version"]?["delete"]?["daysAfterCreationGreaterThan"], "old checkpoint versions are deleted");
        Assert.IsNull(rule["definition"]?["actions"]?["baseBlob"]?["delete"], "the current checkpoint is never deleted by lifecycle");
    }

    [TestMethod]
    public void FeaturesIncompatibleWithVersionLevelWormStayOff()
    {
        var snapshot = Deployments.Defaults;
        var blobService = snapshot.Children(snapshot.EvidenceAccount, BlobServices).Single();

        Assert.IsFalse(blobService.Properties["restorePolicy"]?["enabled"]?.GetValue<bool>() == true, "point-in-time restore");
        Assert.IsFalse(blobService.Properties["lastAccessTimeTrackingPolicy"]?["enable"]?.GetValue<bool>() == true, "last-access tracking");
        Assert.IsEmpty(snapshot.OfType("Microsoft.Storage/storageAccounts/inventoryPolicies").ToList(), "blob inventory");
        Assert.IsFalse(snapshot.EvidenceAccount.Properties["isHnsEnabled"]?.GetValue<bool>() == true, "hierarchical namespace");
    }

    [TestMethod]
    public void WhoReadWroteOrDeletedEvidenceIsLoggedToTheWorkspace()
    {
        var snapshot = Deployments.Defaults;
        var blobService = snapshot.Children(snapshot.EvidenceAccount, BlobServices).Single();
        var workspace = snapshot.Single("Microsoft.OperationalInsights/workspaces");

        var setting = snapshot.OfType("Microsoft.Insights/diagnosticSettings")
            .Single(d => d.Id.StartsWith(blobService.Id + "/providers/", StringComparison.OrdinalIgnoreCase));
        Assert.AreEqual(workspace.Id, setting.Properties["workspaceId"]?.GetValue<string>(), true);
        var enabled = setting.Properties["logs"]!.AsArray()
            .Where(l => l?["enabled"]?.GetValue<bool>() == true)
            .Select(l => l!["category"]!.GetValue<string>())
            .ToList();
        CollectionAssert.IsSubsetOf(new[] { "StorageRead", "StorageWrite", "StorageDelete" }, enabled);
        Assert.IsGreaterThanOrEqualTo(365, workspace.Properties["retentionInDays"]!.GetValue<int>());
    }

    [TestMethod]
    public void EvidenceAndSummariesMoveToTheCoolTierAfterTheConfiguredDays()
    {
        var snapshot = Deployments.Defaults;
        var rule = LifecycleRules(snapshot, snapshot.EvidenceAccount).Single(r => Prefixes(r).Contains("evidence/"));

        CollectionAssert.Contains(Prefixes(rule), "summaries/");
        Assert.AreEqual(90, rule["definition"]!["actions"]!["baseBlob"]!["tierToCool"]!["daysAfterModificationGreaterThan"]!.GetValue<int>());
        Assert.IsNull(rule["definition"]!["actions"]!["baseBlob"]!["delete"], "lifecycle never deletes evidence");
        Assert.IsNull(rule["definition"]!["actions"]?["version"]?["delete"], "lifecycle never deletes evidence versions");
    }

    private static List<JsonObject> LifecycleRules(DeploymentSnapshot snapshot, PredictedResource account) =>
        snapshot.Children(account, "Microsoft.Storage/storageAccounts/managementPolicies").Single()
            .Properties["policy"]!["rules"]!.AsArray().OfType<JsonObject>().ToList();

    private static List<string> Prefixes(JsonObject rule) =>
        rule["definition"]?["filters"]?["prefixMatch"]?.AsArray().Select(p => p!.GetValue<string>()).ToList() ?? [];
}
