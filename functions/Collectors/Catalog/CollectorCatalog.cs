using System.Reflection;
using System.Text.Json;
using System.Xml;
using Collectors.Findings;

namespace Collectors.Catalog;

/// <summary>A permission a collector needs, from its collector.json.</summary>
public sealed record PermissionDescriptor(string Scope, string Role, string Why)
{
    public override string ToString() => $"{Role} ({Scope})";
}

/// <summary>A check a collector emits findings of: its id, criterion, highest severity and what it means.</summary>
public sealed record CheckDescriptor(string Id, string Criterion, Severity Severity, string Description);

/// <summary>A windowed collector's defaults (each can be overridden in its settings section).</summary>
public sealed record WindowDefaults(TimeSpan Size, TimeSpan Lag, int MaxPerRun, TimeSpan FirstRunLookback, int? SweepHourUtc);

/// <summary>
/// A collector's metadata, from its collector.json: the single source of truth the runtime, the CLI, the
/// daily summary and the convention tests read. <see cref="Folder"/> is where the file was found.
/// </summary>
public sealed record CollectorDescriptor(
    string Id,
    string Title,
    IReadOnlyList<string> Criteria,
    string Source,
    string Kind,
    string Trigger,
    string? ScheduleSetting,
    string? DefaultSchedule,
    string? QueueSetting,
    string? DefaultQueue,
    string? SettingsSection,
    WindowDefaults? Windows,
    TimeSpan? SnapshotEvery,
    string? RecordId,
    int? RetentionDays,
    string? RetentionNote,
    TimeSpan Freshness,
    IReadOnlyList<PermissionDescriptor> Permissions,
    IReadOnlyList<CheckDescriptor> Checks,
    string Folder)
{
    /// <summary>Whether the timer spreads its streams over instances through the work queue (collector.json <c>fanOut</c>, default true).</summary>
    public bool FanOut { get; init; } = true;

    /// <summary>Why a collector does not fan out.</summary>
    public string? FanOutNote { get; init; }

    /// <summary>The record's own time: a property path, dots between levels (collector.json <c>recordTime</c>); the audit export's event time.</summary>
    public string? RecordTime { get; init; }

    public const string Windowed = "windowed";
    public const string Snapshot = "snapshot";
    public const string Events = "events";

    /// <summary>The id in PascalCase (activity-log → ActivityLog): its folder, class and settings names are built from it.</summary>
    public string PascalName => Pascal(Id);

    public CheckDescriptor? Check(string id) => Checks.FirstOrDefault(c => c.Id == id);

    public static string Pascal(string id) =>
        string.Concat(id.Split('-').Select(part => part.Length == 0 ? part : char.ToUpperInvariant(part[0]) + part[1..]));

    /// <summary>Every collector.json embedded in an assembly (resources named <c>collector:&lt;folder&gt;/</c>).</summary>
    public static IReadOnlyList<CollectorDescriptor> LoadAll(Assembly assembly) =>
        [.. assembly.GetManifestResourceNames().Where(n => n.StartsWith("collector:", StringComparison.Ordinal)).Order(StringComparer.Ordinal).Select(n => Load(assembly, n))];

    /// <summary>
    /// The collector.json of a collector type: the one in the folder its namespace names (the namespace
    /// below the assembly's, e.g. Collectors.Entra.SignIns → Entra/SignIns).
    /// </summary>
    public static CollectorDescriptor For(Type type)
    {
        var assembly = type.Assembly;
        var root = assembly.GetName().Name!;
        var ns = type.Namespace ?? string.Empty;
        var folder = ns.StartsWith(root + ".", StringComparison.Ordinal) ? ns[(root.Length + 1)..].Replace('.', '/') : ns.Replace('.', '/');
        var resource = assembly.GetManifestResourceNames().FirstOrDefault(n => n.StartsWith("collector:", StringComparison.Ordinal) && FolderOf(n) == folder)
            ?? throw new InvalidOperationException($"{type.FullName} has no collector.json: put one in its folder ({folder}/) and embed it as 'collector:%(RecursiveDir)' (see functions/Collectors/Collectors.csproj).");
        return Load(assembly, resource);
    }

    private static string FolderOf(string resource) => resource["collector:".Length..].Replace('\\', '/').TrimEnd('/');

    private static CollectorDescriptor Load(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var document = JsonDocument.Parse(stream);
        var root = document.RootElement;
        WindowDefaults? windows = null;
        if (root.TryGetProperty("windows", out var w))
        {
            windows = new WindowDefaults(
                XmlConvert.ToTimeSpan(w.GetProperty("size").GetString()!),
                XmlConvert.ToTimeSpan(w.GetProperty("lag").GetString()!),
                w.GetProperty("maxPerRun").GetInt32(),
                XmlConvert.ToTimeSpan(w.GetProperty("firstRunLookback").GetString()!),
                w.TryGetProperty("sweepHourUtc", out var sweep) ? sweep.GetInt32() : null);
        }

        return new CollectorDescriptor(
            root.GetProperty("id").GetString()!,
            root.GetProperty("title").GetString()!,
            [.. root.GetProperty("criteria").EnumerateArray().Select(c => c.GetString()!)],
            root.GetProperty("source").GetString()!,
            root.GetProperty("kind").GetString()!,
            root.GetProperty("trigger").GetString()!,
            Text(root, "scheduleSetting"),
            Text(root, "defaultSchedule"),
            Text(root, "queueSetting"),
            Text(root, "defaultQueue"),
            Text(root, "settingsSection"),
            windows,
            root.TryGetProperty("snapshot", out var snapshot) ? XmlConvert.ToTimeSpan(snapshot.GetProperty("every").GetString()!) : null,
            Text(root, "recordId"),
            root.TryGetProperty("retentionDays", out var retention) ? retention.GetInt32() : null,
            Text(root, "retentionNote"),
            Text(root, "freshness") is { } freshness ? XmlConvert.ToTimeSpan(freshness) : TimeSpan.FromDays(1),
            root.TryGetProperty("permissions", out var p) ? [.. p.EnumerateArray().Select(x => new PermissionDescriptor(x.GetProperty("scope").GetString()!, x.GetProperty("role").GetString()!, x.GetProperty("why").GetString()!))] : [],
            root.TryGetProperty("checks", out var checks)
                ? [.. checks.EnumerateArray().Select(x => new CheckDescriptor(x.GetProperty("id").GetString()!, x.GetProperty("criterion").GetString()!, Enum.Parse<Severity>(x.GetProperty("severity").GetString()!, ignoreCase: true), x.GetProperty("description").GetString()!))]
                : [],
            FolderOf(resource))
        {
            FanOut = !root.TryGetProperty("fanOut", out var fanOut) || fanOut.GetBoolean(),
            FanOutNote = Text(root, "fanOutNote"),
            RecordTime = Text(root, "recordTime"),
        };
    }

    private static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

public sealed record Criterion(string Id, string Name, string Category);

/// <summary>
/// The collectors this deployment runs (each registered with <c>AddCollector</c>, its metadata from its own
/// collector.json) and the full SOC 2 criteria list, so coverage is reported honestly.
/// </summary>
public sealed class CollectorCatalog
{
    private static readonly Lazy<IReadOnlyList<Criterion>> AllCriteria = new(LoadCriteria);

    public CollectorCatalog(IEnumerable<CollectorDescriptor> collectors)
    {
        var list = collectors.ToList();
        foreach (var duplicate in list.GroupBy(c => c.Id).Where(g => g.Count() > 1))
        {
            throw new InvalidOperationException($"Two collectors are registered as '{duplicate.Key}' ({string.Join(", ", duplicate.Select(d => d.Folder))}): a collector id names one folder.");
        }

        Collectors = [.. list.OrderBy(c => c.Id, StringComparer.Ordinal)];
        Criteria = AllCriteria.Value;
    }

    /// <summary>Every collector of this library (the ones <c>AddCollectors</c> registers).</summary>
    public static CollectorCatalog Default { get; } = new(CollectorDescriptor.LoadAll(typeof(CollectorCatalog).Assembly));

    /// <summary>A catalog of chosen collectors of this library (tests); the criteria list is always the full one.</summary>
    internal static CollectorCatalog Of(params string[] collectorIds) =>
        new(Default.Collectors.Where(c => collectorIds.Contains(c.Id)));

    public IReadOnlyList<CollectorDescriptor> Collectors { get; }

    public IReadOnlyList<Criterion> Criteria { get; }

    public CollectorDescriptor? Find(string id) => Collectors.FirstOrDefault(c => c.Id == id);

    private static IReadOnlyList<Criterion> LoadCriteria()
    {
        using var criteriaStream = typeof(CollectorCatalog).Assembly.GetManifestResourceStream("soc2-criteria.json")!;
        using var criteriaDocument = JsonDocument.Parse(criteriaStream);
        var criteria = new List<Criterion>();
        foreach (var category in criteriaDocument.RootElement.GetProperty("categories").EnumerateArray())
        {
            foreach (var criterion in category.GetProperty("criteria").EnumerateArray())
            {
                criteria.Add(new Criterion(criterion.GetProperty("id").GetString()!, criterion.GetProperty("name").GetString()!, category.GetProperty("name").GetString()!));
            }
        }

        return criteria;
    }
}
