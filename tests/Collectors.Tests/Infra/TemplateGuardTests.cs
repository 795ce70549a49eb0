namespace Collectors.Tests.Infra;

/// <summary>
/// The templates refuse bad configuration before anything is created (fail() guards). Each case
/// evaluates main.bicep offline with the real bicep CLI.
/// </summary>
[TestClass]
public sealed class TemplateGuardTests
{
    private static readonly string[] s_valid = ["param environmentName = 'guard'", "param location = 'westeurope'"];

    [TestMethod]
    public void AcceptsTheMinimalConfiguration()
    {
        var (exitCode, output) = BicepOutput.Snapshot(s_valid);

        Assert.AreEqual(0, exitCode, output);
    }

    [TestMethod]
    public void RefusesToLockAnImmutabilityPolicyShorterThanAYear()
    {
        AssertRefused("Refusing to lock an immutability policy of 100 days", "param evidenceImmutabilityState = 'Locked'", "param evidenceRetentionDays = 100");
    }

    [TestMethod]
    public void RefusesAProductionDeploymentWhoseImmutabilityPolicyIsNotLocked()
    {
        AssertRefused("environmentType is 'production' but evidenceImmutabilityState is 'Unlocked'", "param environmentType = 'production'");
        AssertRefused("set EVIDENCE_IMMUTABILITY_STATE=Locked", "param environmentType = 'production'", "param evidenceImmutabilityState = 'Unlocked'");
    }

    [TestMethod]
    public void AcceptsProductionWithALockedPolicyAndATrialWithAnUnlockedOne()
    {
        foreach (var assignments in new[] { new[] { "param environmentType = 'production'", "param evidenceImmutabilityState = 'Locked'" }, ["param environmentType = 'trial'"] })
        {
            var (exitCode, output) = BicepOutput.Snapshot([.. s_valid, .. assignments]);

            Assert.AreEqual(0, exitCode, $"{string.Join("; ", assignments)}{Environment.NewLine}{output}");
        }
    }

    [TestMethod]
    public void RefusesAQueueNameStorageWouldReject()
    {
        AssertRefused("Queue name 'DR_Tests' is invalid", "param drTestsQueue = 'DR_Tests'");
    }

    [TestMethod]
    public void RefusesOneQueueForTwoSettings()
    {
        AssertRefused("must be different queues", "param drTestsQueue = 'events'", "param policyStatesQueue = 'events'");
        AssertRefused("DR_TESTS_QUEUE is 'dr-tests', the queue another setting names", "param collectorWorkQueue = 'dr-tests'");
    }

    [TestMethod]
    public void RefusesSummaryRecipientsWithoutASender()
    {
        AssertRefused("the daily summary needs a sender mailbox", "param summaryRecipients = 'security@contoso.example'");
    }

    [TestMethod]
    public void RefusesAMonitoredSubscriptionThatIsNotAGuid()
    {
        AssertRefused("'production' is not a subscription id", "param monitoredSubscriptionIds = '00000000-0000-0000-0000-00000000000b,production'");
    }

    [TestMethod]
    public void TheFunctionAppModuleRefusesSettingsThatFlexConsumptionRejectsOrThatItOwns()
    {
        string[] module =
        [
            "param name = 'func-guard'", "param planName = 'plan-guard'", "param location = 'westeurope'", "param identityName = 'id-guard'",
            "param runtimeStorageName = 'stguard'", "param deploymentContainerName = 'app-package'", "param applicationInsightsName = 'appi-guard'",
        ];

        var accepted = BicepOutput.Snapshot("modules/functionApp.bicep", "rg-guard", [.. module, "param appSettings = { Evidence__Container: 'evidence' }"]);
        Assert.AreEqual(0, accepted.ExitCode, accepted.Output);

        foreach (var setting in new[] { "FUNCTIONS_WORKER_RUNTIME: 'dotnet-isolated'", "WEBSITE_TIME_ZONE: 'UTC'", "AzureWebJobsStorage: 'UseDevelopmentStorage=true'" })
        {
            var (exitCode, output) = BicepOutput.Snapshot("modules/functionApp.bicep", "rg-guard", [.. module, $"param appSettings = {{ {setting} }}"]);
            Assert.AreNotEqual(0, exitCode, setting);
            StringAssert.Contains(output, "reserved or not supported on Flex Consumption: " + setting[..setting.IndexOf(':', StringComparison.Ordinal)]);
        }
    }

    private static void AssertRefused(string reason, params string[] assignments)
    {
        var (exitCode, output) = BicepOutput.Snapshot([.. s_valid, .. assignments]);

        Assert.AreNotEqual(0, exitCode, $"bicep accepted: {string.Join("; ", assignments)}{Environment.NewLine}{output}");
        StringAssert.Contains(output, reason);
    }
}
