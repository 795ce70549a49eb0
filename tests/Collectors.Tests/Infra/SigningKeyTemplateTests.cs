namespace Collectors.Tests.Infra;

[TestClass]
public sealed class SigningKeyTemplateTests
{
    private const string Vaults = "Microsoft.KeyVault/vaults";
    private const string Keys = "Microsoft.KeyVault/vaults/keys";

    [TestMethod]
    public void TheVaultAuthorizesWithRbacOnlyAndNeitherItNorTheKeyCanBePurged()
    {
        foreach (var snapshot in Deployments.All)
        {
            var vault = snapshot.Single(Vaults);
            var p = vault.Properties;

            Assert.IsTrue(p["enableRbacAuthorization"]!.GetValue<bool>(), "Azure RBAC, not access policies");
            Assert.IsEmpty(p["accessPolicies"]?.AsArray().ToList() ?? [], "no access policy");
            Assert.IsTrue(p["enableSoftDelete"]!.GetValue<bool>());
            Assert.AreEqual(90, p["softDeleteRetentionInDays"]!.GetValue<int>(), "the longest soft-delete retention");
            Assert.IsTrue(p["enablePurgeProtection"]!.GetValue<bool>(), "a deleted key stays recoverable for the whole retention, whoever deleted it");
            Assert.AreEqual("00000000-0000-0000-0000-0000000000ff", p["tenantId"]!.GetValue<string>(), "the deployment's tenant");
            foreach (var flag in new[] { "enabledForDeployment", "enabledForDiskEncryption", "enabledForTemplateDeployment" })
            {
                Assert.IsFalse(p[flag]?.GetValue<bool>() == true, flag);
            }

            var storageNetworkAccess = snapshot.OfType("Microsoft.Storage/storageAccounts").Select(a => a.Properties["publicNetworkAccess"]?.GetValue<string>()).Distinct().ToList();
            CollectionAssert.AreEqual(storageNetworkAccess, new[] { p["publicNetworkAccess"]?.GetValue<string>() }, "public network access as the storage accounts have it");
        }
    }

    [TestMethod]
    public void TheKeyIsANonExportableP256KeyForSignAndVerifyOnly()
    {
        foreach (var snapshot in Deployments.All)
        {
            var key = snapshot.Single(Keys);
            var p = key.Properties;

            Assert.AreEqual("P-256", p["curveName"]!.GetValue<string>());
            CollectionAssert.AreEquivalent(new[] { "sign", "verify" }, p["keyOps"]!.AsArray().Select(o => o!.GetValue<string>()).ToList());
            Assert.IsFalse(p["attributes"]!["exportable"]!.GetValue<bool>(), "the private key never leaves Key Vault");
            Assert.IsTrue(p["attributes"]!["enabled"]!.GetValue<bool>());
            Assert.IsNull(p["attributes"]!["exp"], "an expired key would stop the app from committing evidence");
            Assert.IsNull(p["release_policy"], "no release policy: nothing can export the key");
            Assert.IsNull(p["rotationPolicy"], "a new version is a new public key: rotation is a deliberate step (docs/deploy.md)");
            Assert.StartsWith(snapshot.Single(Vaults).Id + "/keys/", key.Id, StringComparison.OrdinalIgnoreCase);
        }
    }

    [TestMethod]
    public void TheKeyIsInAnHsmByDefaultAndInSoftwareWhenAskedFor()
    {
        var hsm = Deployments.Defaults;
        Assert.AreEqual("EC-HSM", hsm.Single(Keys).Properties["kty"]!.GetValue<string>());
        Assert.AreEqual("premium", hsm.Single(Vaults).Properties["sku"]!["name"]!.GetValue<string>(), "HSM-protected keys need a Premium vault");

        var software = Deployments.Multi;
        Assert.AreEqual("EC", software.Single(Keys).Properties["kty"]!.GetValue<string>());
        Assert.AreEqual("standard", software.Single(Vaults).Properties["sku"]!["name"]!.GetValue<string>());
    }

    [TestMethod]
    public void TheAppIsToldTheVersionlessKeyUriAndAzdGetsItAsAnOutput()
    {
        foreach (var snapshot in Deployments.All)
        {
            var key = snapshot.Single(Keys);

            Assert.AreEqual(
                $"[reference('{key.Id}', '2024-11-01').keyUri]",
                snapshot.AppSettings["Evidence__SigningKeyId"]?.GetValue<string>(),
                true,
                "keyUri is the versionless URI (keyUriWithVersion would pin one version)");
        }

        var output = Deployments.Template.Root["outputs"]!["EVIDENCE_SIGNING_KEY_ID"]!;
        Assert.AreEqual("string", output["type"]!.GetValue<string>());
        StringAssert.Contains(output["value"]!.GetValue<string>(), ".outputs.keyUri.value");
        var module = Deployments.Template.OfType("Microsoft.Resources/deployments")
            .Single(d => d.Properties["template"]?["outputs"]?["keyUri"] is not null);
        StringAssert.EndsWith(module.Properties["template"]!["outputs"]!["keyUri"]!["value"]!.GetValue<string>(), ".keyUri]");
    }

    [TestMethod]
    public void WhoReadOrSignedWithTheKeyIsLoggedToTheWorkspace()
    {
        var snapshot = Deployments.Defaults;
        var vault = snapshot.Single(Vaults);
        var workspace = snapshot.Single("Microsoft.OperationalInsights/workspaces");

        var setting = snapshot.OfType("Microsoft.Insights/diagnosticSettings")
            .Single(d => d.Id.StartsWith(vault.Id + "/providers/", StringComparison.OrdinalIgnoreCase));
        Assert.AreEqual(workspace.Id, setting.Properties["workspaceId"]?.GetValue<string>(), true);
        var enabled = setting.Properties["logs"]!.AsArray()
            .Where(l => l?["enabled"]?.GetValue<bool>() == true)
            .Select(l => l!["category"]!.GetValue<string>())
            .ToList();
        CollectionAssert.Contains(enabled, "AuditEvent");
    }
}
