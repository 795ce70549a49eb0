namespace Collectors.Tests.Infra;

[TestClass]
public sealed class FunctionAppTemplateTests
{
    [TestMethod]
    public void TheAppRunsOnFlexConsumptionAsDotnetIsolated10()
    {
        var snapshot = Deployments.Defaults;
        var plan = snapshot.Single("Microsoft.Web/serverfarms");
        var site = snapshot.Single("Microsoft.Web/sites");

        Assert.AreEqual("FC1", plan.Body["sku"]!["name"]!.GetValue<string>());
        Assert.AreEqual("FlexConsumption", plan.Body["sku"]!["tier"]!.GetValue<string>());
        Assert.IsTrue(plan.Properties["reserved"]!.GetValue<bool>(), "Linux");
        Assert.AreEqual("functionapp,linux", site.Body["kind"]!.GetValue<string>());
        Assert.AreEqual(plan.Id, site.Properties["serverFarmId"]!.GetValue<string>(), true);
        var runtime = site.Properties["functionAppConfig"]!["runtime"]!;
        Assert.AreEqual("dotnet-isolated", runtime["name"]!.GetValue<string>());
        Assert.AreEqual("10.0", runtime["version"]!.GetValue<string>());
        Assert.IsTrue(site.Properties["httpsOnly"]!.GetValue<bool>());
    }

    [TestMethod]
    public void TheAppRunsAsOneUserAssignedIdentityAndDeploysWithIt()
    {
        var snapshot = Deployments.Defaults;
        var site = snapshot.Single("Microsoft.Web/sites");
        var identity = snapshot.AppIdentity;

        Assert.AreEqual("UserAssigned", site.Body["identity"]!["type"]!.GetValue<string>());
        var storage = site.Properties["functionAppConfig"]!["deployment"]!["storage"]!;
        Assert.AreEqual("blobContainer", storage["type"]!.GetValue<string>());
        Assert.AreEqual("UserAssignedIdentity", storage["authentication"]!["type"]!.GetValue<string>());
        Assert.AreEqual(identity.Id, storage["authentication"]!["userAssignedIdentityResourceId"]!.GetValue<string>(), true);
        Assert.IsNull(storage["authentication"]!["storageAccountConnectionStringName"]);
        var containers = snapshot.Children(snapshot.RuntimeAccount, "Microsoft.Storage/storageAccounts/blobServices/containers").Select(c => c.ShortName).ToList();
        CollectionAssert.Contains(containers, "app-package");
        Assert.AreEqual($"[format('{{0}}{{1}}', reference('{snapshot.RuntimeAccount.Id}', '2025-01-01').primaryEndpoints.blob, 'app-package')]", storage["value"]!.GetValue<string>(), true, "the package container of the runtime account, not the evidence account");
        foreach (var kind in new[] { "ftp", "scm" })
        {
            var policy = snapshot.Single("Microsoft.Web/sites/basicPublishingCredentialsPolicies", p => p.ShortName == kind);
            Assert.IsFalse(policy.Properties["allow"]!.GetValue<bool>(), $"basic {kind} publishing credentials are off");
        }
    }

    [TestMethod]
    public void HostStorageIsIdentityBasedOnly()
    {
        foreach (var snapshot in Deployments.All)
        {
            var settings = snapshot.AppSettings;
            var runtime = snapshot.RuntimeAccount;

            var hostKeys = settings.Select(s => s.Key).Where(k => k.StartsWith("AzureWebJobsStorage", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).ToList();
            CollectionAssert.AreEqual(
                new[] { "AzureWebJobsStorage__blobServiceUri", "AzureWebJobsStorage__clientId", "AzureWebJobsStorage__credential", "AzureWebJobsStorage__queueServiceUri" },
                hostKeys,
                "no AzureWebJobsStorage connection string, account key or account name");
            Assert.AreEqual("managedidentity", settings["AzureWebJobsStorage__credential"]!.GetValue<string>());
            Assert.AreEqual($"[reference('{snapshot.AppIdentity.Id}', '2023-01-31').clientId]", settings["AzureWebJobsStorage__clientId"]!.GetValue<string>(), true);
            Assert.AreEqual($"[reference('{runtime.Id}', '2025-01-01').primaryEndpoints.blob]", settings["AzureWebJobsStorage__blobServiceUri"]!.GetValue<string>(), true);
            Assert.AreEqual($"[reference('{runtime.Id}', '2025-01-01').primaryEndpoints.queue]", settings["AzureWebJobsStorage__queueServiceUri"]!.GetValue<string>(), true);
        }
    }

    [TestMethod]
    public void NoSettingThatFlexConsumptionRejectsIsSet()
    {
        string[] rejected =
        [
            "FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION", "WEBSITE_RUN_FROM_PACKAGE", "WEBSITE_CONTENTSHARE",
            "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", "WEBSITE_TIME_ZONE", "TZ", "SCM_DO_BUILD_DURING_DEPLOYMENT", "ENABLE_ORYX_BUILD",
            "APPINSIGHTS_INSTRUMENTATIONKEY", "WEBSITE_NODE_DEFAULT_VERSION",
        ];
        foreach (var snapshot in Deployments.All)
        {
            var keys = snapshot.AppSettings.Select(s => s.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var key in rejected)
            {
                Assert.DoesNotContain(key, keys);
            }

            var siteConfig = snapshot.Single("Microsoft.Web/sites").Properties["siteConfig"]?.AsObject() ?? [];
            foreach (var property in new[] { "linuxFxVersion", "appSettings", "netFrameworkVersion", "alwaysOn" })
            {
                Assert.IsFalse(siteConfig.ContainsKey(property), $"siteConfig.{property} is not for Flex Consumption (or would replace the appsettings resource)");
            }
        }
    }

    [TestMethod]
    public void TheConfigurationContractPointsTheAppAtTheEvidenceAccountWithItsIdentity()
    {
        var snapshot = Deployments.Defaults;
        var settings = snapshot.AppSettings;

        Assert.AreEqual($"[reference('{snapshot.EvidenceAccount.Id}', '2025-01-01').primaryEndpoints.blob]", settings["Evidence__BlobServiceUri"]!.GetValue<string>(), true);
        Assert.AreEqual("evidence", settings["Evidence__Container"]!.GetValue<string>());
        Assert.AreEqual("collector-state", settings["Evidence__StateContainer"]!.GetValue<string>());
        Assert.AreEqual("true", settings["Evidence__RequireImmutability"]!.GetValue<string>());
        Assert.AreEqual("ManagedIdentity", settings["Azure__Credential"]!.GetValue<string>());
        Assert.AreEqual($"[reference('{snapshot.AppIdentity.Id}', '2023-01-31').clientId]", settings["Azure__ManagedIdentityClientId"]!.GetValue<string>(), true);
        var cloud = settings["Azure__Cloud"]!.GetValue<string>();
        StringAssert.Contains(cloud, "environment().name", "derived from the cloud deployed to");
        foreach (var pair in new[] { "'AzureCloud', 'AzurePublicCloud'", "'AzureUSGovernment', 'AzureUSGovernment'", "'AzureChinaCloud', 'AzureChinaCloud'" })
        {
            StringAssert.Contains(cloud, pair);
        }

        var containers = snapshot.Children(snapshot.EvidenceAccount, "Microsoft.Storage/storageAccounts/blobServices/containers").Select(c => c.ShortName).ToList();
        CollectionAssert.Contains(containers, settings["Evidence__Container"]!.GetValue<string>());
        CollectionAssert.Contains(containers, settings["Evidence__StateContainer"]!.GetValue<string>());
    }

    [TestMethod]
    public void MonitoredSubscriptionsAndSummaryRecipientsBecomeIndexedSettings()
    {
        var defaults = Deployments.Defaults.AppSettings;
        Assert.AreEqual(Deployments.DeploymentSubscriptionId, defaults["Collectors__ActivityLog__Subscriptions__0"]!.GetValue<string>(), "the deployment subscription by default");
        Assert.IsFalse(defaults.ContainsKey("Collectors__ActivityLog__Subscriptions__1"));
        Assert.IsFalse(defaults.ContainsKey("Summary__Sender"), "no sender configured: the setting is left out rather than empty");
        Assert.IsFalse(defaults.ContainsKey("Summary__Recipients__0"));

        var multi = Deployments.Multi.AppSettings;
        for (var i = 0; i < Deployments.MultiSubscriptionIds.Length; i++)
        {
            Assert.AreEqual(Deployments.MultiSubscriptionIds[i], multi[$"Collectors__ActivityLog__Subscriptions__{i}"]!.GetValue<string>());
        }

        Assert.IsFalse(multi.ContainsKey($"Collectors__ActivityLog__Subscriptions__{Deployments.MultiSubscriptionIds.Length}"));
        Assert.AreEqual("soc2-noreply@contoso.example", multi["Summary__Sender"]!.GetValue<string>());
        Assert.AreEqual("security@contoso.example", multi["Summary__Recipients__0"]!.GetValue<string>());
        Assert.AreEqual("cto@contoso.example", multi["Summary__Recipients__1"]!.GetValue<string>());
        Assert.IsFalse(multi.ContainsKey("Summary__Recipients__2"));
        Assert.IsFalse(defaults.ContainsKey("Collectors__ActivityLog__ApprovedDeployers__0"));
        Assert.AreEqual("7c2f4e1a-3b5d-4a9e-8f06-1d2c3b4a5e60", multi["Collectors__ActivityLog__ApprovedDeployers__0"]!.GetValue<string>());
        Assert.AreEqual("a1b2c3d4-0000-4e5f-8a9b-0c1d2e3f4a5b", multi["Collectors__ActivityLog__ApprovedDeployers__1"]!.GetValue<string>());
        Assert.IsFalse(multi.ContainsKey("Collectors__ActivityLog__ApprovedDeployers__2"));
    }

    [TestMethod]
    public void EveryResourceCarriesTheAzdTagsAndTheAppItsServiceName()
    {
        string[] taggable =
        [
            "Microsoft.Resources/resourceGroups", "Microsoft.Storage/storageAccounts", "Microsoft.Web/serverfarms", "Microsoft.Web/sites",
            "Microsoft.ManagedIdentity/userAssignedIdentities", "Microsoft.Insights/components", "Microsoft.OperationalInsights/workspaces",
            "Microsoft.EventGrid/topics", "Microsoft.EventGrid/systemTopics",
        ];
        var snapshot = Deployments.Defaults;
        var tagged = snapshot.Resources.Where(r => taggable.Contains(r.Type, StringComparer.OrdinalIgnoreCase)).ToList();

        Assert.HasCount(10, tagged, string.Join(", ", tagged.Select(t => t.Name)));
        foreach (var resource in tagged)
        {
            Assert.AreEqual("ci", resource.Tags["azd-env-name"]?.GetValue<string>(), $"{resource.Type} {resource.Name}");
        }

        Assert.AreEqual("collectors", snapshot.Single("Microsoft.Web/sites").Tags["azd-service-name"]?.GetValue<string>());
        Assert.AreEqual("rg-ci", snapshot.Single("Microsoft.Resources/resourceGroups").Name);
    }
}
