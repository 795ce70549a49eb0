using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Collectors.Configuration;
using Collectors.Evidence;
using Collectors.Verification;

namespace Collectors.Cli.Commands;

/// <summary><c>collectors verify</c>: proves the evidence is complete and unaltered.</summary>
internal static class VerifyCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var stream = new Option<string?>("--stream") { Description = "Verify one stream only, e.g. activity-log/sub-<subscriptionId>." };
        var from = new Option<string?>("--from") { Description = "Only windows ending after this UTC instant (ISO-8601)." };
        var to = new Option<string?>("--to") { Description = "Only windows starting before this UTC instant (ISO-8601)." };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON (schema collectors.verify/v1)." };
        var connectionString = new Option<string?>("--connection-string") { Description = "Storage connection string (Azurite). Else Evidence__ConnectionString." };
        var accountUrl = new Option<string?>("--account-url") { Description = "Blob endpoint, e.g. https://<account>.blob.core.windows.net, used with an Entra credential (Azure__Credential). Else Evidence__BlobServiceUri." };
        var sasUrl = new Option<string?>("--sas-url") { Description = "Container SAS URL, as given to an auditor (read + list)." };
        var container = new Option<string?>("--container") { Description = "Evidence container (default: Evidence__Container or 'evidence'). Ignored with --sas-url." };
        var parallelism = new Option<int>("--parallelism") { Description = "Blobs checked at once.", DefaultValueFactory = _ => 8 };
        var trustedKeys = new Option<string[]>("--trusted-key") { Description = "Thumbprint of a signing key to trust (the deployment's EVIDENCE_SIGNING_KEY_THUMBPRINT); repeat for rotated keys. Without it, every key published in the container is used, which someone with write access to storage could add to.", AllowMultipleArgumentsPerToken = false };
        var anchor = new Option<string?>("--anchor") { Description = "The evidence anchor digest from a daily summary mail: the summary carrying it must exist, and every chain head it names must still be there, unchanged." };

        var command = new Command("verify", "Re-download every manifest and content blob, check signatures, recompute hashes and record counts, check each stream's hash chain, claims and windows, blob versions, and the chain heads the daily summaries anchored. Exit 0 intact, 1 integrity problem, 2 usage or configuration error.")
        {
            stream, from, to, json, connectionString, accountUrl, sasUrl, container, parallelism, trustedKeys, anchor,
        };

        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var overrides = new Dictionary<string, string?>();
                var sas = parse.GetValue(sasUrl);
                var cs = parse.GetValue(connectionString);
                var account = parse.GetValue(accountUrl);
                if (new[] { sas, cs, account }.Count(v => !string.IsNullOrWhiteSpace(v)) > 1)
                {
                    throw new CliUsageException("Give only one of --connection-string, --account-url and --sas-url.");
                }

                if (!string.IsNullOrWhiteSpace(sas) || !string.IsNullOrWhiteSpace(cs) || !string.IsNullOrWhiteSpace(account))
                {
                    // An explicit way to connect replaces whatever the environment configured.
                    overrides["Evidence:ConnectionString"] = cs ?? string.Empty;
                    overrides["Evidence:BlobServiceUri"] = account;
                    overrides["Evidence:ContainerSasUri"] = sas;
                }

                overrides["Evidence:Container"] = parse.GetValue(container);
                var (evidenceOptions, azureOptions) = CliConfiguration.Bind(CliConfiguration.Build(overrides));
                if (string.IsNullOrEmpty(evidenceOptions.ConnectionString))
                {
                    evidenceOptions.ConnectionString = null;
                }

                if (!string.IsNullOrWhiteSpace(account))
                {
                    evidenceOptions.BlobServiceUri = ParseUrl(account, "--account-url");
                }

                if (!string.IsNullOrWhiteSpace(sas))
                {
                    evidenceOptions.ContainerSasUri = ParseUrl(sas, "--sas-url");
                }

                var request = new VerifyRequest(
                    parse.GetValue(stream),
                    parse.GetValue(from) is { } f ? CliConfiguration.ParseInstant(f, "--from") : null,
                    parse.GetValue(to) is { } t ? CliConfiguration.ParseInstant(t, "--to") : null,
                    Math.Clamp(parse.GetValue(parallelism), 1, 64),
                    TrustedKeys(parse.GetValue(trustedKeys)),
                    Anchor(parse.GetValue(anchor)));
                if (request.Stream is not null)
                {
                    try
                    {
                        EvidenceStream.Parse(request.Stream);
                    }
                    catch (Exception ex) when (ex is FormatException or ArgumentException)
                    {
                        throw new CliUsageException($"--stream: {ex.Message}");
                    }
                }

                if (request.From is { } rf && request.To is { } rt && rt <= rf)
                {
                    throw new CliUsageException("--to must be after --from.");
                }

                var validation = new AzureOptionsValidator().Validate(null, azureOptions);
                if (validation.Failed)
                {
                    throw new CliUsageException(validation.FailureMessage);
                }

                var connection = EvidenceStoreConnection.Create(evidenceOptions, azureOptions);
                var verifier = new EvidenceVerifier(connection.Evidence, connection.How, TimeProvider.System);
                VerificationReport report;
                try
                {
                    report = await verifier.VerifyAsync(request, progress: null, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (Unreachable.Matches(ex))
                {
                    throw new CliUsageException(Unreachable.Describe(ex, $"the evidence store through {connection.How}",
                        "Check the account URL (--account-url, Evidence__BlobServiceUri) or the connection string's BlobEndpoint, that the store is running (Azurite: eng/azurite.sh), the network, and any TLS-inspecting proxy (Azure__AdditionalTrustedCertificate)."));
                }
                catch (Azure.RequestFailedException ex)
                {
                    throw new CliUsageException(ex.Status switch
                    {
                        404 => $"The evidence container was not found through {connection.How} ({ex.ErrorCode}). Check the account URL and --container.",
                        401 or 403 => $"Storage refused to list the evidence through {connection.How}: {ex.Status} {ex.ErrorCode}. A SAS needs read (r) and list (l) permissions and must not have expired; an Entra identity needs Storage Blob Data Reader on the container.",
                        _ => $"Could not read the evidence through {connection.How}: {ex.Message.Split('\n')[0]}{(ex.InnerException is { } inner ? $" ({inner.Message})" : string.Empty)}. Check the URL, the network, and (for a TLS-inspecting proxy) Azure__AdditionalTrustedCertificate.",
                    });
                }

                if (parse.GetValue(json))
                {
                    await output.WriteLineAsync(JsonSerializer.Serialize(report, EvidenceJson.Options)).ConfigureAwait(false);
                }
                else
                {
                    await output.WriteAsync(VerifyReportText.Render(report)).ConfigureAwait(false);
                }

                return report.Intact ? CollectorsCli.Ok : CollectorsCli.Problem;
            }
            catch (Exception ex) when (ex is CliUsageException or InvalidOperationException or EvidenceStoreConfigurationException or Azure.Identity.AuthenticationFailedException or Azure.Identity.CredentialUnavailableException)
            {
                await error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
                return CollectorsCli.UsageError;
            }
        });
        return command;
    }

    private static IReadOnlyList<string>? TrustedKeys(string[]? given)
    {
        if (given is not { Length: > 0 })
        {
            return null;
        }

        foreach (var thumbprint in given)
        {
            if (thumbprint.Length != 43 || !thumbprint.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                throw new CliUsageException($"--trusted-key '{thumbprint}' is not a key thumbprint: 43 characters of base64url (A–Z, a–z, 0–9, '-', '_'), as printed by the deployment (EVIDENCE_SIGNING_KEY_THUMBPRINT).");
            }
        }

        return given;
    }

    private static string? Anchor(string? given)
    {
        if (given is null)
        {
            return null;
        }

        var normalized = Collectors.Evidence.ChainAnchor.Normalize(given);
        return normalized.Length == 32 && normalized.All(char.IsAsciiHexDigitLower)
            ? given
            : throw new CliUsageException($"--anchor '{given}' is not an anchor digest: 32 hex digits, as the daily mail shows them (e.g. 3f9a0c12-…, dashes optional).");
    }

    private static Uri ParseUrl(string text, string option) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            ? uri
            : throw new CliUsageException($"{option} '{Redact(text)}' is not an absolute http(s) URL.");

    private static string Redact(string text)
    {
        var q = text.IndexOf('?', StringComparison.Ordinal);
        return q < 0 ? text : text[..q] + "?…";
    }
}

internal static class VerifyReportText
{
    public static string Render(VerificationReport report)
    {
        var c = CultureInfo.InvariantCulture;
        var w = new StringWriter(c);
        w.WriteLine($"Collectors verify: {report.Store}");
        w.WriteLine($"Scope: {report.StreamFilter ?? "all streams"}, windows {(report.From is { } f ? TimeWindow.Iso(f) : "from the start")} to {(report.To is { } t ? TimeWindow.Iso(t) : "the end")}");
        w.WriteLine(string.Create(c, $"Checked {report.ManifestsChecked:N0} manifests, {report.RecordsChecked:N0} records, {report.BytesChecked:N0} compressed bytes in {(report.FinishedAt - report.StartedAt).TotalSeconds:F1} s"));
        w.WriteLine();
        w.WriteLine(string.Create(c, $"Streams ({report.Streams.Count})"));
        foreach (var s in report.Streams)
        {
            w.WriteLine(string.Create(c,
                $"  {s.Stream}  {s.Manifests:N0} manifests, {s.Records:N0} records, windows {(s.FirstWindowStart is { } a ? TimeWindow.Iso(a) : "-")} to {(s.LastWindowEnd is { } b ? TimeWindow.Iso(b) : "-")}, sequence {s.FirstSequence}–{s.LastSequence}, immutability {(s.ImmutabilityEnforced ? "enforced" : "NOT enforced")}"));
        }

        w.WriteLine();
        w.WriteLine(string.Create(c, $"Signing keys ({report.Keys.Count}){(report.KeysPinned ? ": only the pinned key(s) were trusted" : ": published in the container; pin the deployment's key with --trusted-key <thumbprint> to rule out one planted by someone with write access to storage")}"));
        foreach (var k in report.Keys)
        {
            w.WriteLine(string.Create(c, $"  {k.Thumbprint}  {k.Kid}  {k.Signed:N0} record(s) checked{(k.Custody is null ? string.Empty : $"  ({k.Custody})")}"));
        }

        if (!report.KeysPinned && report.Keys.Count(k => k.Signed > 0) > 1)
        {
            w.WriteLine("  ! Records are signed by more than one key. A rotated key explains that; a key nobody rotated to means forged records. Compare the thumbprints with the deployment's output.");
        }

        if (report.Anchors.Count > 0)
        {
            w.WriteLine();
            w.WriteLine(string.Create(c, $"Anchors ({report.Anchors.Count}): chain heads recorded by the daily summaries"));
            foreach (var a in report.Anchors)
            {
                w.WriteLine(string.Create(c, $"  {a.Date}  {a.Digest}  {a.Heads} heads  {(a.Holds ? "hold" : "BROKEN")}{(a.Requested ? "  (the anchor asked for)" : string.Empty)}"));
            }
        }

        if (report.PendingClaims.Count > 0)
        {
            w.WriteLine();
            w.WriteLine(string.Create(c, $"Pending claims ({report.PendingClaims.Count}): a writer stopped between claiming a chain position and writing its manifest; the next write to the stream writes it"));
            foreach (var p in report.PendingClaims)
            {
                w.WriteLine($"  {p}");
            }
        }

        w.WriteLine();
        w.WriteLine(string.Create(c, $"Problems ({report.Problems.Count})"));
        foreach (var p in report.Problems)
        {
            w.WriteLine($"  x {p.Kind}  {p.Stream}  {p.Blob}");
            w.WriteLine($"      {p.Detail}");
        }

        w.WriteLine();
        w.WriteLine(string.Create(c, $"Orphans ({report.Orphans.Count}): content with no manifest, left by a failed or losing attempt; never counted as evidence"));
        foreach (var o in report.Orphans)
        {
            w.WriteLine($"  {o}");
        }

        w.WriteLine();
        w.WriteLine(string.Create(c, $"Error records ({report.ErrorRecords.Count}): failed attempts"));
        foreach (var e in report.ErrorRecords)
        {
            w.WriteLine($"  {e.Blob}{(e.WindowCommittedSince ? "  (window committed since)" : "  (window still open)")}");
            if (e.Reason is not null)
            {
                w.WriteLine($"      {e.Reason}");
            }
        }

        if (report.Rejections.Count > 0)
        {
            w.WriteLine();
            w.WriteLine(string.Create(c, $"Rejected messages ({report.Rejections.Count}): pushed messages refused with their reason; outside every stream"));
            foreach (var r in report.Rejections)
            {
                w.WriteLine($"  {r}");
            }
        }

        w.WriteLine();
        w.WriteLine(report.Intact
            ? "Result: INTACT: every manifest in scope is signed and matches its content, every chain is unbroken and claimed, no window is missing between the first and last, every anchored head holds."
            : string.Create(c, $"Result: NOT INTACT: {report.Problems.Count} integrity problem(s)."));
        return w.ToString();
    }
}
