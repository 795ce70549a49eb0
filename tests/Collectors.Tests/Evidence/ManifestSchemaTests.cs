using System.Text.Json.Nodes;
using Collectors.Evidence;
using Collectors.Tests.Infrastructure;
using Json.Schema;

namespace Collectors.Tests.Evidence;

[TestClass]
public sealed class ManifestSchemaTests
{
    private static readonly Dictionary<string, JsonSchema> s_schemas = [];

    // A schema registers its $id globally when parsed, so each file is parsed once per test run.
    internal static JsonSchema Load(string file)
    {
        lock (s_schemas)
        {
            if (!s_schemas.TryGetValue(file, out var schema))
            {
                s_schemas[file] = schema = JsonSchema.FromText(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "schemas", file)));
            }

            return schema;
        }
    }

    private static EvaluationResults Evaluate(JsonSchema schema, string json) =>
        schema.Evaluate(System.Text.Json.JsonDocument.Parse(json).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });

    private static string Errors(EvaluationResults results) =>
        string.Join("; ", (results.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));

    [TestMethod]
    public async Task EveryManifestTheWriterProducesMatchesTheSchema()
    {
        var schema = Load("collectors.evidence.v1.schema.json");
        await using var store = TestStore.Create();
        for (var i = 0; i < 3; i++)
        {
            await store.Writer.CommitWindowAsync(Records.Batch(Records.Window(i)), Records.Source(Records.Synthetic(i * 10)), CancellationToken.None);
        }

        foreach (var name in await store.ListAsync(EvidencePaths.ManifestSuffix))
        {
            var json = (await store.Evidence.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToString();
            var results = Evaluate(schema, json);
            Assert.IsTrue(results.IsValid, $"{name}: {Errors(results)}");
        }
    }

    [TestMethod]
    public async Task ErrorRecordsMatchTheirSchema()
    {
        var schema = Load("collectors.error.v1.schema.json");
        await using var store = TestStore.Create();
        var failed = await store.Writer.CommitWindowAsync(Records.Batch(Records.Window(0)), Records.Source(Records.Synthetic(2), complete: false), CancellationToken.None);

        var json = (await store.Evidence.GetBlobClient(failed.ErrorRecord).DownloadContentAsync()).Value.Content.ToString();
        var results = Evaluate(schema, json);

        Assert.IsTrue(results.IsValid, Errors(results));
    }

    [TestMethod]
    public void TheSchemaRejectsAManifestMissingItsChainOrClaimingAnIncompleteSource()
    {
        var schema = Load("collectors.evidence.v1.schema.json");
        var valid = new JsonObject
        {
            ["schema"] = "collectors.evidence/v1",
            ["kind"] = "window",
            ["name"] = "activity-log/sub-1/2026/11/25/20261125T000000Z_20261125T001500Z.manifest.json",
            ["collector"] = "activity-log",
            ["criteria"] = new JsonArray("CC8.1"),
            ["stream"] = "activity-log/sub-1",
            ["scope"] = "sub-1",
            ["sequence"] = 0,
            ["window"] = new JsonObject { ["start"] = "2026-11-25T00:00:00Z", ["end"] = "2026-11-25T00:15:00Z" },
            ["source"] = new JsonObject { ["requests"] = new JsonArray(), ["pages"] = 1, ["complete"] = true, ["note"] = null },
            ["content"] = new JsonObject
            {
                ["blob"] = "a.ndjson.gz", ["versionId"] = null, ["records"] = 0, ["bytes"] = 20, ["sha256"] = new string('a', 64),
                ["uncompressedBytes"] = 0, ["uncompressedSha256"] = new string('b', 64), ["format"] = "ndjson+gzip",
            },
            ["previous"] = null,
            ["collectedAt"] = new JsonObject { ["start"] = "2026-11-25T00:35:00Z", ["end"] = "2026-11-25T00:35:01.5Z" },
            ["collectorVersion"] = "0.1.0+abc",
            ["identity"] = new JsonObject { ["credential"] = "SharedKey", ["objectId"] = null, ["appId"] = null, ["tenantId"] = null, ["description"] = null },
            ["immutability"] = new JsonObject { ["enforced"] = false, ["legalHold"] = false, ["policyUntil"] = null, ["policyMode"] = null, ["note"] = "not enforced: emulator" },
            ["runId"] = "20261125T003500000Z-0123abcd",
        };
        Assert.IsTrue(Evaluate(schema, valid.ToJsonString()).IsValid, Errors(Evaluate(schema, valid.ToJsonString())));

        var noPrevious = (JsonObject)valid.DeepClone();
        noPrevious.Remove("previous");
        var incomplete = (JsonObject)valid.DeepClone();
        incomplete["source"]!["complete"] = false;
        var silent = (JsonObject)valid.DeepClone();
        silent["immutability"]!["note"] = null;
        var localTime = (JsonObject)valid.DeepClone();
        localTime["window"]!["start"] = "2026-11-25T01:00:00+01:00";

        var noName = (JsonObject)valid.DeepClone();
        noName.Remove("name");
        var signed = (JsonObject)valid.DeepClone();
        signed["signature"] = new JsonObject { ["alg"] = "ES256", ["kid"] = "local:x", ["thumbprint"] = new string('A', 43), ["value"] = "abc" };
        Assert.IsTrue(Evaluate(schema, signed.ToJsonString()).IsValid, Errors(Evaluate(schema, signed.ToJsonString())));
        var otherAlgorithm = (JsonObject)signed.DeepClone();
        otherAlgorithm["signature"]!["alg"] = "RS256";

        foreach (var bad in new[] { noPrevious, incomplete, silent, localTime, noName, otherAlgorithm })
        {
            Assert.IsFalse(Evaluate(schema, bad.ToJsonString()).IsValid, bad.ToJsonString());
        }
    }
}
