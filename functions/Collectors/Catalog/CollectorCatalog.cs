using System.Reflection;
using System.Text.Json;
using System.Xml;

namespace Collectors.Catalog;

/// <summary>A collector's metadata, from its collector.json.</summary>
public sealed record CollectorDescriptor(
    string Id,
    string Title,
    IReadOnlyList<string> Criteria,
    string Trigger,
    string? ScheduleSetting,
    string? QueueSetting,
    TimeSpan? Window,
    TimeSpan? Lag,
    TimeSpan Freshness,
    IReadOnlyList<string> Permissions);

public sealed record Criterion(string Id, string Name, string Category);

/// <summary>
/// Every collector's collector.json (embedded at build time, so adding a collector folder adds it here
/// with no other change) and the full SOC 2 criteria list, so coverage is reported honestly.
/// </summary>
public sealed class CollectorCatalog
{
    private CollectorCatalog(IReadOnlyList<CollectorDescriptor> collectors, IReadOnlyList<Criterion> criteria)
    {
        Collectors = collectors;
        Criteria = criteria;
    }

    public static CollectorCatalog Default { get; } = Load();

    /// <summary>A catalog of chosen collectors (tests); the criteria list is always the full one.</summary>
    internal static CollectorCatalog Of(params string[] collectorIds) =>
        new([.. Default.Collectors.Where(c => collectorIds.Contains(c.Id))], Default.Criteria);

    public IReadOnlyList<CollectorDescriptor> Collectors { get; }

    public IReadOnlyList<Criterion> Criteria { get; }

    public CollectorDescriptor? Find(string id) => Collectors.FirstOrDefault(c => c.Id == id);

    private static CollectorCatalog Load()
    {
        var assembly = typeof(CollectorCatalog).Assembly;
        var collectors = new List<CollectorDescriptor>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("collector:", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var document = JsonDocument.Parse(stream);
            var root = document.RootElement;
            collectors.Add(new CollectorDescriptor(
                root.GetProperty("id").GetString()!,
                root.GetProperty("title").GetString()!,
                [.. root.GetProperty("criteria").EnumerateArray().Select(c => c.GetString()!)],
                root.GetProperty("trigger").GetString()!,
                Text(root, "scheduleSetting"),
                Text(root, "queueSetting"),
                Duration(root, "window"),
                Duration(root, "lag"),
                Duration(root, "freshness") ?? TimeSpan.FromDays(1),
                root.TryGetProperty("permissions", out var p) ? [.. p.EnumerateArray().Select(x => $"{x.GetProperty("role").GetString()} ({x.GetProperty("scope").GetString()})")] : []));
        }

        using var criteriaStream = assembly.GetManifestResourceStream("soc2-criteria.json")!;
        using var criteriaDocument = JsonDocument.Parse(criteriaStream);
        var criteria = new List<Criterion>();
        foreach (var category in criteriaDocument.RootElement.GetProperty("categories").EnumerateArray())
        {
            foreach (var criterion in category.GetProperty("criteria").EnumerateArray())
            {
                criteria.Add(new Criterion(criterion.GetProperty("id").GetString()!, criterion.GetProperty("name").GetString()!, category.GetProperty("name").GetString()!));
            }
        }

        return new CollectorCatalog(collectors, criteria);
    }

    private static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static TimeSpan? Duration(JsonElement e, string name) => Text(e, name) is { } text ? XmlConvert.ToTimeSpan(text) : null;
}
