using Collectors.Configuration;
using Collectors.EntraDirectoryAudits;
using Collectors.EntraSignIns;
using Collectors.Evidence;
using Collectors.Graph;
using Collectors.Simulator;
using Collectors.Simulator.Faults;
using Collectors.Simulator.Graph;
using Collectors.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

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

    public AuditLogCollector Create(bool signIns, AuditLogOptions? options = null, ReportingPacer? pacer = null)
    {
        options ??= new AuditLogOptions { FirstRunLookbackHours = 1, MaxWindowsPerRun = 48 };
        var azure = new AzureOptions
        {
            Credential = CredentialKind.Simulator,
            ResourceManagerEndpoint = Simulator.BaseUri,
            GraphEndpoint = Simulator.BaseUri,
            AdditionalTrustedCertificate = Simulator.CertificatePath,
            Retry = new HttpRetryOptions { DelaySeconds = 0.05, MaxDelaySeconds = 1, MaxRetries = 10 },
        };
        // At a 100 ms window, scheduling jitter is a larger share than at 10 s: give the scaled pacer 20% in hand.
        pacer ??= new ReportingPacer(5, ScaledWindow * 1.2, TimeProvider.System);
        var client = new GraphReportingClient(azure, new SimulatorCredential(), pacer, NullLogger<GraphReportingClient>.Instance);
        var writer = Store.NewWriter(Clock);
        return new AuditLogCollector(
            signIns ? EntraSignInsCollector.Sources(options) : [EntraDirectoryAuditsCollector.Source],
            options,
            client,
            writer,
            new LateArrivalSweep(writer, new EvidenceReader(Store.Evidence), new SweepLedger(Store.State), Clock, NullLogger<LateArrivalSweep>.Instance),
            new SimulatorCredential(),
            new Uri("https://graph.microsoft.com/"),
            Clock,
            NullLogger.Instance);
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
