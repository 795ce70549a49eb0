using System.Globalization;
using Collectors.Simulator;
using Collectors.Simulator.Faults;
using Collectors.Simulator.Scenario;

// dotnet run --project tests/Collectors.Simulator -- --port 8443 --seed 42 [--subscriptions 3] [--events-per-hour 100]
//   [--start 2026-11-24] [--days 2] [--faults none|rough] [--cert out/simulator.pem] [--arm-token-bucket true|false] [--page-size 200]
//   [--assessments-per-subscription 8500]
var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
for (var i = 0; i < args.Length; i++)
{
    if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
    {
        Console.Error.WriteLine($"error: unexpected argument '{args[i]}'. Options: --port --seed --subscriptions --events-per-hour --start --days --faults --cert --evidence-account --arm-token-bucket --page-size --assessments-per-subscription");
        return 2;
    }

    options[args[i][2..]] = args[++i];
}

try
{
    var faults = FaultProfile.Parse(options.GetValueOrDefault("faults", "none"));
    var simulatorOptions = new SimulatorOptions
    {
        Port = int.Parse(options.GetValueOrDefault("port", "0"), CultureInfo.InvariantCulture),
        Faults = faults,
        CertificatePath = options.GetValueOrDefault("cert") is { } cert ? Path.GetFullPath(cert) : null,
        ArmTokenBucket = bool.Parse(options.GetValueOrDefault("arm-token-bucket", "true")),
        ActivityLogPageSize = int.Parse(options.GetValueOrDefault("page-size", "200"), CultureInfo.InvariantCulture),
        Defender = new DefenderScenarioOptions { AssessmentsPerSubscription = int.Parse(options.GetValueOrDefault("assessments-per-subscription", "8500"), CultureInfo.InvariantCulture) },
        Scenario = new ScenarioOptions
        {
            Seed = int.Parse(options.GetValueOrDefault("seed", "42"), CultureInfo.InvariantCulture),
            Subscriptions = int.Parse(options.GetValueOrDefault("subscriptions", "3"), CultureInfo.InvariantCulture),
            ActivityEventsPerHour = int.Parse(options.GetValueOrDefault("events-per-hour", "100"), CultureInfo.InvariantCulture),
            DataStart = options.TryGetValue("start", out var start)
                ? DateTimeOffset.Parse(start, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal)
                : new DateTimeOffset(DateTime.UtcNow.Date.AddDays(-2), TimeSpan.Zero),
            Days = int.Parse(options.GetValueOrDefault("days", "2"), CultureInfo.InvariantCulture),
            EvidenceAccountName = options.GetValueOrDefault("evidence-account", "stevidencesim"),
        },
    };

    await using var simulator = await TenantSimulator.StartAsync(simulatorOptions);
    Console.WriteLine($"Tenant simulator listening on {simulator.BaseUri}");
    Console.WriteLine($"Certificate (PEM): {simulator.CertificatePath}");
    Console.WriteLine($"Subscriptions: {string.Join(", ", simulator.Scenario.SubscriptionIds)}");
    Console.WriteLine($"Data: {simulator.Scenario.Options.DataStart:O} for {simulator.Scenario.Options.Days} day(s); planted violations: {simulator.Scenario.Violations.Count}");
    Console.WriteLine($"Defender for Cloud (Resource Graph): {simulator.Defender.Options.AssessmentsPerSubscription} assessments per subscription, generation {simulator.Defender.Generation}");
    Console.WriteLine("Point the suite at it with:");
    Console.WriteLine($"  Azure__ResourceManagerEndpoint={simulator.BaseUri} Azure__GraphEndpoint={simulator.BaseUri} Azure__Credential=Simulator Azure__AdditionalTrustedCertificate={simulator.CertificatePath}");
    Console.WriteLine("Press Ctrl+C to stop.");
    // The host's console lifetime turns SIGTERM and Ctrl+C into a stop request.
    var stopped = new TaskCompletionSource();
    using var registration = simulator.Stopping.Register(() => stopped.TrySetResult());
    await stopped.Task;
    return 0;
}
catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 2;
}
