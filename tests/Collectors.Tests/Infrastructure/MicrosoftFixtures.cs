using System.Text.Json.Nodes;

namespace Collectors.Tests.Infrastructure;

/// <summary>The payload examples Microsoft published, copied into tests/fixtures/microsoft with their sources (SOURCES.md there).</summary>
internal static class MicrosoftFixtures
{
    public static string Directory { get; } = Path.Combine(RepositoryRoot.Path, "tests", "fixtures", "microsoft");

    public static byte[] Bytes(string file)
    {
        var path = Path.Combine(Directory, file);
        Assert.IsTrue(File.Exists(path), $"{path} is missing: copy the published example into tests/fixtures/microsoft and name its source in SOURCES.md.");
        return File.ReadAllBytes(path);
    }

    /// <summary>An azure-rest-api-specs example: the response body at .responses["200"].body, re-serialised compactly.</summary>
    public static byte[] ResponseBody(string file)
    {
        var root = JsonNode.Parse(Bytes(file))!;
        return System.Text.Encoding.UTF8.GetBytes(root["responses"]!["200"]!["body"]!.ToJsonString());
    }
}
