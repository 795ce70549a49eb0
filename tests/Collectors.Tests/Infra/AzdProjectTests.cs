using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.Infra;

[TestClass]
public sealed partial class AzdProjectTests
{
    /// <summary>Parameters azd fills from its own environment, with no default of ours.</summary>
    private static readonly string[] s_azdProvided = ["environmentName", "location", "principalId"];

    [TestMethod]
    public void AzureYamlDeploysTheFunctionsProjectWithTheBicepAndBothHooks()
    {
        var yaml = SimpleYaml.Read(File.ReadAllLines(Path.Combine(RepositoryRoot.Path, "azure.yaml")));

        Assert.AreEqual("collectors", yaml["name"]);
        Assert.AreEqual("bicep", yaml["infra.provider"]);
        Assert.AreEqual("infra/bicep", yaml["infra.path"]);
        Assert.AreEqual("function", yaml["services.collectors.host"]);
        Assert.AreEqual("dotnet", yaml["services.collectors.language"]);
        Assert.AreEqual("./functions/Collectors.Functions", yaml["services.collectors.project"]);
        Assert.IsTrue(File.Exists(Path.Combine(RepositoryRoot.Path, yaml["services.collectors.project"], "Collectors.Functions.csproj")));
        Assert.IsTrue(File.Exists(Path.Combine(RepositoryRoot.Path, yaml["infra.path"], "main.bicep")));
        foreach (var (platform, script) in new[] { ("posix", "infra/hooks/postprovision.sh"), ("windows", "infra/hooks/postprovision.ps1") })
        {
            Assert.AreEqual(script, yaml[$"hooks.postprovision.{platform}.run"]);
            Assert.IsTrue(File.Exists(Path.Combine(RepositoryRoot.Path, script)), script);
        }
    }

    [TestMethod]
    public void TheParametersFileNamesOnlyTemplateParametersAndCanSetEachOfThem()
    {
        var template = Deployments.Template.Parameters;
        var file = ParametersFile();

        foreach (var name in file.Keys)
        {
            Assert.IsTrue(template.ContainsKey(name), $"main.parameters.json sets '{name}', which main.bicep does not declare");
        }

        foreach (var (name, parameter) in template)
        {
            if (name == "tags")
            {
                continue;
            }

            Assert.IsTrue(file.ContainsKey(name), $"main.bicep parameter '{name}' cannot be set from the azd environment: add it to main.parameters.json");
            if (parameter!["defaultValue"] is null)
            {
                CollectionAssert.Contains(s_azdProvided, name, $"'{name}' has no default; only azd's own values may be required");
            }
        }
    }

    [TestMethod]
    public void TheParametersFileDefaultsAreTheTemplateDefaults()
    {
        var template = Deployments.Template.Parameters;

        foreach (var (name, value) in ParametersFile())
        {
            var match = Substitution().Match(value);
            Assert.IsTrue(match.Success, $"'{name}': '{value}' is not a single ${{VARIABLE}} or ${{VARIABLE=default}}");
            if (!match.Groups["default"].Success)
            {
                CollectionAssert.Contains(s_azdProvided, name, $"'{name}' takes {value} with no default");
                continue;
            }

            var templateDefault = template[name]!["defaultValue"];
            Assert.IsNotNull(templateDefault, name);
            var expected = templateDefault.GetValueKind() == System.Text.Json.JsonValueKind.String
                ? templateDefault.GetValue<string>()
                : templateDefault.ToJsonString();
            Assert.AreEqual(expected, match.Groups["default"].Value, $"'{name}': the azd default differs from main.bicep's");
        }
    }

    private static Dictionary<string, string> ParametersFile()
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "infra", "bicep", "main.parameters.json")))!;
        return json["parameters"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!["value"]!.GetValue<string>());
    }

    [GeneratedRegex(@"^\$\{(?<name>[A-Z_][A-Z0-9_]*)(=(?<default>[^}]*))?\}$")]
    private static partial Regex Substitution();

    /// <summary>Just enough YAML for azure.yaml: nested maps of scalars, read into dotted paths.</summary>
    private static class SimpleYaml
    {
        public static Dictionary<string, string> Read(IEnumerable<string> lines)
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            var path = new List<(int Indent, string Key)>();
            foreach (var raw in lines)
            {
                var line = raw.TrimEnd();
                if (line.TrimStart().StartsWith('#') || line.Trim().Length == 0)
                {
                    continue;
                }

                var indent = line.Length - line.TrimStart().Length;
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                Assert.IsGreaterThan(0, colon, $"not a 'key: value' line: {line}");
                var key = line[indent..colon].Trim();
                var value = line[(colon + 1)..].Trim();
                path.RemoveAll(p => p.Indent >= indent);
                path.Add((indent, key));
                if (value.Length > 0)
                {
                    values[string.Join('.', path.Select(p => p.Key))] = value.Trim('"', '\'');
                }
            }

            return values;
        }
    }
}
