using Collectors.Configuration;
using Collectors.Evidence;
using Collectors.DefenderFindings;
using Collectors.Simulator;
using Collectors.Simulator.Faults;
using Collectors.Simulator.Scenario;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.DefenderFindings;

/// <summary>A simulator with a Defender population, a fresh evidence store, and the collector or CLI settings that join them.</summary>
internal sealed class DefenderHarness : IAsyncDisposable
{
    private DefenderHarness(TenantSimulator simulator, TestStore store)
    {
        Simulator = simulator;
        Store = store;
    }

    public TenantSimulator Simulator { get; }

    public TestStore Store { get; }

    public DefenderScenario Defender => Simulator.Defender;

    public static async Task<DefenderHarness> StartAsync(FaultProfile faults, int subscriptions = 3, int assessmentsPerSubscription = 200, IReadOnlyList<int>? forbidden = null, int quotaLimit = 15, TimeSpan? quotaWindow = null)
    {
        var simulator = await TenantSimulator.StartAsync(new SimulatorOptions
        {
            Faults = faults,
            Scenario = new ScenarioOptions { Subscriptions = subscriptions, ForbiddenSubscriptions = forbidden ?? [] },
            Defender = new DefenderScenarioOptions { AssessmentsPerSubscription = assessmentsPerSubscription },
            ResourceGraphQuotaLimit = quotaLimit,
            ResourceGraphQuotaWindow = quotaWindow ?? TimeSpan.FromSeconds(1),
        });
        return new DefenderHarness(simulator, TestStore.Create());
    }

    public AzureOptions Azure => new()
    {
        Credential = CredentialKind.Simulator,
        ResourceManagerEndpoint = Simulator.BaseUri,
        GraphEndpoint = Simulator.BaseUri,
        AdditionalTrustedCertificate = Simulator.CertificatePath,
        Retry = new HttpRetryOptions { DelaySeconds = 0.05, MaxDelaySeconds = 2, MaxRetries = 10 },
    };

    /// <summary>The collector as the host composes it, over a clock the test moves (the snapshot's label is the window of "now").</summary>
    public DefenderSnapshots Collector(TimeProvider clock, DefenderOptions? options = null) =>
        new(this, clock, options ?? new DefenderOptions { Subscriptions = [.. Simulator.Scenario.SubscriptionIds] });

    /// <summary>Settings as an operator would give them (the keys of the README's configuration table).</summary>
    public Dictionary<string, string?> Configuration(bool subscriptions = true)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Evidence:ConnectionString"] = Store.Options.ConnectionString,
            ["Evidence:Container"] = Store.Options.Container,
            ["Evidence:StateContainer"] = Store.Options.StateContainer,
            ["Evidence:BlockSizeMiB"] = "1",
            ["Azure:Credential"] = "Simulator",
            ["Azure:ResourceManagerEndpoint"] = Simulator.BaseUri.ToString(),
            ["Azure:GraphEndpoint"] = Simulator.BaseUri.ToString(),
            ["Azure:AdditionalTrustedCertificate"] = Simulator.CertificatePath,
            ["Azure:Retry:DelaySeconds"] = "0.05",
            ["Azure:Retry:MaxDelaySeconds"] = "2",
            ["Azure:Retry:MaxRetries"] = "10",
        };
        if (subscriptions)
        {
            for (var i = 0; i < Simulator.Scenario.SubscriptionIds.Count; i++)
            {
                settings[$"Collectors:DefenderFindings:Subscriptions:{i}"] = Simulator.Scenario.SubscriptionIds[i];
            }
        }

        return settings;
    }

    public async ValueTask DisposeAsync()
    {
        await Simulator.DisposeAsync();
        await Store.DisposeAsync();
    }
}

/// <summary>Snapshots through the runtime, composed as in production with settings from these options.</summary>
internal sealed class DefenderSnapshots(DefenderHarness harness, TimeProvider clock, DefenderOptions options)
{
    public TimeWindow WindowAt(DateTimeOffset now)
    {
        var size = TimeSpan.FromHours(options.SnapshotHours == 0 ? 6 : options.SnapshotHours);
        var start = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % size.Ticks), TimeSpan.Zero);
        return new TimeWindow(start, start + size);
    }

    public async Task<Collectors.Evidence.CollectionRun> SnapshotAsync(CancellationToken cancellationToken)
    {
        var settings = harness.Configuration(subscriptions: false);
        for (var i = 0; i < options.Subscriptions.Count; i++)
        {
            settings[$"Collectors:DefenderFindings:Subscriptions:{i}"] = options.Subscriptions[i];
        }

        settings["Collectors:DefenderFindings:PageSize"] = options.PageSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Collectors:DefenderFindings:MaxParallelScopes"] = options.MaxParallelScopes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (options.SnapshotHours > 0)
        {
            settings["Collectors:DefenderFindings:SnapshotHours"] = options.SnapshotHours.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await using var host = await CollectorsTestHost.StartAsync(settings, clock);
        return await host.Runtime.RunScheduledAsync(DefenderFindingsCollector.Id, cancellationToken);
    }
}
