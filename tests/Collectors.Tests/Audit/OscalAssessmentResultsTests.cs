using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Collectors.Cli.Audit;
using Collectors.Tests.Infrastructure;
using Json.Schema;

namespace Collectors.Tests.Audit;

/// <summary>
/// The export's OSCAL assessment-results document, held to NIST's OSCAL 1.0.6 JSON schema (schemas/oscal/, copied to
/// the output directory), and to what an auditor follows in it: statuses → finding states, evidence hrefs → back-matter
/// resources carrying the manifests' SHA-256, and the same input → the same bytes. The schema is loaded once for the
/// whole test run (<see cref="OscalSchema"/>: JsonSchema.FromFile of Schemas/oscal/…; JsonSchema.Net registers its $id
/// globally, so a second load would fail).
/// </summary>
[TestClass]
public sealed class OscalAssessmentResultsTests
{
    private static readonly DateOnly Day1 = new(2026, 11, 1);
    private static readonly DateOnly Day2 = new(2026, 11, 2);

    private static DateTimeOffset At(DateOnly day, int hour) => new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddHours(hour);

    private static string Sha(string seed) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(seed)));

    private static OscalManifest Manifest(string stream, DateTimeOffset start, DateTimeOffset end, long records, bool withManifestHash = true)
    {
        var stem = $"{stream}/{start.UtcDateTime:yyyy/MM/dd}/{start.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}_{end.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}";
        return new OscalManifest(
            stem + ".manifest.json",
            stream,
            start,
            end,
            records,
            stem + ".ndjson.gz",
            Sha(stem + "/gz"),
            Sha(stem + "/raw"),
            withManifestHash ? Sha(stem + "/manifest") : null);
    }

    private static readonly OscalManifest SigninsDay1 = Manifest("entra-signins", At(Day1, 0), At(Day1, 23), 120);
    private static readonly OscalManifest SigninsAcrossMidnight = Manifest("entra-signins", At(Day1, 23), At(Day2, 1), 7, withManifestHash: false);
    private static readonly OscalManifest SigninsDay2 = Manifest("entra-signins", At(Day2, 1), At(Day2, 24), 98);
    private static readonly OscalManifest DefenderDay1 = Manifest("defender-findings", At(Day1, 0), At(Day1, 24), 3);
    private static readonly OscalManifest DefenderDay2 = Manifest("defender-findings", At(Day2, 0), At(Day2, 24), 0);
    private static readonly OscalManifest SummaryDay1 = Manifest("summaries", At(Day1, 0), At(Day1, 24), 1);
    private static readonly OscalManifest SummaryDay2 = Manifest("summaries", At(Day2, 0), At(Day2, 24), 1);

    private static OscalInput Input()
    {
        OscalCriterion Pass(string stream) => new("CC6.1", "Logical access security", "PASS", [], [stream], []);
        OscalCriterion NotCovered() => new("CC1.1", "Integrity and ethical values", "NOT COVERED", ["  No collector covers this criterion.  "], [], []);
        var finding = new OscalFinding("defender.high-severity-alert", "High-severity alert open", "High", "/subscriptions/s1/alerts/a1", "defender-findings", DefenderDay1.Name, "rec-0042");
        return new OscalInput(
            "  SOC 2 evidence 2026-11-01 to 2026-11-02 ",
            new DateTimeOffset(2026, 11, 3, 6, 15, 30, TimeSpan.Zero),
            Day1,
            Day2,
            "https://evidence.blob.core.windows.net/evidence",
            "0.1.0+abcdef123456",
            [
                new OscalDay(Day1, SummaryDay1.Name,
                [
                    Pass("entra-signins"),
                    new OscalCriterion("CC7.2", "System monitoring", "FAIL", ["1 finding(s): defender.high-severity-alert × 1\n(line two)"], ["defender-findings"], [finding]),
                    NotCovered(),
                ]),
                new OscalDay(Day2, SummaryDay2.Name,
                [
                    Pass("entra-signins"),
                    new OscalCriterion("CC7.2", "System monitoring", "PASS", [], ["defender-findings"], []),
                    NotCovered(),
                ]),
            ],
            [SigninsDay1, SigninsAcrossMidnight, SigninsDay2, DefenderDay1, DefenderDay2, SummaryDay1, SummaryDay2]);
    }

    private static EvaluationResults Validate(byte[] json)
    {
        using var document = JsonDocument.Parse(json);
        return OscalSchema.Value.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
    }

    private static EvaluationResults Validate(JsonNode node) => Validate(Encoding.UTF8.GetBytes(node.ToJsonString()));

    /// <summary>
    /// The errors, without those of anyOf branches that did not matter: a branch's errors count only when the
    /// subschema holding the anyOf failed too (OSCAL's "token or one of these values" fails its enum branch on every
    /// custom name).
    /// </summary>
    private static string Errors(EvaluationResults result)
    {
        var details = result.Details ?? [];
        var invalid = details.Where(d => !d.IsValid).Select(d => $"{d.InstanceLocation}|{d.EvaluationPath}").ToHashSet(StringComparer.Ordinal);
        bool Masked(EvaluationResults d)
        {
            var path = d.EvaluationPath.ToString();
            for (var i = path.IndexOf("/anyOf/", StringComparison.Ordinal); i >= 0; i = path.IndexOf("/anyOf/", i + 1, StringComparison.Ordinal))
            {
                if (!invalid.Contains($"{d.InstanceLocation}|{path[..i]}"))
                {
                    return true;
                }
            }

            return false;
        }

        var errors = details.Where(d => d.Errors is not null).ToList();
        var shown = errors.Where(d => !Masked(d)).ToList();
        return string.Join("\n", (shown.Count > 0 ? shown : errors).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}): {e.Value}")));
    }

    private static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => Strings(p.Value)),
        JsonArray a => a.SelectMany(Strings),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => [v.GetValue<string>()],
        _ => [],
    };

    private static JsonNode Root(byte[] json) => JsonNode.Parse(json)!["assessment-results"]!;

    private static JsonArray Array(JsonNode? node) => node?.AsArray() ?? [];

    private static JsonNode Result(JsonNode root, DateOnly day) =>
        Array(root["results"]).Single(r => (string?)r!["title"] == $"SOC 2 evidence {day:yyyy-MM-dd}")!;

    private static JsonNode Finding(JsonNode result, string criterion) =>
        Array(result["findings"]).Single(f => (string?)f!["target"]!["target-id"] == criterion.ToLowerInvariant() + "_obj")!;

    private static JsonNode Observation(JsonNode result, JsonNode finding)
    {
        var id = (string?)finding["related-observations"]![0]!["observation-uuid"];
        return Array(result["observations"]).Single(o => (string?)o!["uuid"] == id)!;
    }

    private static Dictionary<string, JsonNode> Resources(JsonNode root) =>
        Array(root["back-matter"]!["resources"]).ToDictionary(r => (string)r!["uuid"]!, r => r!);

    [TestMethod]
    public void TheDocumentIsValidAgainstNistsOscalSchema()
    {
        var json = OscalAssessmentResults.Build(Input());

        var result = Validate(json);

        Assert.IsTrue(result.IsValid, Errors(result));
        var root = Root(json);
        Assert.AreEqual("SOC 2 evidence 2026-11-01 to 2026-11-02", (string?)root["metadata"]!["title"], "trimmed");
        Assert.AreEqual("2026-11-03T06:15:30Z", (string?)root["metadata"]!["last-modified"]);
        Assert.AreEqual("0.1.0+abcdef123456", (string?)root["metadata"]!["version"]);
        Assert.AreEqual("1.0.6", (string?)root["metadata"]!["oscal-version"]);
        Assert.HasCount(2, Array(root["results"]));
        var day1 = Result(root, Day1);
        Assert.AreEqual("2026-11-01T00:00:00Z", (string?)day1["start"]);
        Assert.AreEqual("2026-11-02T00:00:00Z", (string?)day1["end"]);
        CollectionAssert.AreEqual(
            new[] { "cc6.1", "cc7.2", "cc1.1" },
            Array(day1["reviewed-controls"]!["control-selections"]![0]!["include-controls"]).Select(c => (string?)c!["control-id"]).ToArray());
        Assert.HasCount(3, Array(day1["observations"]));
        Assert.HasCount(3, Array(day1["findings"]));
        Assert.HasCount(7 + 1, Resources(root), "one resource per manifest, and the one import-ap points at");

        // .NET's '$' also matches before a final newline, so the schema's patterns (^\S(.*\S)?$, the token, the uuid)
        // would let "value\n" through: the builder trims, and this holds it to that.
        var padded = Strings(JsonNode.Parse(json)!).Where(v => v.Length == 0 || char.IsWhiteSpace(v[0]) || char.IsWhiteSpace(v[^1])).ToList();
        Assert.IsEmpty(padded, string.Join(", ", padded.Select(v => $"'{v}'")));
        Assert.IsTrue(Resources(root).ContainsKey(((string)root["import-ap"]!["href"]!)[1..]), "import-ap points at a back-matter resource");
    }

    [TestMethod]
    public void EveryUuidIsUniqueAndVersion5Shaped()
    {
        var json = Encoding.UTF8.GetString(OscalAssessmentResults.Build(Input()));

        var uuids = System.Text.RegularExpressions.Regex.Matches(json, "\"(?:uuid|observation-uuid)\": \"([^\"]+)\"")
            .Select(m => (Name: m.Value, Value: m.Groups[1].Value)).ToList();

        Assert.IsGreaterThan(10, uuids.Count);
        CollectionAssert.AllItemsAreUnique(uuids.Where(u => u.Name.StartsWith("\"uuid\"", StringComparison.Ordinal)).Select(u => u.Value).ToList());
        foreach (var (_, value) in uuids)
        {
            Assert.MatchesRegex("^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", value);
        }
    }

    [TestMethod]
    public void FindingStatesFollowTheCriteriaStatusesAndTheFailNamesItsCheckAndManifest()
    {
        var root = Root(OscalAssessmentResults.Build(Input()));
        var day1 = Result(root, Day1);

        var fail = Finding(day1, "CC7.2");
        Assert.AreEqual("not-satisfied", (string?)fail["target"]!["status"]!["state"]);
        Assert.AreEqual("fail", (string?)fail["target"]!["status"]!["reason"]);
        var description = (string)fail["description"]!;
        StringAssert.Contains(description, "defender.high-severity-alert");
        StringAssert.Contains(description, "High-severity alert open");
        StringAssert.Contains(description, DefenderDay1.Name);
        StringAssert.Contains(description, "rec-0042");
        StringAssert.Contains(description, "/subscriptions/s1/alerts/a1");
        StringAssert.Contains(description, "1 finding(s): defender.high-severity-alert × 1 (line two)", "the reason, on one line");
        CollectionAssert.Contains(Array(Observation(day1, fail)["types"]).Select(t => (string?)t).ToList(), "finding");

        var pass = Finding(day1, "CC6.1");
        Assert.AreEqual("satisfied", (string?)pass["target"]!["status"]!["state"]);
        Assert.AreEqual("pass", (string?)pass["target"]!["status"]!["reason"]);
        Assert.AreEqual("satisfied", (string?)Finding(Result(root, Day2), "CC7.2")["target"]!["status"]!["state"], "day 2: CC7.2 passed");

        var notCovered = Finding(day1, "CC1.1");
        Assert.AreEqual("not-satisfied", (string?)notCovered["target"]!["status"]!["state"], "OSCAL 1.0 has no 'not assessed': never satisfied");
        Assert.AreEqual("other", (string?)notCovered["target"]!["status"]!["reason"]);
        StringAssert.Contains((string)notCovered["target"]!["status"]!["remarks"]!, "NOT COVERED");
        Assert.AreEqual("NOT COVERED", (string?)Array(notCovered["props"]).Single(p => (string?)p!["name"] == "status")!["value"]);
    }

    [TestMethod]
    public void EveryRelevantEvidenceHrefIsABackMatterResourceCarryingTheManifestsHashes()
    {
        var input = Input();
        var root = Root(OscalAssessmentResults.Build(input));
        var resources = Resources(root);
        var manifests = input.Manifests.ToDictionary(m => m.Name);

        var hrefs = 0;
        foreach (var observation in Array(root["results"]).SelectMany(r => Array(r!["observations"])))
        {
            foreach (var evidence in Array(observation!["relevant-evidence"]))
            {
                var href = (string)evidence!["href"]!;
                Assert.StartsWith("#", href);
                Assert.IsTrue(resources.TryGetValue(href[1..], out var resource), $"{href} is no back-matter resource");
                var manifest = manifests[(string)resource["title"]!];
                var rlinks = Array(resource["rlinks"]);
                var hashes = rlinks.SelectMany(l => Array(l!["hashes"])).ToList();
                Assert.IsTrue(hashes.All(h => (string?)h!["algorithm"] == "SHA-256"));
                var values = hashes.Select(h => (string?)h!["value"]).ToList();
                CollectionAssert.Contains(values, manifest.CompressedSha256, $"{manifest.Name}: the content blob's SHA-256");
                if (manifest.ManifestSha256 is not null)
                {
                    CollectionAssert.Contains(values, manifest.ManifestSha256, $"{manifest.Name}: the manifest blob's SHA-256");
                }

                CollectionAssert.AreEqual(new[] { manifest.Name, manifest.ContentBlob }, rlinks.Select(l => (string?)l!["href"]).ToArray());
                Assert.AreEqual(manifest.UncompressedSha256, (string?)Array(resource["props"]).Single(p => (string?)p!["name"] == "uncompressed-sha256")!["value"]);
                hrefs++;
            }
        }

        Assert.IsGreaterThan(8, hrefs);

        string[] Evidence(DateOnly day, string criterion)
        {
            var result = Result(root, day);
            return Array(Observation(result, Finding(result, criterion))["relevant-evidence"])
                .Select(e => (string)resources[((string)e!["href"]!)[1..]]["title"]!).ToArray();
        }

        CollectionAssert.AreEquivalent(new[] { SigninsDay1.Name, SigninsAcrossMidnight.Name, SummaryDay1.Name }, Evidence(Day1, "CC6.1"), "the stream's manifests whose window overlaps day 1, and the summary");
        CollectionAssert.AreEquivalent(new[] { SigninsAcrossMidnight.Name, SigninsDay2.Name, SummaryDay2.Name }, Evidence(Day2, "CC6.1"));
        CollectionAssert.AreEquivalent(new[] { DefenderDay1.Name, SummaryDay1.Name }, Evidence(Day1, "CC7.2"));
        CollectionAssert.AreEquivalent(new[] { SummaryDay1.Name }, Evidence(Day1, "CC1.1"), "no stream covers it: only the summary that says so");
    }

    [TestMethod]
    public void TheSameInputGivesTheSameBytesAndAnotherManifestHashAnotherDocument()
    {
        var first = OscalAssessmentResults.Build(Input());
        var second = OscalAssessmentResults.Build(Input());

        CollectionAssert.AreEqual(first, second);

        var input = Input();
        var mutated = input with { Manifests = [.. input.Manifests.Select(m => m.Name == DefenderDay1.Name ? m with { CompressedSha256 = Sha("tampered") } : m)] };
        var third = OscalAssessmentResults.Build(mutated);

        CollectionAssert.AreNotEqual(first, third);
        StringAssert.Contains(Encoding.UTF8.GetString(third), Sha("tampered"));
        Assert.DoesNotContain(DefenderDay1.CompressedSha256, Encoding.UTF8.GetString(third));
        Assert.IsTrue(Validate(third).IsValid);
    }

    [TestMethod]
    public void TheSchemaIsReallyApplied()
    {
        var json = OscalAssessmentResults.Build(Input());
        var unchanged = Validate(JsonNode.Parse(json)!);
        Assert.IsTrue(unchanged.IsValid, Errors(unchanged));

        void Rejected(string what, Action<JsonNode> mutate)
        {
            var node = JsonNode.Parse(json)!;
            mutate(node["assessment-results"]!);
            var result = Validate(node);
            Assert.IsFalse(result.IsValid, $"the schema accepted a document with {what}");
        }

        Rejected("no metadata", d => d.AsObject().Remove("metadata"));
        Rejected("no import-ap", d => d.AsObject().Remove("import-ap"));
        Rejected("an unknown member", d => d["metadata"]!["colour"] = "blue");
        Rejected("a state OSCAL does not define", d => d["results"]![0]!["findings"]![0]!["target"]!["status"]!["state"] = "not-assessed");
        Rejected("a control-id that is no token (\\p{L} pattern)", d => d["results"]![0]!["reviewed-controls"]!["control-selections"]![0]!["include-controls"]![0]!["control-id"] = "6.1");
        Rejected("a version-1 uuid", d => d["uuid"] = "c232ab00-9414-11ec-b3c8-9f6bdeced846");
        Rejected("a timestamp without a zone", d => d["metadata"]!["last-modified"] = "2026-11-03T06:15:30");
        Rejected("a padded prop value", d => d["metadata"]!["props"]![0]!["value"] = " collectors ");
        Rejected("relevant evidence without its description", d => d["results"]![0]!["observations"]![0]!["relevant-evidence"]![0]!.AsObject().Remove("description"));
    }

    [TestMethod]
    public void ADayWithoutASummaryOrCriteriaIsStillValid()
    {
        var input = Input() with { Days = [new OscalDay(Day1, null, [])], Manifests = [], Source = "https://evidence.blob.core.windows.net/evidence?sv=2025&sig=secret" };

        var json = OscalAssessmentResults.Build(input);

        var result = Validate(json);
        Assert.IsTrue(result.IsValid, Errors(result));
        Assert.DoesNotContain("sig=", Encoding.UTF8.GetString(json), "a SAS never reaches the document");
        var day = Result(Root(json), Day1);
        Assert.IsNull(day["observations"]);
        Assert.IsNull(day["findings"]);
    }

    [TestMethod]
    public void BlobNamesBecomeUriReferences()
    {
        var odd = Manifest("odd stream", At(Day1, 0), At(Day1, 24), 1) with { Name = "odd stream/2026/11/01/a:b.manifest.json", ContentBlob = "odd stream/2026/11/01/a:b.ndjson.gz" };
        var input = Input() with { Manifests = [.. Input().Manifests, odd] };

        var json = OscalAssessmentResults.Build(input);

        var result = Validate(json);
        Assert.IsTrue(result.IsValid, Errors(result));
        var resource = Resources(Root(json)).Values.Single(r => (string?)r["title"] == odd.Name);
        CollectionAssert.AreEqual(
            new[] { "odd%20stream/2026/11/01/a%3Ab.manifest.json", "odd%20stream/2026/11/01/a%3Ab.ndjson.gz" },
            Array(resource["rlinks"]).Select(l => (string?)l!["href"]).ToArray(),
            "each path segment percent-encoded: a space is no URI, and 'a:b' would read as a scheme");
    }

    [TestMethod]
    public void ADayOutsideThePeriodIsRefused()
    {
        var input = Input() with { To = Day1 };

        Assert.ThrowsExactly<ArgumentException>(() => OscalAssessmentResults.Build(input));
    }
}
