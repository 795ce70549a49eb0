using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Collectors.Auditors;
using Collectors.Catalog;
using Collectors.Cli.Audit;
using Collectors.Configuration;
using Collectors.Evidence;
using Microsoft.Extensions.DependencyInjection;

namespace Collectors.Cli.Commands;

/// <summary><c>collectors auditor grant|revoke</c>, <c>collectors export</c> and <c>collectors sample</c>: the auditor's side.</summary>
internal static class AuditCommands
{
    public static Command Auditor(TextWriter output, TextWriter error)
    {
        var auditor = new Option<string>("--auditor") { Description = "The auditor's name and e-mail, e.g. \"Dana Reyes <dana.reyes@auditfirm.example>\".", Required = true };
        var days = new Option<int>("--days") { Description = "How long the SAS is valid: 1 to 7 days (the platform's limit for user delegation keys).", Required = true };
        var from = new Option<string?>("--from") { Description = "First day of the audit period (yyyy-MM-dd), recorded with the grant." };
        var to = new Option<string?>("--to") { Description = "Last day of the audit period (yyyy-MM-dd), recorded with the grant." };
        var grant = new Command("grant", "Issue a read-only (read + list), HTTPS-only, time-limited SAS on the evidence container: a user delegation SAS signed for your Entra identity (a service SAS against the storage emulator). The URL is printed once and never stored; the grant is recorded as evidence in auditor-access/grants.") { auditor, days, from, to };
        grant.SetAction((parse, cancellationToken) => Guarded(error, async () =>
        {
            var request = new AuditorGrantRequest(parse.GetValue(auditor)!, parse.GetValue(days), Day(parse.GetValue(from), "--from"), Day(parse.GetValue(to), "--to"));
            // Refuse bad input before anything is started or asked of Azure.
            AuditorAccess.Validate(request);

            using var host = await CollectorsHost.StartAsync(new Dictionary<string, string?>(), verbose: false, error, cancellationToken).ConfigureAwait(false);
            var result = await host.Services.GetRequiredService<AuditorAccess>().GrantAsync(request, cancellationToken).ConfigureAwait(false);
            var r = result.Record;
            await output.WriteLineAsync($"Read-only access for {r.Auditor.Name} <{r.Auditor.Email}> to container '{r.Container}' of account '{r.Account}', until {TimeWindow.Iso(r.ExpiresOn)}{(r.PeriodFrom is null ? string.Empty : $" (audit period {r.PeriodFrom} to {r.PeriodTo})")}.").ConfigureAwait(false);
            await output.WriteLineAsync($"SAS: {(r.SasKind == "service" ? "service SAS (storage emulator)" : "user delegation SAS")}, permissions read + list, {r.Protocol}. It is shown once, here, and stored nowhere:").ConfigureAwait(false);
            await output.WriteLineAsync().ConfigureAwait(false);
            await output.WriteLineAsync(result.SasUrl.ToString()).ConfigureAwait(false);
            await output.WriteLineAsync().ConfigureAwait(false);
            await output.WriteLineAsync($"Recorded: {result.Commit.Manifest} (grant {r.GrantId}, signature SHA-256 {r.SignatureSha256[..16]}…).").ConfigureAwait(false);
            if (r.Note is not null)
            {
                await output.WriteLineAsync($"Note: {r.Note}").ConfigureAwait(false);
            }

            await output.WriteLineAsync("Send the URL to the auditor over a channel you trust, with docs/auditor.md.").ConfigureAwait(false);
            return CollectorsCli.Ok;
        }));

        var accountId = new Option<string?>("--account-id") { Description = "The evidence account's resource id (the deployment's EVIDENCE_ACCOUNT_ID output). Else Evidence__AccountResourceId." };
        var revoke = new Command("revoke", "Revoke every user delegation key of the evidence account: every user delegation SAS of the account stops working (not only the auditors'), after a few minutes' propagation. Recorded as evidence in auditor-access/revocations.") { accountId };
        revoke.SetAction((parse, cancellationToken) => Guarded(error, async () =>
        {
            using var host = await CollectorsHost.StartAsync(new Dictionary<string, string?>(), verbose: false, error, cancellationToken).ConfigureAwait(false);
            var id = parse.GetValue(accountId) ?? host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<EvidenceOptions>>().Value.AccountResourceId;
            if (string.IsNullOrWhiteSpace(id))
            {
                throw new CliUsageException("Give --account-id (the deployment's EVIDENCE_ACCOUNT_ID output) or set Evidence__AccountResourceId.");
            }

            var result = await host.Services.GetRequiredService<AuditorAccess>().RevokeAsync(id, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"Revoked every user delegation key of {id} at {TimeWindow.Iso(result.Record.RevokedAt)}.").ConfigureAwait(false);
            await output.WriteLineAsync("Every user delegation SAS of this account stops working, not only the auditors'; revocation can take a few minutes to reach every storage front end. Service SAS signed with an account key are not affected (rotate the key for those).").ConfigureAwait(false);
            await output.WriteLineAsync($"Recorded: {result.Commit.Manifest} ({result.Commit.Status}).").ConfigureAwait(false);
            return result.Commit.Status == CommitStatus.Failed ? CollectorsCli.Problem : CollectorsCli.Ok;
        }));

        return new Command("auditor", "Grant auditors read-only, time-limited access to the evidence, and revoke it; both are recorded as evidence.") { grant, revoke };
    }

    public static Command Export(TextWriter output, TextWriter error)
    {
        var sasUrl = SasUrlOption();
        var from = new Option<string>("--from") { Description = "First UTC day (yyyy-MM-dd).", Required = true };
        var to = new Option<string>("--to") { Description = "Last UTC day (yyyy-MM-dd), inclusive.", Required = true };
        var outDir = new Option<string>("--out") { Description = "A new folder for the package; a .zip of it is written next to it.", Required = true };
        var trustedKeys = TrustedKeyOption();
        var command = new Command("export", "Write an audit package of a range of days with only a read-only SAS: index.html, manifests.csv, population/<stream>.csv, findings.csv, verify.txt, oscal/assessment-results.json and SHA256SUMS, as a folder and a zip. Exit 0 intact, 1 written but verification found problems, 2 usage error.")
        {
            sasUrl, from, to, outDir, trustedKeys,
        };
        command.SetAction((parse, cancellationToken) => Guarded(error, async () =>
        {
            var (first, last) = Range(parse.GetValue(from)!, parse.GetValue(to)!);
            var target = AuditPackage.CheckOut(parse.GetValue(outDir)!);
            var container = await ConnectAsync(parse.GetValue(sasUrl), cancellationToken).ConfigureAwait(false);
            var package = new AuditPackage(container, $"container SAS for {container.Uri.GetLeftPart(UriPartial.Path)}", CollectorCatalog.Default, TimeProvider.System);
            var result = await package.WriteAsync(first, last, target, Trusted(parse.GetValue(trustedKeys)), cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Audit package {first:yyyy-MM-dd} to {last:yyyy-MM-dd}: {result.Streams} streams, {result.Manifests} manifests, {result.Records} records, {result.Findings} findings, {result.DaysSummarised} daily summaries.")).ConfigureAwait(false);
            if (result.DaysWithoutSummary.Count > 0)
            {
                await output.WriteLineAsync($"No daily summary stored for {string.Join(", ", result.DaysWithoutSummary)}: those days have no status in the package.").ConfigureAwait(false);
            }

            await output.WriteLineAsync(result.Intact ? "Verification of the range: INTACT (verify.txt)." : $"Making the package found {result.Problems.Count} problem(s) (README.txt, verify.txt); what they affect is left out. First: {result.Problems[0]}").ConfigureAwait(false);
            await output.WriteLineAsync($"Folder: {result.Folder}").ConfigureAwait(false);
            await output.WriteLineAsync($"Zip:    {result.Zip}").ConfigureAwait(false);
            await output.WriteLineAsync($"Check it: cd {result.Folder} && sha256sum -c SHA256SUMS").ConfigureAwait(false);
            return result.Intact ? CollectorsCli.Ok : CollectorsCli.Problem;
        }));
        return command;
    }

    public static Command Sample(TextWriter output, TextWriter error)
    {
        var sasUrl = SasUrlOption();
        var stream = new Option<string>("--stream") { Description = "The stream to sample, e.g. activity-log/sub-<subscriptionId> (see population/ in the package).", Required = true };
        var from = new Option<string>("--from") { Description = "First UTC day (yyyy-MM-dd).", Required = true };
        var to = new Option<string>("--to") { Description = "Last UTC day (yyyy-MM-dd), inclusive.", Required = true };
        var count = new Option<int>("--count") { Description = "How many records (1–10000).", Required = true };
        var seed = new Option<string>("--seed") { Description = "Any text; the same seed draws the same records. Write it in the working papers.", Required = true };
        var outDir = new Option<string?>("--out") { Description = "A folder for sample.json and each record's exact bytes (records/<n>.json)." };
        var trustedKeys = TrustedKeyOption();
        var command = new Command("sample", "Draw a reproducible random sample of a stream's records (same seed, same records) with its proof: manifest, line, the record's bytes and the content SHA-256 that covers it.")
        {
            sasUrl, stream, from, to, count, seed, outDir, trustedKeys,
        };
        command.SetAction((parse, cancellationToken) => Guarded(error, async () =>
        {
            var (first, last) = Range(parse.GetValue(from)!, parse.GetValue(to)!);
            var n = parse.GetValue(count);
            if (n is < 1 or > EvidenceSample.MaxCount)
            {
                throw new CliUsageException(string.Create(CultureInfo.InvariantCulture, $"--count {n} is not from 1 to {EvidenceSample.MaxCount}."));
            }

            var seedText = parse.GetValue(seed)!;
            if (string.IsNullOrWhiteSpace(seedText))
            {
                throw new CliUsageException("--seed is empty: give any text, and keep it in the working papers so the sample can be drawn again.");
            }

            EvidenceStream evidenceStream;
            try
            {
                evidenceStream = EvidenceStream.Parse(parse.GetValue(stream)!);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                throw new CliUsageException($"--stream: {ex.Message}");
            }

            var folder = parse.GetValue(outDir) is { } o ? AuditPackage.CheckOut(o, withZip: false) : null;
            var container = await ConnectAsync(parse.GetValue(sasUrl), cancellationToken).ConfigureAwait(false);
            var reader = await EvidenceReader.ForAuditorAsync(container, Trusted(parse.GetValue(trustedKeys)), cancellationToken).ConfigureAwait(false);
            var result = await EvidenceSample.DrawAsync(reader, evidenceStream, first, last, n, seedText, cancellationToken).ConfigureAwait(false);
            if (result.Population == 0)
            {
                throw new CliUsageException($"Stream {evidenceStream} has no records from {first:yyyy-MM-dd} to {last:yyyy-MM-dd} signed by a trusted key. Check the stream name (population/ in the audit package lists them) and the days.");
            }

            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Sample of {result.Items.Count} from a population of {result.Population} records of {evidenceStream}, {first:yyyy-MM-dd} to {last:yyyy-MM-dd}, seed '{seedText}'{(result.Items.Count < n ? " (the whole population: it is smaller than --count)" : string.Empty)}:")).ConfigureAwait(false);
            foreach (var item in result.Items)
            {
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  #{item.Number} {item.Manifest} line {item.Line}  record sha256 {item.RecordSha256[..16]}…  content sha256 {item.UncompressedSha256[..16]}…")).ConfigureAwait(false);
            }

            foreach (var excluded in result.Excluded)
            {
                await output.WriteLineAsync($"  left out of the population: {excluded}").ConfigureAwait(false);
            }

            if (folder is not null)
            {
                // Written beside the folder, then moved into place: a sample is never mixed with another.
                var work = folder + ".partial-" + Guid.NewGuid().ToString("N")[..8];
                try
                {
                    Directory.CreateDirectory(Path.Combine(work, "records"));
                    await File.WriteAllBytesAsync(Path.Combine(work, "sample.json"), JsonSerializer.SerializeToUtf8Bytes(result, EvidenceJson.Options), cancellationToken).ConfigureAwait(false);
                    foreach (var item in result.Items)
                    {
                        await File.WriteAllBytesAsync(Path.Combine(work, "records", string.Create(CultureInfo.InvariantCulture, $"{item.Number:D4}.json")), item.Bytes, cancellationToken).ConfigureAwait(false);
                    }

                    if (Directory.Exists(folder))
                    {
                        Directory.Delete(folder);
                    }

                    Directory.Move(work, folder);
                }
                finally
                {
                    if (Directory.Exists(work))
                    {
                        Directory.Delete(work, recursive: true);
                    }
                }

                await output.WriteLineAsync($"Written: {Path.Combine(folder, "sample.json")} and records/NNNN.json (each record's exact bytes).").ConfigureAwait(false);
            }

            return result.Excluded.Count > 0 ? CollectorsCli.Problem : CollectorsCli.Ok;
        }));
        return command;
    }

    /// <summary>Where a SAS URL can be given without putting it on the command line (shell history, ps).</summary>
    public const string SasUrlVariable = "COLLECTORS_SAS_URL";

    private static Option<string?> SasUrlOption() => new("--sas-url") { Description = $"The read-only container SAS URL the evidence owner gave you (collectors auditor grant). Else the {SasUrlVariable} environment variable, which keeps it out of shell history." };

    private static Option<string[]> TrustedKeyOption() => new("--trusted-key") { Description = "Thumbprint of a signing key to trust (repeat for rotated keys). Without it, every key published in the container is used." };

    private static IReadOnlyList<string>? Trusted(string[]? keys) => keys is { Length: > 0 } ? keys : null;

    private static async Task<Azure.Storage.Blobs.BlobContainerClient> ConnectAsync(string? given, CancellationToken cancellationToken)
    {
        var url = string.IsNullOrWhiteSpace(given) ? Environment.GetEnvironmentVariable(SasUrlVariable) : given;
        if (string.IsNullOrWhiteSpace(url))
        {
            throw new CliUsageException($"Give the SAS URL with --sas-url, or in the {SasUrlVariable} environment variable.");
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
        {
            throw new CliUsageException("--sas-url is not an http(s) URL. Use the whole URL the evidence owner gave you.");
        }

        if (uri.Scheme == "http" && !uri.IsLoopback)
        {
            throw new CliUsageException("--sas-url is plain http to another machine: the SAS would cross the network unencrypted. Use the https URL.");
        }

        var (_, azure) = CliConfiguration.Bind(CliConfiguration.Build(new Dictionary<string, string?>()));
        return await AuditorSas.ConnectAsync(uri, azure, cancellationToken).ConfigureAwait(false);
    }

    private static (DateOnly From, DateOnly To) Range(string from, string to)
    {
        var first = CliConfiguration.ParseDay(from, "--from");
        var last = CliConfiguration.ParseDay(to, "--to");
        if (last < first)
        {
            throw new CliUsageException($"--to {last:yyyy-MM-dd} is before --from {first:yyyy-MM-dd}.");
        }

        if (last.DayNumber - first.DayNumber >= 400)
        {
            throw new CliUsageException("The range is longer than 400 days; export a SOC 2 period (up to a year) at a time.");
        }

        return (first, last);
    }

    private static DateOnly? Day(string? text, string option)
    {
        if (text is null)
        {
            return null;
        }

        return DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day
            : throw new CliUsageException($"{option} '{text}' is not a day; use yyyy-MM-dd, e.g. 2026-10-01.");
    }

    private static async Task<int> Guarded(TextWriter error, Func<Task<int>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is CliUsageException or AuditorRequestException or EvidenceStoreConfigurationException or InvalidOperationException or Azure.Identity.AuthenticationFailedException or Azure.Identity.CredentialUnavailableException)
        {
            await error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return CollectorsCli.UsageError;
        }
        catch (Exception ex) when (Unreachable.Matches(ex))
        {
            await error.WriteLineAsync($"error: {Unreachable.Describe(ex, "storage", Unreachable.CheckSettings)}").ConfigureAwait(false);
            return CollectorsCli.UsageError;
        }
        catch (Azure.RequestFailedException ex)
        {
            // Part-way through (a SAS that expired or was revoked during a long export, a throttled account): one line, nothing half-written.
            await error.WriteLineAsync(ex.Status == 403
                ? $"error: storage refused a request part-way (403 {ex.ErrorCode}): the SAS may have expired or been revoked meanwhile. Nothing was written under --out. Ask for a new grant (collectors auditor grant)."
                : $"error: storage answered {ex.Status} {ex.ErrorCode} part-way; nothing was written under --out. Try again; if it persists, check the account ({ex.Message.Split('\n')[0]}).").ConfigureAwait(false);
            return CollectorsCli.UsageError;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"error: could not write the output: {ex.Message}").ConfigureAwait(false);
            return CollectorsCli.UsageError;
        }
    }

}
