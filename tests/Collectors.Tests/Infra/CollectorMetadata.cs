using System.Text.Json.Nodes;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.Infra;

/// <summary>One functions/Collectors/&lt;Folder&gt;/collector.json (at any depth: Entra/SignIns), read from the source tree.</summary>
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
        var all = Directory.EnumerateFiles(root, "collector.json", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(path => new CollectorMetadata(
                Path.GetRelativePath(root, Path.GetDirectoryName(path)!).Replace(Path.DirectorySeparatorChar, '/'),
                JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new InvalidOperationException($"{path} is empty.")))
            .OrderBy(c => c.Folder, StringComparer.Ordinal)
            .ToList();
        Assert.IsNotEmpty(all, $"no collector.json under {root}");
        return all;
    }
}
