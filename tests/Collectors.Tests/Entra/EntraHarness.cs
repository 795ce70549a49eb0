using Collectors.Simulator;
using Collectors.Simulator.Faults;
using Collectors.Simulator.Graph;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.Entra;

/// <summary>The simulator's Graph endpoints with a scaled clock (the 5-per-10-seconds limit becomes 5 per 100 ms), a fresh store, and the collectors wired as in production.</summary>
internal sealed class EntraHarness : IAsyncDisposable
{
    public static readonly TimeSpan ScaledWindow = TimeSpan.FromMilliseconds(100);

    private EntraHarness(TenantSimulator simulator, TestStore store, TimeProvider clock)
    {
        Simulator = simulator;
        Store = store;
        Clock = clock;
    }

    public TenantSimulator Simulator { get; }

    public TestStore Store { get; }

    public TimeProvider Clock { get; }

    public static async Task<EntraHarness> StartAsync(GraphScenarioOptions graph, TimeProvider clock, FaultProfile? faults = null, GraphRefusal refusal = GraphRefusal.None)
    {
        var simulator = await TenantSimulator.StartAsync(new SimulatorOptions
        {
            Faults = faults ?? FaultProfile.None,
            Graph = graph,
            GraphThrottleWindow = ScaledWindow,
            GraphRefusal = refusal,
            Time = clock,
        });
        return new EntraHarness(simulator, TestStore.Create(), clock);
    }

    /// <summary>
    /// The library composed as in production over the harness's settings and clock: the Graph pacer at the scaled
    /// window with 20% in hand (at 100 ms, scheduling jitter is a larger share than at 10 s), each collector's
    /// first run looking back an hour, plus <paramref name="extra"/>.
    /// </summary>
    public Task<CollectorsTestHost> HostAsync(params (string Key, string? Value)[] extra)
    {
        var settings = Configuration();
        settings["Azure:Retry:MaxRetries"] = "10";
        settings["Azure:Retry:MaxDelaySeconds"] = "1";
        settings["Azure:Retry:MalformedPageRetries"] = "5";
        settings["Collectors:Graph:WindowSeconds"] = (ScaledWindow.TotalSeconds * 1.2).ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var section in new[] { "EntraSignIns", "EntraDirectoryAudits" })
        {
            settings[$"Collectors:{section}:FirstRunLookbackHours"] = "1";
        }

        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return CollectorsTestHost.StartAsync(settings, Clock);
    }

    public Dictionary<string, string?> Configuration() => new()
    {
        ["Evidence:ConnectionString"] = Store.Options.ConnectionString,
        ["Evidence:Container"] = Store.Options.Container,
        ["Evidence:StateContainer"] = Store.Options.StateContainer,
        ["Azure:Credential"] = "Simulator",
        ["Azure:ResourceManagerEndpoint"] = Simulator.BaseUri.ToString(),
        ["Azure:GraphEndpoint"] = Simulator.BaseUri.ToString(),
        ["Azure:AdditionalTrustedCertificate"] = Simulator.CertificatePath,
        ["Azure:Retry:DelaySeconds"] = "0.05",
        ["Azure:Retry:MaxRetries"] = "3",
        ["Azure:Retry:MalformedPageRetries"] = "1",
        ["Collectors:Graph:WindowSeconds"] = ScaledWindow.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public async ValueTask DisposeAsync()
    {
        await Simulator.DisposeAsync();
        await Store.DisposeAsync();
    }
}
