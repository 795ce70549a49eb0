using System.Net;
using System.Text;
using Collectors.Simulator.Arm;
using Collectors.Simulator.Faults;
using Collectors.Simulator.ResourceGraph;
using Collectors.Simulator.Scenario;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Collectors.Simulator;

public sealed class SimulatorStats
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _bySubscription = new(StringComparer.OrdinalIgnoreCase);
    private long _requests;
    private long _ticks;
    private long _throttled;

    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Requests refused by ARM's token bucket (429).</summary>
    public long Throttled => Interlocked.Read(ref _throttled);

    /// <summary>Requests served for the busiest subscription.</summary>
    public long MaxSubscriptionRequests => _bySubscription.IsEmpty ? 0 : _bySubscription.Values.Max();

    public void Throttle() => Interlocked.Increment(ref _throttled);

    public void Subscription(string subscriptionId) => _bySubscription.AddOrUpdate(subscriptionId, 1, (_, n) => n + 1);

    public double HandlingMilliseconds => TimeSpan.FromTicks(Interlocked.Read(ref _ticks)).TotalMilliseconds;

    public void Record(TimeSpan elapsed)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _ticks, elapsed.Ticks);
    }
}

public sealed record SimulatorOptions
{
    /// <summary>0 picks a free port.</summary>
    public int Port { get; init; }

    public ScenarioOptions Scenario { get; init; } = new();

    public FaultProfile Faults { get; init; } = FaultProfile.None;

    /// <summary>Where the PEM certificate is written; a temporary file when null.</summary>
    public string? CertificatePath { get; init; }

    public int ActivityLogPageSize { get; init; } = 200;

    /// <summary>The simulator's "now": decides which events are visible yet (ingestion lag).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Enforce ARM's read token bucket (250, refill 25/s per subscription and principal).</summary>
    public bool ArmTokenBucket { get; init; } = true;

    /// <summary>Service time added to every ARM subscription request (a region away, a busy API): the benchmarks' stand-in for ARM's own latency.</summary>
    public TimeSpan ArmLatency { get; init; }

    public Graph.GraphScenarioOptions Graph { get; init; } = new();

    /// <summary>Graph reporting limit: requests per window per app (5 per 10 s in Azure; scale the window down in tests; 0 turns it off).</summary>
    public int GraphRequestsPerWindow { get; init; } = 5;

    public TimeSpan GraphThrottleWindow { get; init; } = TimeSpan.FromSeconds(10);

    public Graph.GraphRefusal GraphRefusal { get; init; }

    /// <summary>Where sendMail writes each message (JSON and HTML); a temporary folder when null.</summary>
    public string? MailDirectory { get; init; }

    /// <summary>Answer sendMail with 403 ErrorAccessDenied (Mail.Send not granted for the sender).</summary>
    public bool RefuseMail { get; init; }
    /// <summary>The Defender for Cloud population served through Resource Graph.</summary>
    public DefenderScenarioOptions Defender { get; init; } = new();

    /// <summary>Resource Graph queries (pages) per principal and window: 15 per 5 s, as documented.</summary>
    public int ResourceGraphQuotaLimit { get; init; } = 15;

    public TimeSpan ResourceGraphQuotaWindow { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Key Vault keys served (EC P-256, for evidence signing).</summary>
    public IReadOnlyList<string> KeyVaultKeys { get; init; } = [KeyVault.KeyVaultEndpoint.DefaultKeyName];

    /// <summary>Answer Key Vault sign requests with 403 (the app lacks keys/sign).</summary>
    public bool RefuseSign { get; init; }
}

/// <summary>
/// The tenant simulator: Kestrel on 127.0.0.1 over HTTPS with a certificate generated at start,
/// a bearer token required on every call, ARM's Activity Log and subscription list, Resource Graph's
/// securityresources (Defender for Cloud), and faults.
/// </summary>
public sealed class TenantSimulator : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TenantSimulator(WebApplication app, Uri baseUri, string certificatePath, TenantScenario scenario, FaultInjector faults, DefenderScenario defender, ResourceGraphQuota quota)
    {
        _app = app;
        BaseUri = baseUri;
        CertificatePath = certificatePath;
        Scenario = scenario;
        Faults = faults;
        Defender = defender;
        ResourceGraphQuota = quota;
    }

    public Uri BaseUri { get; }

    /// <summary>Signalled when the host is asked to stop (SIGTERM, Ctrl+C).</summary>
    public CancellationToken Stopping => _app.Lifetime.ApplicationStopping;

    public string CertificatePath { get; }

    public TenantScenario Scenario { get; }

    public FaultInjector Faults { get; }

    public Graph.GraphScenario Graph { get; private init; } = null!;

    public Graph.GraphThrottle GraphThrottle { get; private init; } = null!;

    public Graph.MailEndpoint Mail { get; private init; } = null!;

    /// <summary>The storage accounts whose user delegation keys were revoked, in order.</summary>
    public IReadOnlyCollection<string> Revocations { get; private init; } = null!;

    /// <summary>The Key Vault keys that sign evidence.</summary>
    public KeyVault.KeyVaultEndpoint KeyVault { get; private init; } = null!;

    /// <summary>The evidence signing key's versionless id, for Evidence__SigningKeyId.</summary>
    public Uri SigningKeyId => new(BaseUri, $"keys/{Collectors.Simulator.KeyVault.KeyVaultEndpoint.DefaultKeyName}");
    /// <summary>Defender for Cloud's state (switch <see cref="DefenderScenario.Generation"/> between snapshots).</summary>
    public DefenderScenario Defender { get; }

    public ResourceGraphQuota ResourceGraphQuota { get; }

    /// <summary>Requests served and the time spent producing them (for benchmarks: simulator vs collector share).</summary>
    public SimulatorStats Stats { get; private init; } = new();

    public static async Task<TenantSimulator> StartAsync(SimulatorOptions options, CancellationToken cancellationToken = default)
    {
        var scenario = new TenantScenario(options.Scenario with
        {
            IngestionLagMax = options.Faults.IngestionLagMax,
            LateArrivalRate = options.Faults.LateArrivalRate,
            LateArrivalMax = options.Faults.LateArrivalMax,
        });
        var faults = new FaultInjector(options.Faults, options.Scenario.Seed);
        var certificatePath = options.CertificatePath ?? Path.Combine(Directory.CreateTempSubdirectory("collectors-simulator-").FullName, "simulator.pem");
        var certificate = SimulatorCertificate.Create(certificatePath);
        var bucket = new TokenBucket(250, 25, TimeProvider.System);
        var stats = new SimulatorStats();
        var graph = new Collectors.Simulator.Graph.GraphScenario(options.Graph);
        var graphThrottle = new Collectors.Simulator.Graph.GraphThrottle(options.GraphRequestsPerWindow, options.GraphThrottleWindow);
        var mail = new Collectors.Simulator.Graph.MailEndpoint(options.MailDirectory ?? Path.Combine(Path.GetDirectoryName(certificatePath)!, "mail"), options.RefuseMail);
        var defender = new DefenderScenario(scenario, options.Defender);
        var quota = new ResourceGraphQuota(options.ResourceGraphQuotaLimit, options.ResourceGraphQuotaWindow, TimeProvider.System);
        var keyVault = new KeyVault.KeyVaultEndpoint(options.KeyVaultKeys, options.RefuseSign);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, options.Port, listen => listen.UseHttps(certificate)));
        var app = builder.Build();

        app.Use(async (context, next) =>
        {
            var authorization = context.Request.Headers.Authorization.ToString();
            if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || authorization.Length <= "Bearer ".Length)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer authorization_uri=\"https://login.microsoftonline.com/common\", error=\"invalid_token\", error_description=\"The authentication failed because of missing 'Authorization' header.\"";
                await ArmErrors.WriteAsync(context, 401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.");
                return;
            }

            context.Items["collectors.principal"] = Principal(authorization);
            var fault = faults.Draw();
            switch (fault)
            {
                case Fault.Throttle:
                    if (context.Request.Path.StartsWithSegments("/v1.0") || context.Request.Path.StartsWithSegments("/beta"))
                    {
                        FaultInjector.SetRetryAfter(context.Response, faults.Profile.RetryAfter, fractional: true);
                        await Collectors.Simulator.Graph.GraphEndpoints.WriteErrorAsync(context, 429, "TooManyRequests", "Please retry again later.");
                        return;
                    }

                    FaultInjector.SetRetryAfter(context.Response, faults.Profile.RetryAfter);
                    await ArmErrors.WriteAsync(context, 429, "TooManyRequests", "The request is being throttled as the limit has been reached for operation type - Read_ObservationWindow_00:00:05. For more information, see https://aka.ms/arm-throttling.");
                    return;
                case Fault.ServerError:
                    var status = faults.NextBool() ? 500 : 503;
                    await ArmErrors.WriteAsync(context, status, status == 500 ? "InternalServerError" : "ServiceUnavailable", "The service encountered an internal error. Please retry the request.");
                    return;
                case Fault.Slow:
                    await Task.Delay(faults.Profile.SlowDelay, context.RequestAborted);
                    break;
            }

            if (options.ArmTokenBucket && context.Request.Path.StartsWithSegments("/subscriptions"))
            {
                var key = $"{context.Request.Path.Value?.Split('/').ElementAtOrDefault(2)}|{Principal(authorization)}";
                if (bucket.Take(key) is { } wait)
                {
                    stats.Throttle();
                    FaultInjector.SetRetryAfter(context.Response, wait);
                    await ArmErrors.WriteAsync(context, 429, "TooManyRequests", "Number of read requests for subscription exceeded the limit of the regional token bucket. For more information, see https://aka.ms/arm-throttling.");
                    return;
                }

                context.Response.Headers["x-ms-ratelimit-remaining-subscription-reads"] = bucket.Remaining(key).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            if (context.Request.Path.StartsWithSegments("/subscriptions") && context.Request.Path.Value?.Split('/').ElementAtOrDefault(2) is { Length: > 0 } subscription)
            {
                stats.Subscription(subscription);
            }

            if (options.ArmLatency > TimeSpan.Zero && context.Request.Path.StartsWithSegments("/subscriptions"))
            {
                await Task.Delay(options.ArmLatency, context.RequestAborted);
            }

            context.Items[ResponseBody.FaultKey] = fault;
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                await next(context);
            }
            finally
            {
                stats.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started));
            }
        });

        app.MapGet("/_simulator/stats", (HttpContext context) => context.Response.WriteAsJsonAsync(new { requests = stats.Requests, handlingMilliseconds = stats.HandlingMilliseconds, throttled = stats.Throttled, maxSubscriptionRequests = stats.MaxSubscriptionRequests }));

        app.MapGet("/subscriptions", context => SubscriptionsEndpoint.HandleAsync(context, scenario));
        app.MapGet("/subscriptions/{subscriptionId}/providers/Microsoft.Insights/eventtypes/management/values", (HttpContext context, string subscriptionId) =>
            ActivityLogEndpoint.HandleAsync(context, subscriptionId, scenario, options.Time, options.ActivityLogPageSize));
        foreach (var version in new[] { "v1.0", "beta" })
        {
            foreach (var kind in new[] { Collectors.Simulator.Graph.GraphScenario.SignIns, Collectors.Simulator.Graph.GraphScenario.DirectoryAudits })
            {
                app.MapGet($"/{version}/auditLogs/{kind}", context => Collectors.Simulator.Graph.GraphEndpoints.HandleAsync(context, version, kind, graph, graphThrottle, options.Time, options.GraphRefusal));
            }
        }

        app.MapPost("/v1.0/users/{sender}/sendMail", (HttpContext context, string sender) => mail.HandleAsync(context, sender));
        keyVault.Map(app);

        // A person trying the suite moves Defender to its second state (planted regressions) or truncates results.
        app.MapPost("/_simulator/defender", (HttpContext context) =>
        {
            if (int.TryParse(context.Request.Query["generation"], System.Globalization.CultureInfo.InvariantCulture, out var generation))
            {
                defender.Generation = generation;
            }

            if (bool.TryParse(context.Request.Query["truncate"], out var truncate))
            {
                defender.TruncateResults = truncate;
            }

            return context.Response.WriteAsJsonAsync(new { generation = defender.Generation, truncate = defender.TruncateResults });
        });
        app.MapPost("/providers/Microsoft.ResourceGraph/resources", (HttpContext context) =>
            ResourceGraphEndpoint.HandleAsync(context, defender, scenario, quota, Principal(context.Request.Headers.Authorization.ToString())));
        app.MapGet("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.RecoveryServices/vaults/{vault}/replicationJobs", (HttpContext context, string subscriptionId, string resourceGroup, string vault) =>
            Collectors.Simulator.RecoveryServices.RecoveryServicesEndpoints.ReplicationJobsAsync(context, subscriptionId, resourceGroup, vault, scenario));
        app.MapGet("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.RecoveryServices/vaults/{vault}/backupJobs", (HttpContext context, string subscriptionId, string resourceGroup, string vault) =>
            Collectors.Simulator.RecoveryServices.RecoveryServicesEndpoints.BackupJobsAsync(context, subscriptionId, resourceGroup, vault, scenario));
        // Azure Storage's revokeUserDelegationKeys (ARM, Microsoft.Storage 2023-05-01): 200 with no body; recorded.
        var revocations = new System.Collections.Concurrent.ConcurrentQueue<string>();
        app.MapPost("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.Storage/storageAccounts/{account}/revokeUserDelegationKeys", async (HttpContext context, string subscriptionId, string resourceGroup, string account) =>
        {
            if (string.IsNullOrEmpty(context.Request.Query["api-version"]))
            {
                await ArmErrors.WriteAsync(context, 400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
                return;
            }

            if (!scenario.SubscriptionIds.Contains(subscriptionId, StringComparer.OrdinalIgnoreCase))
            {
                await ArmErrors.WriteAsync(context, 404, "SubscriptionNotFound", $"The subscription '{subscriptionId}' could not be found.");
                return;
            }

            revocations.Enqueue($"/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.Storage/storageAccounts/{account}");
            context.Response.StatusCode = 200;
        });
        app.MapFallback(context => ArmErrors.WriteAsync(context, 404, "NotFound", $"The simulator does not serve {context.Request.Method} {context.Request.Path}."));

        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address).Port;
        return new TenantSimulator(app, new Uri($"https://127.0.0.1:{port}/"), certificatePath, scenario, faults, defender, quota) { Stats = stats, Graph = graph, GraphThrottle = graphThrottle, Mail = mail, KeyVault = keyVault, Revocations = revocations };
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>The token's oid when it is a JWT, else the token itself: the token bucket is per principal.</summary>
    private static string Principal(string authorization)
    {
        var token = authorization["Bearer ".Length..];
        var parts = token.Split('.');
        if (parts.Length >= 2)
        {
            try
            {
                var payload = parts[1].Replace('-', '+').Replace('_', '/');
                payload = payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
                using var document = System.Text.Json.JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
                if (document.RootElement.TryGetProperty("oid", out var oid))
                {
                    return oid.GetString() ?? token;
                }
            }
            catch (Exception ex) when (ex is FormatException or System.Text.Json.JsonException)
            {
            }
        }

        return token.Length > 32 ? token[..32] : token;
    }
}
