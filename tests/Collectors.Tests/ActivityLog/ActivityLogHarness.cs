using Collectors.Simulator;
using Collectors.Simulator.Faults;
using Collectors.Simulator.Scenario;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.ActivityLog;

/// <summary>A simulator plus a fresh evidence store, and the CLI configuration that joins them.</summary>
internal sealed class ActivityLogHarness : IAsyncDisposable
{
    private ActivityLogHarness(TenantSimulator simulator, TestStore store)
    {
        Simulator = simulator;
        Store = store;
    }

    public TenantSimulator Simulator { get; }

    public TestStore Store { get; }

    public static DateTimeOffset DayBeforeYesterday => new(DateTime.UtcNow.Date.AddDays(-2), TimeSpan.Zero);

    public static async Task<ActivityLogHarness> StartAsync(FaultProfile faults, ScenarioOptions? scenario = null, TimeProvider? simulatorTime = null, int pageSize = 200)
    {
        var simulator = await TenantSimulator.StartAsync(new SimulatorOptions
        {
            Faults = faults,
            Scenario = scenario ?? new ScenarioOptions { DataStart = DayBeforeYesterday, Days = 1 },
            Time = simulatorTime ?? TimeProvider.System,
            ActivityLogPageSize = pageSize,
        });
        return new ActivityLogHarness(simulator, TestStore.Create());
    }

    /// <summary>Settings as an operator would give them (the keys of the README's configuration table).</summary>
    public Dictionary<string, string?> Configuration(params (string Key, string? Value)[] extra)
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
            ["Collectors:ActivityLog:EvidenceStorageAccountName"] = Simulator.Scenario.Options.EvidenceAccountName,
        };
        for (var i = 0; i < Principals.Approved.Count; i++)
        {
            settings[$"Collectors:ActivityLog:ApprovedDeployers:{i}"] = Principals.Approved[i];
        }

        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>The library composed as in production over these settings and a clock the test moves.</summary>
    public Task<CollectorsTestHost> HostAsync(TimeProvider clock, params (string Key, string? Value)[] extra) =>
        CollectorsTestHost.StartAsync(Configuration(extra), clock);

    public async ValueTask DisposeAsync()
    {
        await Simulator.DisposeAsync();
        await Store.DisposeAsync();
    }
}
