using System.Globalization;
using Collectors.Simulator;
using Collectors.Simulator.Faults;
using Collectors.Simulator.Scenario;

// dotnet run --project tests/Collectors.Simulator -- --port 8443 --seed 42 [--subscriptions 3] [--events-per-hour 100]
//   [--start 2026-11-24] [--days 2] [--faults none|rough] [--cert out/simulator.pem] [--arm-token-bucket true|false] [--arm-latency-ms 0] [--page-size 200]
//   [--signins-per-hour 100] [--audits-per-hour 10] [--graph-limit 5] [--graph-window-seconds 10]
//   [--assessments-per-subscription 8500]
var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
for (var i = 0; i < args.Length; i++)
{
    if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
    {
        Console.Error.WriteLine($"error: unexpected argument '{args[i]}'. Options: --port --seed --subscriptions --events-per-hour --start --days --faults --cert --evidence-account --arm-token-bucket --arm-latency-ms --page-size --signins-per-hour --audits-per-hour --graph-limit --graph-window-seconds --mail-dir --assessments-per-subscription");
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
        MailDirectory = options.GetValueOrDefault("mail-dir") is { } mailDir ? Path.GetFullPath(mailDir) : null,
        ArmTokenBucket = bool.Parse(options.GetValueOrDefault("arm-token-bucket", "true")),
        ArmLatency = TimeSpan.FromMilliseconds(double.Parse(options.GetValueOrDefault("arm-latency-ms", "0"), CultureInfo.InvariantCulture)),
        ActivityLogPageSize = int.Parse(options.GetValueOrDefault("page-size", "200"), CultureInfo.InvariantCulture),
        GraphRequestsPerWindow = int.Parse(options.GetValueOrDefault("graph-limit", "5"), CultureInfo.InvariantCulture),
        GraphThrottleWindow = TimeSpan.FromSeconds(double.Parse(options.GetValueOrDefault("graph-window-seconds", "10"), CultureInfo.InvariantCulture)),
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
    simulatorOptions = simulatorOptions with
    {
        Graph = new Collectors.Simulator.Graph.GraphScenarioOptions
        {
            Seed = simulatorOptions.Scenario.Seed,
            DataStart = simulatorOptions.Scenario.DataStart,
            Days = simulatorOptions.Scenario.Days,
            SignInsPerHour = int.Parse(options.GetValueOrDefault("signins-per-hour", "100"), CultureInfo.InvariantCulture),
            DirectoryAuditsPerHour = int.Parse(options.GetValueOrDefault("audits-per-hour", "10"), CultureInfo.InvariantCulture),
        },
    };

    await using var simulator = await TenantSimulator.StartAsync(simulatorOptions);
    Console.WriteLine($"Tenant simulator listening on {simulator.BaseUri}");
    Console.WriteLine($"Certificate (PEM): {simulator.CertificatePath}");
    Console.WriteLine($"Subscriptions: {string.Join(", ", simulator.Scenario.SubscriptionIds)}");
    Console.WriteLine($"Data: {simulator.Scenario.Options.DataStart:O} for {simulator.Scenario.Options.Days} day(s); planted violations: {simulator.Scenario.Violations.Count}");
    Console.WriteLine($"Mail sent through it is written to: {simulator.Mail.Directory}");
    Console.WriteLine($"Defender for Cloud (Resource Graph): {simulator.Defender.Options.AssessmentsPerSubscription} assessments per subscription, generation {simulator.Defender.Generation}");
    Console.WriteLine($"Key Vault evidence signing key: {simulator.SigningKeyId}");
    Console.WriteLine("Point the suite at it with:");
    Console.WriteLine($"  Azure__ResourceManagerEndpoint={simulator.BaseUri} Azure__GraphEndpoint={simulator.BaseUri} Azure__Credential=Simulator Azure__AdditionalTrustedCertificate={simulator.CertificatePath} Evidence__SigningKeyId={simulator.SigningKeyId}");
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
