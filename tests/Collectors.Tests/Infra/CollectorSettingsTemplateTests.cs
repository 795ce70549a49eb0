namespace Collectors.Tests.Infra;

[TestClass]
/// <summary>The runtime's own settings. Each collector's settings are held by the convention test (Conventions/).</summary>
public sealed class CollectorSettingsTemplateTests
{
    [TestMethod]
    public void TheSettingsOfTheRuntimeItselfAreSetWithTheirDefaults()
    {
        // Not a collector's: the daily summary's timer and the work queue every timer fans out onto.
        var settings = Deployments.Defaults.AppSettings;
        Assert.AreEqual("0 0 6 * * *", settings["DAILY_SUMMARY_SCHEDULE"]?.GetValue<string>());
        Assert.AreEqual(Collectors.Runtime.WorkQueue.DefaultName, settings[Collectors.Runtime.WorkQueue.Setting]?.GetValue<string>());
        var queues = Deployments.Defaults.Children(Deployments.Defaults.RuntimeAccount, "Microsoft.Storage/storageAccounts/queueServices/queues").Select(q => q.ShortName).ToHashSet();
        Assert.Contains(Collectors.Runtime.WorkQueue.DefaultName, queues);
        Assert.Contains(Collectors.Runtime.WorkQueue.DefaultName + "-poison", queues, "a work item that fails five times goes to the poison queue, where a function records it as an error record");
    }

    [TestMethod]
    public void EveryScheduleIsASixFieldNcrontab()
    {
        foreach (var (key, value) in Deployments.Defaults.AppSettings.Where(s => s.Key.EndsWith("_SCHEDULE", StringComparison.Ordinal)))
        {
            Assert.HasCount(6, value!.GetValue<string>().Split(' '), $"{key}: Functions timers take six-field NCRONTAB (with seconds)");
        }
    }
}
