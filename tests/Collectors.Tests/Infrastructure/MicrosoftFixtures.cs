using System.Text.Json.Nodes;

namespace Collectors.Tests.Infrastructure;

/// <summary>The payload examples Microsoft published, in ../shared/fixtures/microsoft beside the repository.</summary>
internal static class MicrosoftFixtures
{
    public static string Directory { get; } = Path.GetFullPath(Path.Combine(RepositoryRoot.Path, "..", "shared", "fixtures", "microsoft"));

    public static byte[] Bytes(string file)
    {
        var path = Path.Combine(Directory, file);
        Assert.IsTrue(File.Exists(path), $"{path} is missing: the shared fixtures must sit beside the repository (../shared).");
        return File.ReadAllBytes(path);
    }

    /// <summary>An azure-rest-api-specs example: the response body at .responses["200"].body, re-serialised compactly.</summary>
    public static byte[] ResponseBody(string file)
    {
        var root = JsonNode.Parse(Bytes(file))!;
        return System.Text.Encoding.UTF8.GetBytes(root["responses"]!["200"]!["body"]!.ToJsonString());
    }
}
