using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Collectors.Tests.Infra;

[TestClass]
public sealed partial class SecretsTemplateTests
{
    [TestMethod]
    public void TheTemplateNeverReadsAKeyOrMintsASas()
    {
        var compiled = Deployments.Template.Root.ToJsonString();

        // listKeys, listAccountSas, listServiceSas, listConnectionStrings, list(...) and every other list* call.
        var calls = ListFunctionCall().Matches(compiled).Select(m => m.Value).Distinct().ToList();
        Assert.IsEmpty(calls, string.Join(", ", calls));
        Assert.DoesNotContain("AccountKey=", compiled, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("SharedAccessSignature", compiled, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("InstrumentationKey=", compiled, StringComparison.OrdinalIgnoreCase);
    }

    [TestMethod]
    public void NoAppSettingCarriesAKeyOrAStorageConnectionString()
    {
        foreach (var snapshot in Deployments.All)
        {
            foreach (var (key, value) in snapshot.AppSettings)
            {
                var text = value?.ToString() ?? string.Empty;
                Assert.DoesNotContain("AccountKey", text, StringComparison.OrdinalIgnoreCase, key);
                Assert.DoesNotContain("SharedAccessSignature", text, StringComparison.OrdinalIgnoreCase, key);
                Assert.DoesNotContain("sig=", text, StringComparison.OrdinalIgnoreCase, key);
                Assert.DoesNotContain("DefaultEndpointsProtocol", text, StringComparison.OrdinalIgnoreCase, key);
                Assert.DoesNotContain("InstrumentationKey", text, StringComparison.OrdinalIgnoreCase, key);
                Assert.IsFalse(ListFunctionCall().IsMatch(text), $"{key} calls a list* function");
                if (key.EndsWith("ConnectionString", StringComparison.OrdinalIgnoreCase) || key.EndsWith("CONNECTION_STRING", StringComparison.OrdinalIgnoreCase))
                {
                    Assert.AreEqual("APPLICATIONINSIGHTS_CONNECTION_STRING", key, "the only connection string is App Insights', which carries no secret while local auth is off");
                }
            }
        }
    }

    [TestMethod]
    public void TheApplicationInsightsConnectionStringIsUselessWithoutAnEntraToken()
    {
        var snapshot = Deployments.Defaults;
        var component = snapshot.Single("Microsoft.Insights/components");
        var settings = snapshot.AppSettings;

        Assert.IsTrue(component.Properties["DisableLocalAuth"]!.GetValue<bool>());
        Assert.StartsWith($"[reference('{component.Id}'", settings["APPLICATIONINSIGHTS_CONNECTION_STRING"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        var authentication = settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]!.GetValue<string>();
        StringAssert.Contains(authentication, "Authorization=AAD");
        StringAssert.Contains(authentication, $"reference('{snapshot.AppIdentity.Id}'");
        StringAssert.Contains(authentication, ".clientId");
        var publisher = snapshot.AssignmentsOf(snapshot.AppIdentity).Single(a => a.RoleGuid == BuiltInRoles.MonitoringMetricsPublisher);
        Assert.AreEqual(component.Id, publisher.Scope, true);
    }

    /// <summary>
    /// Outputs named like a secret that are public identifiers: the signing key's versionless URI (in the
    /// signing module and at the top). Each must be exactly a read of the key's <c>keyUri</c> or of the
    /// module output that is one; the key's public or private material is never an output.
    /// </summary>
    private static readonly Dictionary<string, string> s_publicKeyIdentifiers = new(StringComparer.Ordinal)
    {
        ["keyUri"] = "[reference(resourceId('Microsoft.KeyVault/vaults/keys', parameters('vaultName'), parameters('keyName')), '2024-11-01').keyUri]",
        ["EVIDENCE_SIGNING_KEY_ID"] = "[reference('signing').outputs.keyUri.value]",
    };

    [TestMethod]
    public void NoOutputOrParameterLooksLikeASecret()
    {
        var templates = new List<JsonObject> { Deployments.Template.Root };
        templates.AddRange(Deployments.Template.OfType("Microsoft.Resources/deployments").Select(d => d.Properties["template"]!.AsObject()));

        var identifiersSeen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var template in templates)
        {
            foreach (var (name, output) in template["outputs"]?.AsObject() ?? [])
            {
                if (s_publicKeyIdentifiers.TryGetValue(name, out var expected))
                {
                    Assert.AreEqual(expected, output?["value"]?.GetValue<string>(), $"output '{name}' must be the key's versionless URI and nothing else");
                    identifiersSeen.Add(name);
                    continue;
                }

                Assert.IsFalse(SecretName().IsMatch(name), $"output '{name}' is named like a secret");
                Assert.IsFalse(ListFunctionCall().IsMatch(output?.ToJsonString() ?? string.Empty), $"output '{name}' calls a list* function");
                Assert.AreNotEqual("securestring", output?["type"]?.GetValue<string>(), true, name);
            }
        }

        CollectionAssert.AreEquivalent(s_publicKeyIdentifiers.Keys.ToList(), identifiersSeen.ToList(), "an allowed identifier output is gone: remove it from the list");

        foreach (var (name, parameter) in Deployments.Template.Parameters)
        {
            Assert.IsFalse(SecretName().IsMatch(name), $"parameter '{name}' is named like a secret: the suite takes none");
            Assert.AreNotEqual("securestring", parameter?["type"]?.GetValue<string>(), true, name);
        }
    }

    [GeneratedRegex(@"\blist[A-Za-z]*\(", RegexOptions.IgnoreCase)]
    private static partial Regex ListFunctionCall();

    [GeneratedRegex("key|secret|password|connectionstring|sas", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();
}
