using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Collectors.Simulator.Scenario;

/// <summary>Settings of a simulated tenant. Everything generated follows from them: same settings, same data.</summary>
public sealed record ScenarioOptions
{
    public int Seed { get; init; } = 42;

    public int Subscriptions { get; init; } = 3;

    /// <summary>Background Activity Log events per subscription per hour (each operation is two events: started and finished).</summary>
    public int ActivityEventsPerHour { get; init; } = 100;

    /// <summary>The first day with data (UTC midnight); planted violations are placed relative to it.</summary>
    public DateTimeOffset DataStart { get; init; } = new(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);

    /// <summary>How many days of data exist from <see cref="DataStart"/>.</summary>
    public int Days { get; init; } = 2;

    /// <summary>An event becomes visible up to this long after it happened.</summary>
    public TimeSpan IngestionLagMax { get; init; }

    /// <summary>Share of events published late, 40–100% of <see cref="LateArrivalMax"/> after they happened (chosen by event id, so the rest of the data is the same with or without).</summary>
    public double LateArrivalRate { get; init; }

    public TimeSpan LateArrivalMax { get; init; } = TimeSpan.FromHours(2);

    /// <summary>The evidence storage account's name, the target of the self-protection violations.</summary>
    public string EvidenceAccountName { get; init; } = "stevidencesim";

    /// <summary>Subscriptions (by index) the collector's identity may list but not read: they answer 403.</summary>
    public IReadOnlyList<int> ForbiddenSubscriptions { get; init; } = [];

    public bool PlantViolations { get; init; } = true;
}

/// <summary>
/// A deterministic simulated tenant: subscriptions and their Activity Log, generated lazily in
/// five-minute buckets from the seed (any volume, bounded memory), with violations planted at known
/// times. The ground truth the tests compare against is the same generator.
/// </summary>
public sealed class TenantScenario
{
    public static readonly TimeSpan BucketSize = TimeSpan.FromMinutes(5);
    private const int CacheLimit = 48;

    private readonly ConcurrentDictionary<(int Subscription, long Bucket), ActivityEvent[]> _cache = new();
    private readonly ConcurrentQueue<(int, long)> _cacheOrder = new();
    private readonly List<PlantedSpec> _planted;

    public TenantScenario(ScenarioOptions options)
    {
        Options = options;
        SubscriptionIds = Enumerable.Range(0, options.Subscriptions).Select(i => DeterministicGuid(options.Seed, 9000 + i, 0).ToString()).ToList();
        _planted = options.PlantViolations ? PlantedSpecs(options).ToList() : [];
        Violations = _planted.Select(p => new PlantedViolation(p.Id, SubscriptionIds[p.Subscription], EventId(p), p.At, p.Checks, p.Description)).ToList();
    }

    public ScenarioOptions Options { get; }

    public IReadOnlyList<string> SubscriptionIds { get; }

    /// <summary>The planted violations, each with the finished event the checks must point at.</summary>
    public IReadOnlyList<PlantedViolation> Violations { get; }

    public DateTimeOffset DataEnd => Options.DataStart.AddDays(Options.Days);

    public string EvidenceAccountId(string subscriptionId) =>
        $"/subscriptions/{subscriptionId}/resourceGroups/rg-collectors/providers/Microsoft.Storage/storageAccounts/{Options.EvidenceAccountName}";

    public bool IsForbidden(string subscriptionId) =>
        Options.ForbiddenSubscriptions.Any(i => i < SubscriptionIds.Count && string.Equals(SubscriptionIds[i], subscriptionId, StringComparison.OrdinalIgnoreCase));

    /// <summary>Every event of a subscription with eventTimestamp in [from, to], newest first, visible or not (the ground truth).</summary>
    public IEnumerable<ActivityEvent> Events(string subscriptionId, DateTimeOffset from, DateTimeOffset to)
    {
        var index = IndexOf(subscriptionId);
        if (index < 0)
        {
            yield break;
        }

        var first = Math.Max(BucketOf(from), BucketOf(Options.DataStart));
        var last = Math.Min(BucketOf(to), BucketOf(DataEnd) - 1);
        for (var bucket = last; bucket >= first; bucket--)
        {
            foreach (var e in Bucket(index, bucket))
            {
                if (e.Timestamp >= from && e.Timestamp <= to)
                {
                    yield return e;
                }
            }
        }
    }

    public int IndexOf(string subscriptionId)
    {
        for (var i = 0; i < SubscriptionIds.Count; i++)
        {
            if (string.Equals(SubscriptionIds[i], subscriptionId, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    private static long BucketOf(DateTimeOffset t) => t.UtcTicks / BucketSize.Ticks;

    /// <summary>The events of one five-minute bucket, newest first (eventTimestamp, then eventDataId, descending).</summary>
    private ActivityEvent[] Bucket(int subscription, long bucket)
    {
        if (_cache.TryGetValue((subscription, bucket), out var cached))
        {
            return cached;
        }

        var events = Generate(subscription, bucket);
        if (_cache.TryAdd((subscription, bucket), events))
        {
            _cacheOrder.Enqueue((subscription, bucket));
            while (_cacheOrder.Count > CacheLimit && _cacheOrder.TryDequeue(out var old))
            {
                _cache.TryRemove(old, out _);
            }
        }

        return events;
    }

    private ActivityEvent[] Generate(int subscription, long bucket)
    {
        var start = new DateTimeOffset(bucket * BucketSize.Ticks, TimeSpan.Zero);
        var rng = new Random(unchecked((Options.Seed * 1_000_003) + (subscription * 7_919) + (int)(bucket % 1_000_000_007)));
        var perBucket = Options.ActivityEventsPerHour / 12.0;
        var operations = (int)Math.Floor(perBucket / 2) + (rng.NextDouble() < (perBucket / 2) - Math.Floor(perBucket / 2) ? 1 : 0);
        var subscriptionId = SubscriptionIds[subscription];
        var events = new List<ActivityEvent>(operations * 2 + 4);
        for (var op = 0; op < operations; op++)
        {
            var at = start + TimeSpan.FromTicks((long)(rng.NextDouble() * (BucketSize.Ticks - TimeSpan.FromSeconds(30).Ticks)));
            var kind = rng.NextDouble();
            var (principal, operation, category, failed) = kind switch
            {
                < 0.50 => (Principals.Pipeline, Pick(rng, PipelineOperations), "Administrative", false),
                < 0.70 => (Principals.Automation, Pick(rng, AutomationActions), "Administrative", false),
                < 0.80 => (Principals.Pipeline, "Microsoft.Authorization/policies/audit/action", "Policy", false),
                < 0.95 => (Pick(rng, Principals.People), Pick(rng, PipelineOperations), "Administrative", true),
                _ => (Principals.Pipeline, "Microsoft.Resources/deployments/write", "Administrative", true),
            };
            var resource = ResourceFor(subscriptionId, operation, rng);
            AddOperation(events, rng, subscriptionId, subscription, at, principal, operation, category, failed, resource);
        }

        foreach (var planted in _planted.Where(p => p.Subscription == subscription && BucketOf(p.At) == bucket))
        {
            var prng = new Random(unchecked((planted.Number * 7_717) + Options.Seed));
            var resource = planted.Resource(this, subscriptionId);
            AddOperation(events, prng, subscriptionId, subscription, planted.At, planted.Principal, planted.Operation, "Administrative", planted.Failed, resource, EventId(planted));
        }

        events.Sort((a, b) => b.Timestamp != a.Timestamp ? b.Timestamp.CompareTo(a.Timestamp) : string.CompareOrdinal(b.EventDataId, a.EventDataId));
        return [.. events];
    }

    private void AddOperation(List<ActivityEvent> events, Random rng, string subscriptionId, int subscription, DateTimeOffset at, Principal principal, string operation, string category, bool failed, (string Id, string Group, string Provider) resource, string? finishedEventId = null)
    {
        var correlationId = NewGuid(rng).ToString();
        var finishedAt = at + TimeSpan.FromMilliseconds(200 + rng.Next(20_000));
        var startedId = NewGuid(rng).ToString();
        var finishedId = finishedEventId ?? NewGuid(rng).ToString();
        var lagMax = Options.IngestionLagMax.Ticks;
        foreach (var (id, when, status) in new[] { (startedId, at, "Started"), (finishedId, finishedAt, failed ? "Failed" : "Succeeded") })
        {
            var visible = when + TimeSpan.FromSeconds(20) + TimeSpan.FromTicks(lagMax == 0 ? 0 : (long)(rng.NextDouble() * lagMax));
            if (Options.LateArrivalRate > 0 && Fraction(id, 0) < Options.LateArrivalRate)
            {
                visible = when + TimeSpan.FromTicks((long)((0.4 + (0.6 * Fraction(id, 8))) * Options.LateArrivalMax.Ticks));
            }

            var json = Render(subscriptionId, id, when, visible, category, operation, status, resource, correlationId, principal, rng);
            events.Add(new ActivityEvent(subscriptionId, id, when, visible, category, operation, status, resource.Id, resource.Group, resource.Provider, correlationId, principal, json));
        }
    }

    private static byte[] Render(string subscriptionId, string eventDataId, DateTimeOffset when, DateTimeOffset submitted, string category, string operation, string status, (string Id, string Group, string Provider) resource, string correlationId, Principal principal, Random rng)
    {
        var buffer = new ArrayBufferWriter<byte>(2048);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("authorization");
            w.WriteString("action", operation);
            w.WriteString("scope", resource.Id);
            w.WriteEndObject();
            w.WriteString("caller", principal.Caller);
            w.WriteString("channels", "Operation");
            w.WriteStartObject("claims");
            w.WriteString("aud", "https://management.core.windows.net/");
            w.WriteString("iss", $"https://sts.windows.net/{Principals.TenantId}/");
            w.WriteString("appid", principal.AppId);
            w.WriteString("appidacr", principal.IsUser ? "0" : "2");
            w.WriteString("http://schemas.microsoft.com/identity/claims/objectidentifier", principal.ObjectId);
            w.WriteString("http://schemas.microsoft.com/identity/claims/tenantid", Principals.TenantId);
            if (principal.Upn is not null)
            {
                w.WriteString("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn", principal.Upn);
                w.WriteString("name", principal.Name);
                w.WriteString("http://schemas.microsoft.com/claims/authnmethodsreferences", "pwd,mfa");
            }
            else
            {
                w.WriteString("idtyp", "app");
                w.WriteString("xms_mirid", principal.Kind == "managedIdentity" ? $"/subscriptions/{subscriptionId}/resourcegroups/rg-platform/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{principal.Name}" : principal.Name);
            }

            w.WriteString("ver", "1.0");
            w.WriteEndObject();
            w.WriteString("correlationId", correlationId);
            w.WriteString("description", string.Empty);
            w.WriteString("eventDataId", eventDataId);
            w.WriteStartObject("eventName");
            w.WriteString("value", status == "Started" ? "BeginRequest" : "EndRequest");
            w.WriteString("localizedValue", status == "Started" ? "Begin request" : "End request");
            w.WriteEndObject();
            w.WriteStartObject("category");
            w.WriteString("value", category);
            w.WriteString("localizedValue", category);
            w.WriteEndObject();
            w.WriteString("eventTimestamp", Stamp(when));
            w.WriteStartObject("httpRequest");
            w.WriteString("clientRequestId", NewGuid(rng).ToString());
            w.WriteString("clientIpAddress", string.Create(CultureInfo.InvariantCulture, $"203.0.113.{rng.Next(1, 254)}"));
            w.WriteString("method", operation.EndsWith("/delete", StringComparison.OrdinalIgnoreCase) ? "DELETE" : operation.EndsWith("/action", StringComparison.OrdinalIgnoreCase) ? "POST" : "PUT");
            w.WriteEndObject();
            w.WriteString("id", $"{resource.Id}/events/{eventDataId}/ticks/{when.UtcTicks}");
            w.WriteString("level", status == "Failed" ? "Error" : "Informational");
            w.WriteString("operationId", correlationId);
            w.WriteStartObject("operationName");
            w.WriteString("value", operation);
            w.WriteString("localizedValue", operation);
            w.WriteEndObject();
            w.WriteStartObject("properties");
            w.WriteString("statusCode", status == "Started" ? "Accepted" : status == "Failed" ? "Forbidden" : "OK");
            w.WriteString("serviceRequestId", NewGuid(rng).ToString());
            w.WriteEndObject();
            w.WriteString("resourceGroupName", resource.Group);
            w.WriteStartObject("resourceProviderName");
            w.WriteString("value", resource.Provider);
            w.WriteString("localizedValue", resource.Provider);
            w.WriteEndObject();
            w.WriteStartObject("resourceType");
            w.WriteString("value", ResourceType(operation));
            w.WriteString("localizedValue", ResourceType(operation));
            w.WriteEndObject();
            w.WriteString("resourceId", resource.Id);
            w.WriteStartObject("status");
            w.WriteString("value", status);
            w.WriteString("localizedValue", status);
            w.WriteEndObject();
            w.WriteStartObject("subStatus");
            w.WriteString("value", status == "Failed" ? "Forbidden" : string.Empty);
            w.WriteString("localizedValue", status == "Failed" ? "Forbidden (HTTP Status Code: 403)" : string.Empty);
            w.WriteEndObject();
            w.WriteString("submissionTimestamp", Stamp(submitted));
            w.WriteString("subscriptionId", subscriptionId);
            w.WriteString("tenantId", Principals.TenantId);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A fraction in [0, 1) from the event id's hash: drawn without touching the generator's random sequence.</summary>
    private static double Fraction(string id, int offset) =>
        BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes(id)), offset) / (ulong.MaxValue + 1.0);

    public static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static string ResourceType(string operation)
    {
        var slash = operation.LastIndexOf('/');
        return slash > 0 ? operation[..slash] : operation;
    }

    private static (string Id, string Group, string Provider) ResourceFor(string subscriptionId, string operation, Random rng)
    {
        var provider = operation[..operation.IndexOf('/', StringComparison.Ordinal)];
        var group = Pick(rng, ResourceGroups);
        var type = ResourceType(operation);
        var resourceType = type[(provider.Length + 1)..];
        var name = string.Create(CultureInfo.InvariantCulture, $"{resourceType.Split('/')[0].ToLowerInvariant()[..Math.Min(8, resourceType.Split('/')[0].Length)]}{rng.Next(1, 40):D2}");
        var id = provider == "Microsoft.Resources" && resourceType == "deployments"
            ? $"/subscriptions/{subscriptionId}/resourceGroups/{group}/providers/Microsoft.Resources/deployments/deploy-{rng.Next(1000, 9999)}"
            : $"/subscriptions/{subscriptionId}/resourceGroups/{group}/providers/{provider}/{resourceType.Split('/')[0]}/{name}";
        return (id, group, provider);
    }

    private static T Pick<T>(Random rng, IReadOnlyList<T> items) => items[rng.Next(items.Count)];

    private static Guid NewGuid(Random rng)
    {
        Span<byte> bytes = stackalloc byte[16];
        rng.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }

    private static Guid DeterministicGuid(int seed, int a, int b) => NewGuid(new Random(unchecked((seed * 31) + (a * 131) + b)));

    private string EventId(PlantedSpec spec) => DeterministicGuid(Options.Seed, 7000 + spec.Number, 1).ToString();

    private static readonly string[] ResourceGroups = ["rg-web-prod", "rg-data-prod", "rg-network", "rg-shared", "rg-aks-prod"];

    private static readonly string[] PipelineOperations =
    [
        "Microsoft.Resources/deployments/write",
        "Microsoft.Web/sites/write",
        "Microsoft.Storage/storageAccounts/write",
        "Microsoft.Network/networkSecurityGroups/write",
        "Microsoft.KeyVault/vaults/write",
        "Microsoft.Compute/virtualMachines/write",
        "Microsoft.Sql/servers/databases/write",
        "Microsoft.Web/sites/delete",
    ];

    private static readonly string[] AutomationActions =
    [
        "Microsoft.ContainerService/managedClusters/listClusterUserCredential/action",
        "Microsoft.Compute/virtualMachines/restart/action",
        "Microsoft.Web/sites/restart/action",
        "Microsoft.Storage/storageAccounts/listKeys/action",
    ];

    private sealed record PlantedSpec(int Number, int Day, int SubscriptionIndex, TimeSpan TimeOfDay, Principal Principal, string Operation, bool Failed, bool OnEvidenceAccount, string Description, IReadOnlyList<string> Checks, DateTimeOffset DataStart, int SubscriptionCount)
    {
        public string Id => string.Create(CultureInfo.InvariantCulture, $"P{Number}");

        public int Subscription => SubscriptionIndex % SubscriptionCount;

        public DateTimeOffset At => DataStart.AddDays(Day) + TimeOfDay;

        public (string Id, string Group, string Provider) Resource(TenantScenario scenario, string subscriptionId)
        {
            var provider = Operation[..Operation.IndexOf('/', StringComparison.Ordinal)];
            if (OnEvidenceAccount)
            {
                var account = scenario.EvidenceAccountId(subscriptionId);
                var id = Operation switch
                {
                    var o when o.Contains("immutabilityPolicies", StringComparison.OrdinalIgnoreCase) => $"{account}/blobServices/default/containers/evidence/immutabilityPolicies/default",
                    var o when o.Contains("LegalHold", StringComparison.OrdinalIgnoreCase) => $"{account}/blobServices/default/containers/evidence",
                    var o when o.StartsWith("microsoft.insights/diagnosticSettings", StringComparison.OrdinalIgnoreCase) => $"{account}/blobServices/default/providers/microsoft.insights/diagnosticSettings/evidence-reads",
                    _ => account,
                };
                return (id, "rg-collectors", provider);
            }

            var group = "rg-web-prod";
            var type = Operation[(provider.Length + 1)..Operation.LastIndexOf('/')];
            return ($"/subscriptions/{subscriptionId}/resourceGroups/{group}/providers/{provider}/{type}/planted-{Number}", group, provider);
        }
    }

    private static IEnumerable<PlantedSpec> PlantedSpecs(ScenarioOptions o)
    {
        const string OutOfBand = "out-of-band-change", RoleChange = "role-change", SelfProtection = "self-protection";
        PlantedSpec P(int n, int day, int sub, string time, Principal who, string op, bool failed, bool evidence, string what, params string[] checks) =>
            new(n, day, sub, TimeSpan.Parse(time, CultureInfo.InvariantCulture), who, op, failed, evidence, what, checks, o.DataStart, o.Subscriptions);

        var all = new[]
        {
            P(1, 0, 0, "03:17:00", Principals.Mallory, "Microsoft.Compute/virtualMachines/write", false, false, "A person changed a VM outside the pipeline", OutOfBand),
            P(2, 0, 1, "11:42:00", Principals.Eve, "Microsoft.Authorization/roleAssignments/write", false, false, "A person granted a role outside the pipeline", OutOfBand, RoleChange),
            P(3, 0, 0, "15:05:00", Principals.Pipeline, "Microsoft.Authorization/roleDefinitions/write", false, false, "The pipeline changed a role definition", RoleChange),
            P(4, 0, 2, "19:30:00", Principals.Trudy, "Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies/delete", false, true, "A person deleted the evidence container's immutability policy", SelfProtection, OutOfBand),
            P(5, 0, 2, "21:10:00", Principals.Pipeline, "microsoft.insights/diagnosticSettings/write", false, true, "The pipeline changed the evidence account's diagnostic settings", SelfProtection),
            P(6, 0, 1, "08:20:00", Principals.LegacyAutomation, "Microsoft.KeyVault/vaults/write", false, false, "An unapproved managed identity changed a key vault", OutOfBand),
            P(10, 0, 2, "22:45:00", Principals.Trudy, "Microsoft.Storage/storageAccounts/write", true, true, "A person tried (and failed) to change the evidence account's network rules", SelfProtection),
            P(7, 1, 0, "02:40:00", Principals.Mallory, "Microsoft.Network/networkSecurityGroups/write", false, false, "A person changed an NSG outside the pipeline", OutOfBand),
            P(8, 1, 1, "13:13:00", Principals.Eve, "Microsoft.Authorization/roleAssignments/delete", false, false, "A person removed a role assignment outside the pipeline", OutOfBand, RoleChange),
            P(9, 1, 2, "09:55:00", Principals.Trudy, "Microsoft.Storage/storageAccounts/blobServices/containers/clearLegalHold/action", false, true, "A person cleared the legal hold on the evidence container", SelfProtection, OutOfBand),
        };
        return all.Where(p => p.Day < o.Days);
    }
}
