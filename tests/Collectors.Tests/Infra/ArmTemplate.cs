using System.Text.Json.Nodes;

namespace Collectors.Tests.Infra;

/// <summary>One resource declared somewhere in a compiled template, and the module path to it.</summary>
internal sealed record DeclaredResource(string Type, JsonObject Body, string ModulePath)
{
    public bool IsExisting => Body["existing"]?.GetValue<bool>() == true;

    public JsonObject Properties => Body["properties"]?.AsObject() ?? [];
}

/// <summary>
/// A compiled ARM template. Bicep modules compile to nested <c>Microsoft.Resources/deployments</c>
/// whose <c>properties.template</c> is a whole template again; <see cref="Resources"/> walks them all.
/// Templates with languageVersion 2.0 keep resources in an object keyed by symbolic name.
/// </summary>
internal sealed class ArmTemplate(JsonObject root)
{
    public JsonObject Root { get; } = root;

    public IReadOnlyList<DeclaredResource> Resources { get; } = Walk(root, "main").ToList();

    public IEnumerable<DeclaredResource> OfType(string type) =>
        Resources.Where(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase));

    public JsonObject Parameters => Root["parameters"]?.AsObject() ?? [];

    private static IEnumerable<DeclaredResource> Walk(JsonObject template, string path)
    {
        var resources = template["resources"] switch
        {
            JsonArray array => array.OfType<JsonObject>(),
            JsonObject symbolic => symbolic.Select(pair => pair.Value).OfType<JsonObject>(),
            _ => [],
        };
        foreach (var resource in resources)
        {
            var type = resource["type"]?.GetValue<string>() ?? string.Empty;
            yield return new DeclaredResource(type, resource, path);
            if (type == "Microsoft.Resources/deployments" && resource["properties"]?["template"] is JsonObject nested)
            {
                var name = resource["name"]?.ToString() ?? "?";
                foreach (var inner in Walk(nested, path + "/" + name))
                {
                    yield return inner;
                }
            }
        }
    }
}
