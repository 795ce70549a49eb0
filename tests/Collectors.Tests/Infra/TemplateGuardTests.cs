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
    public void RefusesAQueueNameStorageWouldReject()
    {
        AssertRefused("Queue name 'DR_Events' is invalid", "param drEventsQueue = 'DR_Events'");
    }

    [TestMethod]
    public void RefusesOneQueueForBothDrAndPolicyEvents()
    {
        AssertRefused("must be different queues", "param drEventsQueue = 'events'", "param policyEventsQueue = 'events'");
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

    private static void AssertRefused(string reason, params string[] assignments)
    {
        var (exitCode, output) = BicepOutput.Snapshot([.. s_valid, .. assignments]);

        Assert.AreNotEqual(0, exitCode, $"bicep accepted: {string.Join("; ", assignments)}{Environment.NewLine}{output}");
        StringAssert.Contains(output, reason);
    }
}
