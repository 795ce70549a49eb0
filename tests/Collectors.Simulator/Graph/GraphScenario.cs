using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;

namespace Collectors.Simulator.Graph;

public sealed record GraphScenarioOptions
{
    public int Seed { get; init; } = 42;

    public DateTimeOffset DataStart { get; init; } = new(2026, 11, 19, 0, 0, 0, TimeSpan.Zero);

    public int Days { get; init; } = 7;

    /// <summary>Interactive sign-ins per hour (v1.0); non-interactive, service-principal and managed-identity ones come on top (beta).</summary>
    public int SignInsPerHour { get; init; } = 100;

    public int DirectoryAuditsPerHour { get; init; } = 10;

    /// <summary>Share of sign-ins that become visible late, up to <see cref="LateArrivalMax"/> after they happened.</summary>
    public double LateShare { get; init; } = 0.03;

    public TimeSpan LateArrivalMax { get; init; } = TimeSpan.FromHours(5);

    public bool PlantViolations { get; init; } = true;
}

/// <summary>One generated Graph audit record (a sign-in or a directory audit) and when it becomes visible.</summary>
public sealed record GraphRecord(string Kind, string Id, DateTimeOffset At, DateTimeOffset VisibleAt, string EventType, byte[] Json);

public sealed record PlantedGraphViolation(string Id, string Kind, string RecordId, DateTimeOffset At, IReadOnlyList<string> ExpectedChecks, string Description);

/// <summary>
/// A deterministic Entra tenant's sign-ins and directory audits, generated per hour from the seed, with
/// late arrivals and planted violations. Sign-ins: v1.0 interactive users; beta adds non-interactive,
/// service-principal and managed-identity ones (signInEventTypes).
/// </summary>
public sealed class GraphScenario
{
    public const string SignIns = "signIns";
    public const string DirectoryAudits = "directoryAudits";
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<(string, long), GraphRecord[]> _cache = new();
    private readonly ConcurrentQueue<(string, long)> _order = new();
    private readonly List<Plant> _plants;

    public GraphScenario(GraphScenarioOptions options)
    {
        Options = options;
        _plants = options.PlantViolations ? [.. Plants(options)] : [];
        Violations = [.. _plants.Select(p => new PlantedGraphViolation(p.Id, p.Kind, p.RecordId, p.At, p.Checks, p.Description))];
    }

    public GraphScenarioOptions Options { get; }

    public IReadOnlyList<PlantedGraphViolation> Violations { get; }

    public DateTimeOffset DataEnd => Options.DataStart.AddDays(Options.Days);

    /// <summary>Every record of a kind with its time in [from, to), newest first (the ground truth, visible or not).</summary>
    public IEnumerable<GraphRecord> Records(string kind, DateTimeOffset from, DateTimeOffset to, string? eventType = null)
    {
        var first = Math.Max(from.UtcTicks / Hour.Ticks, Options.DataStart.UtcTicks / Hour.Ticks);
        var last = Math.Min((to.UtcTicks - 1) / Hour.Ticks, (DataEnd.UtcTicks / Hour.Ticks) - 1);
        for (var hour = last; hour >= first; hour--)
        {
            foreach (var record in Bucket(kind, hour))
            {
                if (record.At >= from && record.At < to && (eventType is null || record.EventType == eventType))
                {
                    yield return record;
                }
            }
        }
    }

    private GraphRecord[] Bucket(string kind, long hour)
    {
        if (_cache.TryGetValue((kind, hour), out var cached))
        {
            return cached;
        }

        var made = kind == SignIns ? MakeSignIns(hour) : MakeAudits(hour);
        if (_cache.TryAdd((kind, hour), made))
        {
            _order.Enqueue((kind, hour));
            while (_order.Count > 64 && _order.TryDequeue(out var old))
            {
                _cache.TryRemove(old, out _);
            }
        }

        return made;
    }

    private static readonly string[] Users = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"];
    private static readonly (string Id, string Name)[] Apps =
    [
        ("00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online"),
        ("00000003-0000-0ff1-ce00-000000000000", "Office 365 SharePoint Online"),
        ("c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "Azure Portal"),
        ("1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams"),
    ];

    private GraphRecord[] MakeSignIns(long hour)
    {
        var start = new DateTimeOffset(hour * Hour.Ticks, TimeSpan.Zero);
        var rng = new Random(unchecked((Options.Seed * 524_287) + (int)(hour % 1_000_000_007)));
        var list = new List<GraphRecord>();
        void Add(string type, int count)
        {
            for (var i = 0; i < count; i++)
            {
                var at = start + TimeSpan.FromTicks((long)(rng.NextDouble() * Hour.Ticks));
                var user = Users[rng.Next(Users.Length)];
                var app = Apps[rng.Next(Apps.Length)];
                var failed = rng.NextDouble() < 0.08;
                var id = NewGuid(rng).ToString();
                var visible = Visible(at, rng);
                list.Add(new GraphRecord(SignIns, id, at, visible, type, SignIn(id, at, type, user, app, failed ? 50126 : 0, "multiFactorAuthentication", "Browser", "none", rng)));
            }
        }

        var perHour = Options.SignInsPerHour;
        Add("interactiveUser", perHour);
        Add("nonInteractiveUser", perHour / 2);
        Add("servicePrincipal", perHour / 5);
        Add("managedIdentity", perHour / 10);

        foreach (var plant in _plants.Where(p => p.Kind == SignIns && p.At.UtcTicks / Hour.Ticks == hour))
        {
            var prng = new Random(plant.Number * 97 + Options.Seed);
            list.Add(new GraphRecord(SignIns, plant.RecordId, plant.At, Visible(plant.At, prng), "interactiveUser",
                SignIn(plant.RecordId, plant.At, "interactiveUser", plant.User, Apps[0], 0, plant.AuthRequirement, plant.ClientApp, plant.Risk, prng)));
        }

        list.Sort((a, b) => b.At != a.At ? b.At.CompareTo(a.At) : string.CompareOrdinal(b.Id, a.Id));
        return [.. list];
    }

    private DateTimeOffset Visible(DateTimeOffset at, Random rng)
    {
        var normal = at + TimeSpan.FromSeconds(30 + rng.Next(240));
        return rng.NextDouble() < Options.LateShare
            ? at + TimeSpan.FromTicks((long)((0.4 + (0.6 * rng.NextDouble())) * Options.LateArrivalMax.Ticks))
            : normal;
    }

    private static byte[] SignIn(string id, DateTimeOffset at, string type, string user, (string Id, string Name) app, int errorCode, string authRequirement, string clientApp, string risk, Random rng)
    {
        var buffer = new ArrayBufferWriter<byte>(1800);
        using (var w = new Utf8JsonWriter(buffer))
        {
            var isUser = type is "interactiveUser" or "nonInteractiveUser";
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("createdDateTime", Stamp(at));
            w.WriteString("userDisplayName", isUser ? char.ToUpperInvariant(user[0]) + user[1..] : null);
            w.WriteString("userPrincipalName", isUser ? $"{user}@contoso.com" : null);
            w.WriteString("userId", isUser ? UserId(user) : string.Empty);
            w.WriteString("appId", app.Id);
            w.WriteString("appDisplayName", app.Name);
            w.WriteString("ipAddress", string.Create(CultureInfo.InvariantCulture, $"198.51.100.{rng.Next(1, 254)}"));
            w.WriteString("clientAppUsed", clientApp);
            w.WriteString("correlationId", NewGuid(rng).ToString());
            w.WriteString("conditionalAccessStatus", errorCode == 0 ? "success" : "failure");
            w.WriteBoolean("isInteractive", type == "interactiveUser");
            w.WriteString("riskDetail", "none");
            w.WriteString("riskLevelAggregated", risk);
            w.WriteString("riskLevelDuringSignIn", risk);
            w.WriteString("riskState", risk == "none" ? "none" : "atRisk");
            w.WriteStartArray("riskEventTypes_v2");
            if (risk != "none")
            {
                w.WriteStringValue("unfamiliarFeatures");
            }

            w.WriteEndArray();
            w.WriteString("resourceDisplayName", "Microsoft Graph");
            w.WriteString("resourceId", "00000003-0000-0000-c000-000000000000");
            w.WriteString("authenticationRequirement", authRequirement);
            w.WriteStartArray("signInEventTypes");
            w.WriteStringValue(type);
            w.WriteEndArray();
            if (!isUser)
            {
                w.WriteString("servicePrincipalId", UserId(app.Name));
                w.WriteString("servicePrincipalName", app.Name);
            }

            w.WriteStartObject("status");
            w.WriteNumber("errorCode", errorCode);
            w.WriteString("failureReason", errorCode == 0 ? null : "Invalid username or password or Invalid on-premise username or password.");
            w.WriteString("additionalDetails", errorCode == 0 ? null : "The user didn't enter the right credentials.");
            w.WriteEndObject();
            w.WriteStartObject("deviceDetail");
            w.WriteString("deviceId", string.Empty);
            w.WriteNull("displayName");
            w.WriteString("operatingSystem", rng.Next(2) == 0 ? "Windows 11" : "MacOs");
            w.WriteString("browser", "Edge 131.0.0");
            w.WriteNull("isCompliant");
            w.WriteNull("isManaged");
            w.WriteNull("trustType");
            w.WriteEndObject();
            w.WriteStartObject("location");
            w.WriteString("city", "Redmond");
            w.WriteString("state", "Washington");
            w.WriteString("countryOrRegion", "US");
            w.WriteStartObject("geoCoordinates");
            w.WriteNull("altitude");
            w.WriteNumber("latitude", 47.68);
            w.WriteNumber("longitude", -122.12);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartArray("appliedConditionalAccessPolicies");
            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private GraphRecord[] MakeAudits(long hour)
    {
        var start = new DateTimeOffset(hour * Hour.Ticks, TimeSpan.Zero);
        var rng = new Random(unchecked((Options.Seed * 131_071) + (int)(hour % 1_000_000_007)));
        var list = new List<GraphRecord>();
        for (var i = 0; i < Options.DirectoryAuditsPerHour; i++)
        {
            var at = start + TimeSpan.FromTicks((long)(rng.NextDouble() * Hour.Ticks));
            var id = $"Directory_{NewGuid(rng)}";
            var x = rng.NextDouble();
            var (activity, category, target, props) = x switch
            {
                < 0.45 => ("Update user", "UserManagement", Users[rng.Next(Users.Length)], ("StrongAuthenticationMethod", "[]", "[{\"MethodType\":6}]")),
                < 0.80 => ("Add member to group", "GroupManagement", Users[rng.Next(Users.Length)], ("Group.DisplayName", (string?)null, "\"Engineering\"")),
                < 0.93 => ("Update application", "ApplicationManagement", "payments-api", ("AppAddress", "[]", "[]")),
                _ => ("Add user", "UserManagement", $"newhire{hour % 1000}{i}", ("AccountEnabled", null, "[true]")),
            };
            list.Add(new GraphRecord(DirectoryAudits, id, at, at + TimeSpan.FromSeconds(20 + rng.Next(120)), category,
                Audit(id, at, activity, category, "it-admin", target, props, rng)));
        }

        foreach (var plant in _plants.Where(p => p.Kind == DirectoryAudits && p.At.UtcTicks / Hour.Ticks == hour))
        {
            var prng = new Random(plant.Number * 89 + Options.Seed);
            list.Add(new GraphRecord(DirectoryAudits, plant.RecordId, plant.At, plant.At + TimeSpan.FromSeconds(45), plant.Category!,
                Audit(plant.RecordId, plant.At, plant.Activity!, plant.Category!, plant.User, plant.Target!, plant.Property!.Value, prng)));
        }

        list.Sort((a, b) => b.At != a.At ? b.At.CompareTo(a.At) : string.CompareOrdinal(b.Id, a.Id));
        return [.. list];
    }

    private static byte[] Audit(string id, DateTimeOffset at, string activity, string category, string actor, string target, (string Name, string? Old, string? New) property, Random rng)
    {
        var buffer = new ArrayBufferWriter<byte>(1400);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("category", category);
            w.WriteString("correlationId", NewGuid(rng).ToString());
            w.WriteString("result", "success");
            w.WriteString("resultReason", string.Empty);
            w.WriteString("activityDisplayName", activity);
            w.WriteString("activityDateTime", Stamp(at));
            w.WriteString("loggedByService", category == "RoleManagement" ? "PIM" : category == "UserManagement" && activity == "Invite external user" ? "Invited Users" : "Core Directory");
            w.WriteString("operationType", activity.StartsWith("Add", StringComparison.Ordinal) || activity.StartsWith("Invite", StringComparison.Ordinal) ? "Add" : activity.StartsWith("Delete", StringComparison.Ordinal) ? "Delete" : "Update");
            w.WriteStartObject("initiatedBy");
            w.WriteStartObject("user");
            w.WriteString("id", UserId(actor));
            w.WriteString("displayName", actor);
            w.WriteString("userPrincipalName", $"{actor}@contoso.com");
            w.WriteString("ipAddress", "198.51.100.7");
            w.WriteEndObject();
            w.WriteNull("app");
            w.WriteEndObject();
            w.WriteStartArray("targetResources");
            if (category == "RoleManagement")
            {
                w.WriteStartObject();
                w.WriteString("id", UserId(target));
                w.WriteString("displayName", target);
                w.WriteString("type", "User");
                w.WriteString("userPrincipalName", $"{target}@contoso.com");
                w.WriteStartArray("modifiedProperties");
                w.WriteStartObject();
                w.WriteString("displayName", "Role.DisplayName");
                w.WriteNull("oldValue");
                w.WriteString("newValue", property.New);
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteStartObject();
                w.WriteString("id", "62e90394-69f5-4237-9190-012177145e10");
                w.WriteString("displayName", property.New?.Trim('"'));
                w.WriteString("type", "Role");
                w.WriteStartArray("modifiedProperties");
                w.WriteEndArray();
                w.WriteEndObject();
            }
            else
            {
                w.WriteStartObject();
                w.WriteString("id", UserId(target));
                w.WriteString("displayName", target);
                w.WriteString("type", category == "ApplicationManagement" ? "Application" : "User");
                w.WriteString("userPrincipalName", category == "ApplicationManagement" ? null : target.Contains('@', StringComparison.Ordinal) ? target : $"{target}@contoso.com");
                w.WriteStartArray("modifiedProperties");
                w.WriteStartObject();
                w.WriteString("displayName", property.Name);
                w.WriteString("oldValue", property.Old);
                w.WriteString("newValue", property.New);
                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("additionalDetails");
            w.WriteEndArray();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static string UserId(string name) => new Guid(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(name))).ToString();

    private static Guid NewGuid(Random rng)
    {
        Span<byte> bytes = stackalloc byte[16];
        rng.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }

    private sealed record Plant(int Number, string Kind, DateTimeOffset At, string User, string[] Checks, string Description)
    {
        public string Id => string.Create(CultureInfo.InvariantCulture, $"G{Number}");

        public string RecordId => Kind == SignIns
            ? new Guid(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes($"plant-{Number}"))).ToString()
            : $"Directory_{new Guid(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes($"plant-{Number}")))}";

        public string AuthRequirement { get; init; } = "multiFactorAuthentication";

        public string ClientApp { get; init; } = "Browser";

        public string Risk { get; init; } = "none";

        public string? Activity { get; init; }

        public string? Category { get; init; }

        public string? Target { get; init; }

        public (string Name, string? Old, string? New)? Property { get; init; }
    }

    private static IEnumerable<Plant> Plants(GraphScenarioOptions o)
    {
        DateTimeOffset T(int day, string time) => o.DataStart.AddDays(day) + TimeSpan.Parse(time, CultureInfo.InvariantCulture);
        const string SingleFactor = "single-factor-sign-in", Legacy = "legacy-authentication", Risky = "high-risk-sign-in",
            PrivilegedRole = "privileged-role-assignment", UserLifecycle = "user-lifecycle", GuestInvite = "guest-invitation";
        var plants = new[]
        {
            new Plant(1, SignIns, T(0, "09:12:30"), "dave", [SingleFactor], "A user signed in with a password only") { AuthRequirement = "singleFactorAuthentication" },
            new Plant(2, SignIns, T(1, "22:47:05"), "erin", [SingleFactor, Legacy], "A user signed in over IMAP with a password") { AuthRequirement = "singleFactorAuthentication", ClientApp = "IMAP4" },
            new Plant(3, SignIns, T(2, "03:03:03"), "frank", [Risky], "A high-risk sign-in succeeded") { Risk = "high" },
            new Plant(4, SignIns, T(3, "14:20:00"), "grace", [Legacy], "Exchange ActiveSync sign-in") { ClientApp = "Exchange ActiveSync" },
            new Plant(5, DirectoryAudits, T(1, "10:05:00"), "it-admin", [PrivilegedRole], "Global Administrator granted")
                { Activity = "Add member to role", Category = "RoleManagement", Target = "heidi", Property = ("Role.DisplayName", null, "\"Global Administrator\"") },
            new Plant(6, DirectoryAudits, T(2, "16:40:00"), "it-admin", [UserLifecycle], "A leaver's account disabled")
                { Activity = "Disable account", Category = "UserManagement", Target = "ivan", Property = ("AccountEnabled", "[true]", "[false]") },
            new Plant(7, DirectoryAudits, T(4, "11:11:11"), "it-admin", [UserLifecycle], "A user deleted")
                { Activity = "Delete user", Category = "UserManagement", Target = "judy", Property = ("AccountEnabled", "[false]", null) },
            new Plant(8, DirectoryAudits, T(5, "08:30:00"), "bob", [GuestInvite], "A guest invited")
                { Activity = "Invite external user", Category = "UserManagement", Target = "partner_fabrikam.com#EXT#@contoso.onmicrosoft.com", Property = ("Email", null, "\"partner@fabrikam.com\"") },
            new Plant(9, DirectoryAudits, T(6, "19:00:00"), "it-admin", [], "A non-privileged role assigned (not a finding)")
                { Activity = "Add member to role", Category = "RoleManagement", Target = "carol", Property = ("Role.DisplayName", null, "\"Reports Reader\"") },
        };
        return plants.Where(p => p.At < o.DataStart.AddDays(o.Days));
    }
}
