using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Sas;
using Collectors.Auditors;
using Collectors.Evidence;
using Collectors.Tests.Infrastructure;
using Collectors.Tests.SampleHeartbeats;
using Json.Schema;

namespace Collectors.Tests.Audit;

/// <summary>
/// The auditor's side against Azurite: a grant recorded as evidence, then an export and samples made with
/// nothing but the SAS URL. Two days of the sample collector (two streams, a planted missed heartbeat each
/// day that fails A1.1) and their daily summaries are the evidence.
/// </summary>
[TestClass]
public sealed class AuditPackageTests
{
    private static readonly DateOnly First = DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-3));
    private static readonly DateOnly Last = First.AddDays(1);

    private static TestStore? s_store;
    private static Dictionary<string, string?>? s_settings;
    private static string s_sas = string.Empty;
    private static CliRun? s_grant;

    private static DateTimeOffset Start(DateOnly day) => new(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    [ClassInitialize]
    public static async Task CollectTwoDaysAndGrant(TestContext context)
    {
        s_store = TestStore.Create();
        s_settings = new Dictionary<string, string?>
        {
            ["Evidence:ConnectionString"] = s_store.Options.ConnectionString,
            ["Evidence:Container"] = s_store.Options.Container,
            ["Evidence:StateContainer"] = s_store.Options.StateContainer,
            ["Azure:Credential"] = "AzureCli",
            ["Collectors:SampleHeartbeats:Services:0"] = "checkout",
            ["Collectors:SampleHeartbeats:Services:1"] = "ledger",
            ["Collectors:SampleHeartbeats:Missed:0"] = TimeWindow.Iso(Start(First).AddHours(9)),
            ["Collectors:SampleHeartbeats:Missed:1"] = TimeWindow.Iso(Start(Last).AddHours(17).AddMinutes(30)),
        };
        var run = await CollectorsCommand.RunAsync(s_settings, SampleCollectorTests.Register, "run", "sample-heartbeats", "--from", TimeWindow.Iso(Start(First)), "--to", TimeWindow.Iso(Start(Last.AddDays(1))));
        Assert.AreEqual(0, run.ExitCode, run.Output + run.Error);
        s_grant = await CollectorsCommand.RunAsync(s_settings, SampleCollectorTests.Register, "auditor", "grant", "--auditor", "Dana Reyes <dana.reyes@auditfirm.example>", "--days", "3", "--from", Day(First), "--to", Day(Last));
        Assert.AreEqual(0, s_grant.ExitCode, s_grant.Output + s_grant.Error);
        s_sas = s_grant.Output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("http", StringComparison.Ordinal));
        foreach (var day in new[] { First, Last })
        {
            var summary = await CollectorsCommand.RunAsync(s_settings, SampleCollectorTests.Register, "summary", "--date", Day(day));
            Assert.AreEqual(0, summary.ExitCode, summary.Output + summary.Error);
        }
    }

    [ClassCleanup]
    public static async Task Cleanup()
    {
        if (s_store is not null)
        {
            await s_store.DisposeAsync();
        }
    }

    [TestMethod]
    public async Task TheGrantIsReadOnlyTimeLimitedRecordedWithoutTheSasAndPassesVerify()
    {
        var parts = new BlobUriBuilder(new Uri(s_sas));
        Assert.AreEqual("rl", parts.Sas.Permissions, "read and list only");
        Assert.AreEqual("c", parts.Sas.Resource);
        Assert.AreEqual(s_store!.Options.Container, parts.BlobContainerName);
        Assert.IsTrue(parts.Sas.ExpiresOn > DateTimeOffset.UtcNow.AddDays(2.9) && parts.Sas.ExpiresOn < DateTimeOffset.UtcNow.AddDays(3.1), $"expires in 3 days: {parts.Sas.ExpiresOn:o}");

        var reader = new EvidenceReader(s_store.Evidence);
        var grants = new List<AuditorGrantRecord>();
        await foreach (var record in reader.RecordsInRangeAsync(AuditorAccess.GrantsStream, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddMinutes(1), CancellationToken.None))
        {
            Assert.DoesNotContain(parts.Sas.Signature, System.Text.Encoding.UTF8.GetString(record.Json.Span), "the record never holds the SAS signature");
            grants.Add(JsonSerializer.Deserialize<AuditorGrantRecord>(record.Json.Span, EvidenceJson.Options)!);
        }

        var grant = grants.Single();
        Assert.AreEqual("Dana Reyes", grant.Auditor.Name);
        Assert.AreEqual("dana.reyes@auditfirm.example", grant.Auditor.Email);
        Assert.AreEqual("service", grant.SasKind, "Azurite: a service SAS, and the record says so");
        StringAssert.Contains(grant.Note, "Storage emulator");
        Assert.AreEqual("rl", grant.Permissions);
        Assert.AreEqual(Day(First), grant.PeriodFrom);
        Assert.AreEqual(Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(parts.Sas.Signature))), grant.SignatureSha256);
        Assert.AreEqual("SharedKey", grant.RequestedBy.Credential);

        var summaryJson = await SummaryAsync(Last);
        var listed = summaryJson.RootElement.GetProperty("grants").EnumerateArray().Single();
        Assert.AreEqual("Dana Reyes", listed.GetProperty("auditor").GetString(), "the daily summary lists the active grant");
        Assert.AreEqual(grant.ExpiresOn, listed.GetProperty("expiresOn").GetDateTimeOffset());

        var verify = await CollectorsCommand.RunAsync(["verify", "--connection-string", s_store.Options.ConnectionString!, "--container", s_store.Options.Container]);
        Assert.AreEqual(0, verify.ExitCode, verify.Output + verify.Error);
        StringAssert.Contains(verify.Output, "auditor-access/grants");
    }

    [TestMethod]
    public async Task GrantRefusesMoreThanSevenDaysAndBadInputBeforeAnythingIsWritten()
    {
        var eight = await CollectorsCommand.RunAsync(s_settings, "auditor", "grant", "--auditor", "Dana Reyes <dana.reyes@auditfirm.example>", "--days", "8");
        var noEmail = await CollectorsCommand.RunAsync(s_settings, "auditor", "grant", "--auditor", "Dana Reyes", "--days", "2");
        var backwards = await CollectorsCommand.RunAsync(s_settings, "auditor", "grant", "--auditor", "Dana <d@a.example>", "--days", "2", "--from", Day(Last), "--to", Day(First));

        Assert.AreEqual(2, eight.ExitCode);
        StringAssert.Contains(eight.Error, "--days 8 is more than 7");
        StringAssert.Contains(eight.Error, "user delegation key");
        Assert.AreEqual(2, noEmail.ExitCode);
        StringAssert.Contains(noEmail.Error, "not a name and an e-mail address");
        Assert.AreEqual(2, backwards.ExitCode);
        StringAssert.Contains(backwards.Error, "is before --from");
        Assert.DoesNotContain("http", eight.Output + noEmail.Output + backwards.Output, "no SAS printed");
        var grants = (await s_store!.ListAsync(".manifest.json")).Count(n => n.StartsWith("auditor-access/", StringComparison.Ordinal));
        Assert.AreEqual(1, grants, "only the class's one grant is recorded: the refused ones wrote nothing");
    }

    [TestMethod]
    public async Task ExportWithOnlyTheSasHoldsEveryRecordOnceChecksumsAndValidOscal()
    {
        var folder = Path.Combine(Path.GetTempPath(), "audit-" + Guid.NewGuid().ToString("N")[..8], "package");
        try
        {
            var export = await CollectorsCommand.RunAsync("export", "--sas-url", s_sas, "--from", Day(First), "--to", Day(Last), "--out", folder);
            Assert.AreEqual(0, export.ExitCode, export.Output + export.Error);
            StringAssert.Contains(export.Output, "Verification of the range: INTACT");
            Assert.IsTrue(File.Exists(folder + ".zip"));

            // Every record of the range, once: the population against the evidence read with the account key.
            var reader = new EvidenceReader(s_store!.Evidence);
            var expected = new HashSet<string>(StringComparer.Ordinal);
            var streams = new[] { new EvidenceStream("sample-heartbeats", "checkout"), new EvidenceStream("sample-heartbeats", "ledger"), new EvidenceStream("summaries", "daily") };
            foreach (var stream in streams)
            {
                await foreach (var record in reader.RecordsInRangeAsync(stream, Start(First), Start(Last.AddDays(1)), CancellationToken.None))
                {
                    expected.Add($"{record.Manifest}#{record.Line + 1}#{Convert.ToHexStringLower(SHA256.HashData(record.Json.Span))}");
                }
            }

            var found = new List<string>();
            foreach (var csv in Directory.EnumerateFiles(Path.Combine(folder, "population"), "*.csv", SearchOption.AllDirectories))
            {
                foreach (var line in File.ReadAllLines(csv).Skip(1))
                {
                    var cells = line.Split(',');
                    found.Add($"{cells[4]}#{cells[5]}#{cells[6]}");
                }
            }

            Assert.AreEqual(2 * 288 * 2 + 2, expected.Count, "two streams × two days of heartbeats, and two summaries");
            Assert.HasCount(expected.Count, found, "one row per record, none twice");
            CollectionAssert.AreEquivalent(expected.ToList(), found);
            var checkout = File.ReadAllLines(Path.Combine(folder, "population", "sample-heartbeats", "checkout.csv"));
            StringAssert.StartsWith(checkout[1], $"checkout-{First:yyyyMMdd}0000,{Day(First)}T00:00:00Z,", "record id and event time from the record");

            // SHA256SUMS covers every other file and matches.
            var sums = File.ReadAllLines(Path.Combine(folder, "SHA256SUMS"));
            var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/')).Where(f => f != "SHA256SUMS").OrderBy(f => f, StringComparer.Ordinal).ToList();
            CollectionAssert.AreEqual(files, sums.Select(l => l[66..]).ToList());
            foreach (var line in sums)
            {
                Assert.AreEqual(line[..64], Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(folder, line[66..])))), line);
            }

            CollectionAssert.IsSubsetOf(new[] { "index.html", "manifests.csv", "findings.csv", "verify.txt", "oscal/assessment-results.json" }, files);
            var manifests = File.ReadAllLines(Path.Combine(folder, "manifests.csv"));
            Assert.HasCount(2 * 48 * 2 + 2 + 1, manifests, "every manifest in range, and the header");
            StringAssert.Contains(File.ReadAllText(Path.Combine(folder, "verify.txt")), "INTACT");
            var findings = File.ReadAllLines(Path.Combine(folder, "findings.csv")).Skip(1).ToList();
            Assert.HasCount(4, findings, "each day, checkout and ledger missed one heartbeat");
            Assert.IsTrue(findings.All(f => f.Contains(",A1.1,heartbeat-missed,", StringComparison.Ordinal)), string.Join('\n', findings));
            var index = File.ReadAllText(Path.Combine(folder, "index.html"));
            Assert.DoesNotContain("<script", index);
            StringAssert.Contains(index, "heartbeat-missed");

            // The OSCAL document is valid against NIST's schema, and A1.1 is not satisfied, naming the finding.
            var oscalText = File.ReadAllText(Path.Combine(folder, "oscal", "assessment-results.json"));
            var schema = OscalSchema.Value;
            var result = schema.Evaluate(JsonDocument.Parse(oscalText).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
            Assert.IsTrue(result.IsValid, string.Join("; ", (result.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")).Take(10)));
            using var oscal = JsonDocument.Parse(oscalText);
            var results = oscal.RootElement.GetProperty("assessment-results").GetProperty("results").EnumerateArray().ToList();
            Assert.HasCount(2, results, "one result per day");
            var a11 = results[0].GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("target").GetProperty("target-id").GetString()!.StartsWith("a1.1", StringComparison.Ordinal));
            Assert.AreEqual("not-satisfied", a11.GetProperty("target").GetProperty("status").GetProperty("state").GetString());
            StringAssert.Contains(a11.GetProperty("description").GetString(), "heartbeat-missed");

            // The zip holds the same files.
            using var zip = System.IO.Compression.ZipFile.OpenRead(folder + ".zip");
            CollectionAssert.AreEquivalent(files.Append("SHA256SUMS").ToList(), zip.Entries.Select(e => e.FullName.Replace('\\', '/')).ToList());
        }
        finally
        {
            var parent = Path.GetDirectoryName(folder)!;
            if (Directory.Exists(parent))
            {
                Directory.Delete(parent, recursive: true);
            }
        }
    }

    [TestMethod]
    public async Task SamplesAreReproducibleBySeedAndCarryTheirProof()
    {
        var root = Directory.CreateTempSubdirectory("sample-");
        try
        {
            string Out(string name) => Path.Combine(root.FullName, name);
            var args = new[] { "sample", "--sas-url", s_sas, "--stream", "sample-heartbeats/ledger", "--from", Day(First), "--to", Day(Last), "--count", "5" };
            var a = await CollectorsCommand.RunAsync(null, [.. args, "--seed", "fy2026-q4", "--out", Out("a")]);
            var b = await CollectorsCommand.RunAsync(null, [.. args, "--seed", "fy2026-q4", "--out", Out("b")]);
            var c = await CollectorsCommand.RunAsync(null, [.. args, "--seed", "another", "--out", Out("c")]);

            Assert.AreEqual(0, a.ExitCode, a.Output + a.Error);
            StringAssert.Contains(a.Output, "Sample of 5 from a population of 576 records");
            var first = File.ReadAllBytes(Path.Combine(Out("a"), "sample.json"));
            CollectionAssert.AreEqual(first, File.ReadAllBytes(Path.Combine(Out("b"), "sample.json")), "the same seed draws the same records");
            CollectionAssert.AreNotEqual(first, File.ReadAllBytes(Path.Combine(Out("c"), "sample.json")), "another seed draws others");

            // Each item's proof: its key is recomputable, its bytes are what the manifest's content holds at that line.
            using var sample = JsonDocument.Parse(first);
            var reader = new EvidenceReader(s_store!.Evidence);
            var items = sample.RootElement.GetProperty("items").EnumerateArray().ToList();
            Assert.HasCount(5, items);
            foreach (var item in items)
            {
                var manifest = item.GetProperty("manifest").GetString()!;
                var line = item.GetProperty("line").GetInt64();
                Assert.AreEqual(SampleKeys.Of("fy2026-q4", manifest, line), item.GetProperty("selectionKey").GetString());
                var bytes = File.ReadAllBytes(Path.Combine(Out("a"), "records", $"{item.GetProperty("number").GetInt32():D4}.json"));
                Assert.AreEqual(Convert.ToHexStringLower(SHA256.HashData(bytes)), item.GetProperty("recordSha256").GetString());
                var stored = await StoredLineAsync(reader, manifest, line);
                CollectionAssert.AreEqual(stored, bytes, $"{manifest} line {line}");
            }
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [TestMethod]
    public async Task AWritableAnExpiredOrAnotherContainersSasIsRefusedSayingWhich()
    {
        var service = new BlobServiceClient(s_store!.Options.ConnectionString);
        var evidence = service.GetBlobContainerClient(s_store.Options.Container);
        Uri Sas(BlobContainerClient container, BlobContainerSasPermissions permissions, DateTimeOffset expires) =>
            container.GenerateSasUri(new BlobSasBuilder(permissions, expires) { BlobContainerName = container.Name, Resource = "c", Protocol = SasProtocol.HttpsAndHttp });

        var writable = Sas(evidence, BlobContainerSasPermissions.Read | BlobContainerSasPermissions.List | BlobContainerSasPermissions.Write | BlobContainerSasPermissions.Delete, DateTimeOffset.UtcNow.AddDays(1));
        var expired = Sas(evidence, BlobContainerSasPermissions.Read | BlobContainerSasPermissions.List, DateTimeOffset.UtcNow.AddHours(-1));
        var other = service.GetBlobContainerClient("other-" + Guid.NewGuid().ToString("N")[..8]);
        var otherSas = Sas(other, BlobContainerSasPermissions.Read | BlobContainerSasPermissions.List, DateTimeOffset.UtcNow.AddDays(1));
        var swapped = new Uri(evidence.Uri + otherSas.Query);

        var results = new Dictionary<string, CliRun>();
        foreach (var (name, url) in new[] { ("writable", writable), ("expired", expired), ("other", swapped) })
        {
            results[name] = await CollectorsCommand.RunAsync("export", "--sas-url", url.ToString(), "--from", Day(First), "--to", Day(Last), "--out", Path.Combine(Path.GetTempPath(), "never-" + Guid.NewGuid().ToString("N")));
        }

        var sample = await CollectorsCommand.RunAsync("sample", "--sas-url", writable.ToString(), "--stream", "sample-heartbeats/ledger", "--from", Day(First), "--to", Day(Last), "--count", "1", "--seed", "x");

        Assert.AreEqual(2, results["writable"].ExitCode);
        StringAssert.Contains(results["writable"].Error, "write (w), delete (d) besides read and list");
        Assert.AreEqual(2, results["expired"].ExitCode);
        StringAssert.Contains(results["expired"].Error, "This SAS expired at");
        Assert.AreEqual(2, results["other"].ExitCode, results["other"].Output);
        StringAssert.Contains(results["other"].Error, "issued for another container or account");
        Assert.AreEqual(2, sample.ExitCode);
        StringAssert.Contains(sample.Error, "write (w)");
    }

    [TestMethod]
    public async Task AlteredContentUnsignedAndStrayFoldersAreLeftOutAndReportedNeverCounted()
    {
        await using var store = TestStore.Create();
        var alpha = new EvidenceStream("activity-log", "sub-alpha");
        var beta = new EvidenceStream("activity-log", "sub-beta");
        foreach (var stream in new[] { alpha, beta })
        {
            for (var i = 0; i < 4; i++)
            {
                var result = await store.Writer.CommitWindowAsync(Records.Batch(Records.Window(i), stream), Records.Source(Records.Synthetic(5, 300, seed: i)), CancellationToken.None);
                Assert.AreEqual(CommitStatus.Committed, result.Status, result.Reason);
            }
        }

        // One content blob altered (as someone with the account key could on Azurite), and a differently-cased copy of a stream's folder.
        var altered = (await store.ListAsync(".ndjson.gz")).First(n => n.StartsWith("activity-log/sub-beta/", StringComparison.Ordinal));
        await store.Evidence.GetBlobClient(altered).UploadAsync(BinaryData.FromBytes(Records.Gzip(System.Text.Encoding.UTF8.GetBytes("{\"id\":\"planted\"}\n"))), overwrite: true);
        await store.Evidence.GetBlobClient("Activity-Log/sub-alpha/2026/11/25/stray.manifest.json").UploadAsync(BinaryData.FromString("{}"));
        var sas = store.Evidence.GenerateSasUri(new BlobSasBuilder(BlobContainerSasPermissions.Read | BlobContainerSasPermissions.List, DateTimeOffset.UtcNow.AddHours(1)) { BlobContainerName = store.Evidence.Name, Resource = "c", Protocol = SasProtocol.HttpsAndHttp });
        var root = Path.Combine(Path.GetTempPath(), "audit-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var export = await CollectorsCommand.RunAsync("export", "--sas-url", sas.ToString(), "--from", "2026-11-25", "--to", "2026-11-25", "--out", Path.Combine(root, "package"));
            var sample = await CollectorsCommand.RunAsync("sample", "--sas-url", sas.ToString(), "--stream", "activity-log/sub-beta", "--from", "2026-11-25", "--to", "2026-11-25", "--count", "50", "--seed", "s", "--out", Path.Combine(root, "sample"));

            Assert.AreEqual(1, export.ExitCode, export.Output + export.Error);
            StringAssert.Contains(export.Output, "problem(s)");
            var folder = Path.Combine(root, "package");
            var betaRows = File.ReadAllLines(Path.Combine(folder, "population", "activity-log", "sub-beta.csv")).Skip(1).ToList();
            var alphaRows = File.ReadAllLines(Path.Combine(folder, "population", "activity-log", "sub-alpha.csv")).Skip(1).ToList();
            Assert.HasCount(15, betaRows, "the altered window's 5 records are left out, not listed with the planted bytes");
            Assert.HasCount(20, alphaRows, "the stray, differently-cased folder is not read as this stream a second time");
            Assert.IsFalse(betaRows.Any(r => r.StartsWith("planted", StringComparison.Ordinal)));
            Assert.HasCount(1 + 7, File.ReadAllLines(Path.Combine(folder, "manifests.csv")), "the altered window's manifest is not listed among those in the package");
            var readme = File.ReadAllText(Path.Combine(folder, "README.txt"));
            StringAssert.StartsWith(readme, "PROBLEMS FOUND");
            StringAssert.Contains(readme, "left out of the package");
            StringAssert.Contains(readme, "folder 'Activity-Log/sub-alpha/' is not a stream");
            StringAssert.Contains(File.ReadAllText(Path.Combine(folder, "index.html")), "Verification: PROBLEMS");
            Assert.IsTrue(File.Exists(Path.Combine(root, "package.zip")));

            Assert.AreEqual(1, sample.ExitCode, sample.Output + sample.Error);
            StringAssert.Contains(sample.Output, "population of 15 records");
            StringAssert.Contains(sample.Output, "left out of the population");
            using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(root, "sample", "sample.json")));
            Assert.AreEqual(1, json.RootElement.GetProperty("excluded").GetArrayLength());
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    [TestMethod]
    public async Task AnOutThatIsAFileUnderAFileOrNotEmptyIsRefusedBeforeAnythingIsRead()
    {
        var root = Directory.CreateTempSubdirectory("audit-out-");
        try
        {
            var file = Path.Combine(root.FullName, "a-file");
            await File.WriteAllTextAsync(file, "x");
            var used = Directory.CreateDirectory(Path.Combine(root.FullName, "used"));
            await File.WriteAllTextAsync(Path.Combine(used.FullName, "old.json"), "{}");
            string[] Export(string output) => ["export", "--sas-url", s_sas, "--from", Day(First), "--to", Day(Last), "--out", output];

            var isFile = await CollectorsCommand.RunAsync(Export(file));
            var underFile = await CollectorsCommand.RunAsync(Export(Path.Combine(file, "package")));
            var notEmpty = await CollectorsCommand.RunAsync(Export(used.FullName));
            var empty = await CollectorsCommand.RunAsync(Export(""));
            var sample = await CollectorsCommand.RunAsync("sample", "--sas-url", s_sas, "--stream", "sample-heartbeats/ledger", "--from", Day(First), "--to", Day(Last), "--count", "1", "--seed", "x", "--out", used.FullName);

            foreach (var (run, says) in new[] { (isFile, "is a file"), (underFile, "is a file, so no folder can be made under it"), (notEmpty, "exists and is not empty"), (empty, "--out is empty"), (sample, "exists and is not empty") })
            {
                Assert.AreEqual(2, run.ExitCode, run.Output + run.Error);
                StringAssert.Contains(run.Error, says);
                Assert.DoesNotContain("   at ", run.Error, "one line, no stack trace");
            }

            CollectionAssert.AreEquivalent(new[] { "a-file", "used" }, root.EnumerateFileSystemInfos().Select(f => f.Name).ToList(), "nothing was written beside them");
            CollectionAssert.AreEqual(new[] { "old.json" }, used.EnumerateFileSystemInfos().Select(f => f.Name).ToList());
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    private static async Task<JsonDocument> SummaryAsync(DateOnly day)
    {
        var reader = new EvidenceReader(s_store!.Evidence);
        await foreach (var record in reader.RecordsInRangeAsync(new EvidenceStream("summaries", "daily"), Start(day), Start(day.AddDays(1)), CancellationToken.None))
        {
            return JsonDocument.Parse(record.Json.ToArray());
        }

        throw new AssertFailedException($"no summary for {day}");
    }

    private static async Task<byte[]> StoredLineAsync(EvidenceReader reader, string manifest, long line)
    {
        var m = (await reader.Container.GetBlobClient(manifest).DownloadContentAsync()).Value.Content.ToObjectFromJson<EvidenceManifest>(EvidenceJson.Options)!;
        await foreach (var record in reader.RecordsAsync(new CommittedManifest(manifest, m), CancellationToken.None))
        {
            if (record.Line + 1 == line)
            {
                return record.Json.ToArray();
            }
        }

        throw new AssertFailedException($"{manifest} has no line {line}");
    }
}

internal static class SampleKeys
{
    /// <summary>The sample's key, recomputed here from its documented definition (not by calling the code under test).</summary>
    public static string Of(string seed, string manifest, long line) =>
        Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{seed}\n{manifest}\n{line.ToString(CultureInfo.InvariantCulture)}")));
}
