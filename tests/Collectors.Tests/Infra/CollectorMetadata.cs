using System.Text.Json.Nodes;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.Infra;

/// <summary>One functions/Collectors/&lt;Name&gt;/collector.json.</summary>
internal sealed record CollectorMetadata(string Folder, JsonObject Json)
{
    public string Id => Json["id"]?.GetValue<string>() ?? Folder;

    public string? ScheduleSetting => Json["scheduleSetting"]?.GetValue<string>();

    public string? DefaultSchedule => Json["defaultSchedule"]?.GetValue<string>();

    public string? QueueSetting => Json["queueSetting"]?.GetValue<string>();

    public string? DefaultQueue => Json["defaultQueue"]?.GetValue<string>();

    public IEnumerable<(string Scope, string Role)> Permissions =>
        (Json["permissions"]?.AsArray() ?? [])
            .OfType<JsonObject>()
            .Select(p => (p["scope"]?.GetValue<string>() ?? string.Empty, p["role"]?.GetValue<string>() ?? string.Empty));

    public static IReadOnlyList<CollectorMetadata> All()
    {
        var root = Path.Combine(RepositoryRoot.Path, "functions", "Collectors");
        var all = Directory.GetDirectories(root)
            .Select(folder => Path.Combine(folder, "collector.json"))
            .Where(File.Exists)
            .Select(path => new CollectorMetadata(
                Path.GetFileName(Path.GetDirectoryName(path)!),
                JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new InvalidOperationException($"{path} is empty.")))
            .OrderBy(c => c.Folder, StringComparer.Ordinal)
            .ToList();
        Assert.IsNotEmpty(all, $"no collector.json under {root}");
        return all;
    }
}
