using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml;
using Collectors.Catalog;
using Collectors.Events;
using Collectors.Runtime;
using Collectors.Tests.Evidence;
using Collectors.Tests.Infra;
using Collectors.Tests.Infrastructure;
using Collectors.Tests.SampleHeartbeats;
using Json.Schema;
using Microsoft.Extensions.DependencyInjection;

namespace Collectors.Tests.Conventions;

/// <summary>
/// Walks every collector.json — the library's (functions/Collectors/**) and the test project's — and holds each
/// to the conventions that make a folder a whole collector. Each failure names the collector and the line to add.
/// Collectors that the Functions app deploys (every one AddCollectors registers) must also have their Function,
/// their app settings in the Bicep template and local.settings.sample.json, and a README section; a collector
/// defined in the tests is not deployed, so those four do not apply to it.
/// </summary>
[TestClass]
public sealed class CollectorConventionTests
{
    private sealed record Defined(CollectorDescriptor Descriptor, Assembly Assembly, string Json, bool Deployed)
    {
        public override string ToString() => $"{Descriptor.Id} ({Assembly.GetName().Name}: {Descriptor.Folder}/collector.json)";
    }

    private static IEnumerable<Defined> All()
    {
        foreach (var (assembly, deployed) in new[] { (typeof(CollectorCatalog).Assembly, true), (typeof(SampleHeartbeatsCollector).Assembly, false) })
        {
            var found = 0;
            foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("collector:", StringComparison.Ordinal)))
            {
                using var stream = assembly.GetManifestResourceStream(resource)!;
                using var reader = new StreamReader(stream);
                var json = reader.ReadToEnd();
                var descriptor = CollectorDescriptor.LoadAll(assembly).Single(d => "collector:" + d.Folder + "/" == resource.Replace('\\', '/'));
                found++;
                yield return new Defined(descriptor, assembly, json, deployed);
            }

            Assert.IsGreaterThan(0, found, $"no collector.json is embedded in {assembly.GetName().Name}");
        }
    }

    private static readonly Lazy<CollectorsTestHost> s_host = new(() => CollectorsTestHost.StartAsync(
        new Dictionary<string, string?>
        {
            ["Evidence:ConnectionString"] = Azurite.ConnectionString,
            ["Azure:Credential"] = "AzureCli",
        },
        extend: SampleCollectorTests.Register).GetAwaiter().GetResult());

    [ClassCleanup]
    public static async Task StopAsync()
    {
        if (s_host.IsValueCreated)
        {
            await s_host.Value.DisposeAsync();
        }
    }

    [TestMethod]
    public void TheConventionsCoverTheLibraryAndTheTestProjectsCollectors()
    {
        var ids = All().Select(d => d.Descriptor.Id).ToList();

        CollectionAssert.IsSubsetOf(new[] { "activity-log", "defender-findings", "dr-jobs", "dr-tests", "entra-directory-audits", "entra-signins", "policy-states", "sample-heartbeats" }, ids);
        CollectionAssert.AllItemsAreUnique(ids);
    }

    [TestMethod]
    public void EveryCollectorJsonIsValidAgainstTheSchema()
    {
        var schema = ManifestSchemaTests.Load("collector.v1.schema.json");
        foreach (var c in All())
        {
            var result = schema.Evaluate(JsonDocument.Parse(c.Json).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
            Assert.IsTrue(result.IsValid, $"{c}: {string.Join("; ", (result.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")))}");
        }
    }

    [TestMethod]
    public void EveryKindHasItsShapeAndItsTrigger()
    {
        foreach (var (d, _, _, _) in All())
        {
            switch (d.Kind)
            {
                case CollectorDescriptor.Windowed:
                    Assert.IsNotNull(d.Windows, $"{d.Id}: a windowed collector declares its windows (size, lag, maxPerRun, firstRunLookback)");
                    Assert.AreEqual(0, TimeSpan.FromDays(1).Ticks % d.Windows.Size.Ticks, $"{d.Id}: windows.size must divide a day");
                    Assert.IsNotNull(d.RetentionDays, $"{d.Id}: a windowed collector declares how far back its source keeps data (retentionDays)");
                    Assert.IsNotNull(d.SettingsSection, $"{d.Id}: a windowed collector's window settings live in its settingsSection");
                    Assert.IsNull(d.SnapshotEvery, $"{d.Id}: windowed, yet it declares a snapshot grid");
                    Assert.IsTrue(d.Windows.SweepHourUtc is null || d.RecordId is not null, $"{d.Id}: a late-arrival sweep needs recordId to tell records apart");
                    break;
                case CollectorDescriptor.Snapshot:
                    Assert.IsNotNull(d.SnapshotEvery, $"{d.Id}: a snapshot collector declares its grid (snapshot.every)");
                    Assert.AreEqual(0, TimeSpan.FromDays(1).Ticks % d.SnapshotEvery.Value.Ticks, $"{d.Id}: snapshot.every must divide a day");
                    Assert.IsNull(d.Windows, $"{d.Id}: a snapshot collector has no windows to backfill");
                    break;
                default:
                    Assert.AreEqual(CollectorDescriptor.Events, d.Kind);
                    Assert.AreEqual("queue", d.Trigger, $"{d.Id}: events arrive on a queue");
                    break;
            }

            Assert.IsTrue(d.FanOut || !string.IsNullOrWhiteSpace(d.FanOutNote), $"{d.Id}: fanOut is false; say why in fanOutNote");
            if (d.Trigger == "timer")
            {
                Assert.AreNotEqual(CollectorDescriptor.Events, d.Kind, $"{d.Id}: an event collector is not timer-triggered");
                Assert.IsNotNull(d.DefaultSchedule, $"{d.Id}: a timer needs defaultSchedule");
                Assert.HasCount(6, d.DefaultSchedule.Split(' '), $"{d.Id}: defaultSchedule '{d.DefaultSchedule}' must be six-field NCRONTAB (with seconds)");
            }
        }
    }

    [TestMethod]
    public void EveryCriterionIsASoc2CriterionAndEveryCheckIsUnderOneOfTheCollectorsCriteria()
    {
        var soc2 = CollectorCatalog.Default.Criteria.Select(c => c.Id).ToHashSet();
        foreach (var (d, _, _, _) in All())
        {
            foreach (var criterion in d.Criteria)
            {
                Assert.Contains(criterion, soc2, $"{d.Id}: '{criterion}' is not a SOC 2 criterion (soc2-criteria.json)");
            }

            Assert.IsNotEmpty(d.Checks, $"{d.Id}: declares no checks, so the daily summary could never FAIL it");
            CollectionAssert.AllItemsAreUnique(d.Checks.Select(c => c.Id).ToList(), $"{d.Id}: a check id is declared twice");
            foreach (var check in d.Checks)
            {
                Assert.Contains(check.Criterion, d.Criteria, $"{d.Id}: check {check.Id} is under {check.Criterion}, not one of the collector's criteria");
            }
        }
    }

    /// <summary>
    /// The check ids a collector's code emits are the public string constants of its <c>*Checks</c> types (its
    /// namespace): they and collector.json's checks must be the same set. (At run time the daily summary also
    /// refuses to count a finding of an undeclared check, and reports it as an ERROR.)
    /// </summary>
    [TestMethod]
    public void EveryCheckTheCodeEmitsIsDeclaredAndEveryDeclaredCheckIsEmitted()
    {
        foreach (var c in All())
        {
            var ns = Namespace(c);
            var emitted = c.Assembly.GetTypes()
                .Where(t => t.Namespace == ns && t.Name.EndsWith("Checks", StringComparison.Ordinal))
                .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral && f.FieldType == typeof(string)))
                .Select(f => (string)f.GetRawConstantValue()!)
                .ToHashSet();

            Assert.IsNotEmpty(emitted, $"{c}: no *Checks type with the check ids as constants in namespace {ns}");
            CollectionAssert.AreEquivalent(c.Descriptor.Checks.Select(k => k.Id).ToList(), emitted.ToList(), $"{c}: the checks its code emits (constants of its *Checks types) and collector.json's checks differ");
        }
    }

    [TestMethod]
    public void FolderClassSettingsFunctionQueueAndStreamNamesAgree()
    {
        foreach (var c in All())
        {
            var d = c.Descriptor;
            var pascal = d.Folder.Replace("/", string.Empty, StringComparison.Ordinal);
            var words = Regex.Replace(d.Id, "-", string.Empty);
            Assert.AreEqual(words, pascal.ToLowerInvariant(), $"{c}: the folder ({d.Folder}) and the id ({d.Id}) must be the same words");

            var suffix = d.Kind == CollectorDescriptor.Events ? "EventRoute" : "Collector";
            var type = c.Assembly.GetTypes().SingleOrDefault(t => t.Namespace == Namespace(c) && string.Equals(t.Name, pascal + suffix, StringComparison.OrdinalIgnoreCase));
            Assert.IsNotNull(type, $"{c}: expected a class {pascal}{suffix} in namespace {Namespace(c)}");
            Assert.AreEqual(d.Id, CollectorDescriptor.For(type).Id, $"{type.Name} finds another collector.json");
            var expected = d.Kind switch
            {
                CollectorDescriptor.Windowed => typeof(IWindowedCollector),
                CollectorDescriptor.Snapshot => typeof(ISnapshotCollector),
                _ => typeof(IEventRoute),
            };
            Assert.IsTrue(expected.IsAssignableFrom(type), $"{type.Name} is a {d.Kind} collector, so it implements {expected.Name}");

            if (d.SettingsSection is { } section)
            {
                Assert.AreEqual("collectors:" + pascal.ToLowerInvariant(), section.ToLowerInvariant(), $"{d.Id}: settingsSection must be Collectors:{pascal}");
            }

            var upper = d.Id.ToUpperInvariant().Replace('-', '_');
            if (d.Trigger == "timer")
            {
                Assert.AreEqual(upper + "_SCHEDULE", d.ScheduleSetting, $"{d.Id}: the schedule setting is named after the id");
            }
            else
            {
                Assert.AreEqual(upper + "_QUEUE", d.QueueSetting, $"{d.Id}: the queue setting is named after the id");
                Assert.AreEqual(d.Id, d.DefaultQueue, $"{d.Id}: its queue is named after it");
            }
        }
    }

    /// <summary>The composition knows each collector, and runs it the way its kind says: `collectors run &lt;id&gt;` dispatches through this same runtime.</summary>
    [TestMethod]
    public async Task EveryCollectorIsRegisteredAndRunnableOrDeclaredEventOnly()
    {
        var host = s_host.Value;
        var runtime = host.Runtime;
        var routes = host.Services.GetServices<IEventRoute>().ToList();
        var checks = host.Services.GetServices<ICollectorChecks>().Select(k => k.CollectorId).ToList();
        foreach (var c in All())
        {
            var d = c.Descriptor;
            Assert.IsNotNull(runtime.Catalog.Find(d.Id), $"{c}: not registered (add its one line to AddCollectors)");
            Assert.Contains(d.Id, checks, $"{c}: registers no checks, so the daily summary could never FAIL it");
            if (d.Kind == CollectorDescriptor.Events)
            {
                var route = routes.SingleOrDefault(r => r.Collector == d.Id);
                Assert.IsNotNull(route, $"{c}: an event collector needs its route (AddEventCollector)");
                CollectionAssert.AreEquivalent(d.Criteria.ToList(), route.Criteria.ToList(), $"{c}: the route's criteria are collector.json's");
                var refused = await CollectorsCommand.RunAsync(null, SampleCollectorTests.Register, "run", d.Id);
                Assert.AreEqual(2, refused.ExitCode, refused.Output + refused.Error);
                StringAssert.Contains(refused.Error, $"{d.Id} collects pushed events (queue %{d.QueueSetting}%");
            }
            else
            {
                var collector = runtime.Get(d.Id);
                Assert.AreEqual(d.Id, collector.Id);
                Assert.AreEqual(d.Kind == CollectorDescriptor.Windowed, collector is IWindowedCollector, $"{c}: kind {d.Kind}");
                if (d.Kind == CollectorDescriptor.Windowed)
                {
                    Assert.AreEqual((d.Windows!.Size, d.Windows.Lag), runtime.Grid(d.Id), $"{c}: with no settings, the runtime's grid is collector.json's");
                }
            }
        }
    }

    [TestMethod]
    public void EveryDeployedCollectorHasItsFunctionNamedByItsIdOnItsSetting()
    {
        var metadata = Path.Combine(RepositoryRoot.Path, "functions", "Collectors.Functions", "bin", RepositoryRoot.BuildConfiguration, "net10.0", "functions.metadata");
        Assert.IsTrue(File.Exists(metadata), $"{metadata} is missing: build Collectors.sln first (eng/test.sh does).");
        var functions = JsonNode.Parse(File.ReadAllText(metadata))!.AsArray().OfType<JsonObject>().ToDictionary(f => f["name"]!.GetValue<string>());
        foreach (var c in All().Where(c => c.Deployed))
        {
            var d = c.Descriptor;
            Assert.IsTrue(functions.TryGetValue(d.Id, out var function), $"{c}: no Function named '{d.Id}' — add a one-line [Function(\"{d.Id}\")] to functions/Collectors.Functions/{(d.Kind == CollectorDescriptor.Events ? "EventFunctions" : "CollectorFunctions")}.cs");
            var binding = function["bindings"]!.AsArray().OfType<JsonObject>().Single(b => b["direction"]?.GetValue<string>() is "In" or "in" || b["type"]!.GetValue<string>().EndsWith("Trigger", StringComparison.Ordinal));
            if (d.Trigger == "timer")
            {
                Assert.AreEqual("timerTrigger", binding["type"]!.GetValue<string>(), c.ToString());
                Assert.AreEqual($"%{d.ScheduleSetting}%", binding["schedule"]!.GetValue<string>(), c.ToString());
            }
            else
            {
                Assert.AreEqual("queueTrigger", binding["type"]!.GetValue<string>(), c.ToString());
                Assert.AreEqual($"%{d.QueueSetting}%", binding["queueName"]!.GetValue<string>(), c.ToString());
            }
        }
    }

    [TestMethod]
    public void EveryDeployedCollectorsSettingIsInTheBicepAppSettingsAndTheLocalSettingsSampleWithItsDefault()
    {
        var snapshot = Deployments.Defaults;
        var app = snapshot.AppSettings;
        var queues = snapshot.Children(snapshot.RuntimeAccount, "Microsoft.Storage/storageAccounts/queueServices/queues").Select(q => q.ShortName).ToHashSet();
        var sample = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "functions", "Collectors.Functions", "local.settings.sample.json")))!["Values"]!.AsObject();
        foreach (var c in All().Where(c => c.Deployed))
        {
            var d = c.Descriptor;
            var (setting, value) = d.Trigger == "timer" ? (d.ScheduleSetting!, d.DefaultSchedule!) : (d.QueueSetting!, d.DefaultQueue!);
            Assert.IsTrue(app.ContainsKey(setting), $"{c}: infra/bicep/main.bicep does not set {setting}: add a parameter (default '{value}'), the app setting, and its line in main.parameters.json");
            Assert.AreEqual(value, app[setting]!.GetValue<string>(), $"{setting}: the template's default and collector.json's differ");
            Assert.IsTrue(sample.ContainsKey(setting), $"{c}: functions/Collectors.Functions/local.settings.sample.json lacks \"{setting}\": \"{value}\"");
            Assert.AreEqual(value, sample[setting]!.GetValue<string>(), $"{setting} in local.settings.sample.json");
            if (d.Trigger == "queue")
            {
                Assert.Contains(value, queues, $"{c}: queue '{value}' is not created in the runtime account");
                Assert.Contains(value + "-poison", queues, $"{c}: the poison queue of '{value}' is not created (the app may add messages, not create queues)");
            }
        }
    }

    [TestMethod]
    public void EveryDeployedCollectorHasAReadmeSection()
    {
        var readme = File.ReadAllLines(Path.Combine(RepositoryRoot.Path, "README.md"));
        var start = Array.IndexOf(readme, "## Collectors");
        Assert.IsGreaterThanOrEqualTo(0, start, "README.md has no '## Collectors' section");
        var end = Array.FindIndex(readme, start + 1, l => l.StartsWith("## ", StringComparison.Ordinal));
        var headings = readme[start..end].Where(l => l.StartsWith("### ", StringComparison.Ordinal)).ToList();
        foreach (var c in All().Where(c => c.Deployed))
        {
            Assert.IsTrue(headings.Any(h => Regex.IsMatch(h, $@"(^|[\s`]){Regex.Escape(c.Descriptor.Id)}($|[\s`])")), $"{c}: README.md's '## Collectors' has no '### ' heading naming {c.Descriptor.Id}");
        }
    }

    private static string Namespace(Defined c) => c.Assembly.GetName().Name + "." + c.Descriptor.Folder.Replace('/', '.');
}
