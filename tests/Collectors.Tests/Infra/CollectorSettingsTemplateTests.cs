namespace Collectors.Tests.Infra;

[TestClass]
public sealed class CollectorSettingsTemplateTests
{
    [TestMethod]
    public void EveryCollectorsScheduleSettingIsAnAppSettingWithItsDocumentedDefault()
    {
        var settings = Deployments.Defaults.AppSettings;
        var timers = CollectorMetadata.All().Where(c => c.ScheduleSetting is not null).ToList();

        Assert.IsNotEmpty(timers);
        foreach (var collector in timers)
        {
            Assert.IsTrue(settings.ContainsKey(collector.ScheduleSetting!), $"{collector.Folder}/collector.json names the app setting {collector.ScheduleSetting}, which infra/bicep/main.bicep does not set: add a parameter and the setting.");
            Assert.AreEqual(collector.DefaultSchedule, settings[collector.ScheduleSetting!]!.GetValue<string>(), $"{collector.ScheduleSetting}: the template default and collector.json's defaultSchedule differ");
        }
    }

    [TestMethod]
    public void EveryCollectorsQueueSettingNamesAQueueOfTheRuntimeAccountWithItsPoisonQueue()
    {
        var snapshot = Deployments.Defaults;
        var settings = snapshot.AppSettings;
        var queues = snapshot.Children(snapshot.RuntimeAccount, "Microsoft.Storage/storageAccounts/queueServices/queues").Select(q => q.ShortName).ToHashSet();

        foreach (var collector in CollectorMetadata.All().Where(c => c.QueueSetting is not null))
        {
            Assert.IsTrue(settings.ContainsKey(collector.QueueSetting!), $"{collector.Folder}/collector.json names the app setting {collector.QueueSetting}, which infra/bicep/main.bicep does not set.");
            var queue = settings[collector.QueueSetting!]!.GetValue<string>();
            Assert.AreEqual(collector.DefaultQueue, queue, $"{collector.QueueSetting}: the template default and collector.json's defaultQueue differ");
            Assert.Contains(queue, queues, $"queue '{queue}' is not created in the runtime account");
            Assert.Contains(queue + "-poison", queues, $"poison queue of '{queue}' is not created (the app may add messages but not create queues)");
        }
    }

    [TestMethod]
    public void EveryScheduleAndQueueOfTheSuiteIsSetWithItsDefault()
    {
        // The suite's whole list, including collectors whose folders do not exist yet.
        var expected = new Dictionary<string, string>
        {
            ["ACTIVITY_LOG_SCHEDULE"] = "0 */15 * * * *",
            ["ENTRA_SIGNINS_SCHEDULE"] = "0 5 * * * *",
            ["ENTRA_DIRECTORY_AUDITS_SCHEDULE"] = "0 10 * * * *",
            ["DEFENDER_FINDINGS_SCHEDULE"] = "0 0 */6 * * *",
            ["DR_JOBS_SCHEDULE"] = "0 20 * * * *",
            ["DAILY_SUMMARY_SCHEDULE"] = "0 0 6 * * *",
            ["DR_EVENTS_QUEUE"] = "dr-events",
            ["POLICY_EVENTS_QUEUE"] = "policy-events",
        };
        var settings = Deployments.Defaults.AppSettings;

        foreach (var (key, value) in expected)
        {
            Assert.AreEqual(value, settings[key]?.GetValue<string>(), key);
        }

        foreach (var schedule in expected.Where(e => e.Key.EndsWith("_SCHEDULE", StringComparison.Ordinal)))
        {
            Assert.HasCount(6, schedule.Value.Split(' '), $"{schedule.Key}: Functions timers take six-field NCRONTAB (with seconds)");
        }
    }
}
