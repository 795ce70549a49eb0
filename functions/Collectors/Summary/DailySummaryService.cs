using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Collectors.Catalog;
using Collectors.Evidence;
using Microsoft.Extensions.Logging;
using Microsoft.Graph;
using Microsoft.Graph.Models;

namespace Collectors.Summary;

public sealed record SummaryRun(DailySummary Summary, string Html, CommitResult Commit, string? MailStatus);

/// <summary>
/// Builds, stores and sends the daily summary. The JSON document and the HTML report are committed as
/// the window [D, D+1) of the stream <c>summaries/daily</c> (same format and chain, so verify covers
/// them). Sending is claimed once per date in the state container, so a re-run never sends twice; a
/// failure is recorded write-once and reported in the next day's summary.
/// </summary>
public sealed partial class DailySummaryService(
    DailySummaryBuilder builder,
    EvidenceWriter writer,
    EvidenceReader reader,
    BlobContainerClient state,
    Func<GraphServiceClient> graph,
    SummaryOptions options,
    TimeProvider time,
    ILogger<DailySummaryService> logger)
{
    public static readonly EvidenceStream Stream = new(DailySummaryBuilder.SummariesCollector, "daily");

    public async Task<SummaryRun> RunAsync(DateOnly date, bool send, CancellationToken cancellationToken)
    {
        var previous = await LoadAsync(date.AddDays(-1), cancellationToken).ConfigureAwait(false);
        var committedAlready = await LoadAsync(date, cancellationToken).ConfigureAwait(false);
        DailySummary summary;
        CommitResult commit;
        var window = Window(date);
        if (committedAlready is not null)
        {
            // The summary of a day is written once; a re-run reuses it (and may still send it, once).
            summary = committedAlready;
            commit = new CommitResult(CommitStatus.AlreadyCommitted, Stream, window, EvidencePaths.Manifest(Stream, window), 1, null, "already committed");
        }
        else
        {
            var failures = await MailFailuresAsync(date.AddDays(-1), cancellationToken).ConfigureAwait(false);
            summary = await builder.BuildAsync(date, previous, failures, cancellationToken).ConfigureAwait(false);
            var json = JsonSerializer.SerializeToUtf8Bytes(summary, EvidenceJson.Compact);
            var html = HtmlReport.Render(summary);
            commit = await writer.CommitWindowAsync(
                new EvidenceBatch(Stream.Collector, ["CC2.1", "CC4.1"], Stream, window),
                (log, ct) => One(json, log, ct),
                [new EvidenceAttachment("report.html", "text/html; charset=utf-8", BinaryData.FromString(html))],
                cancellationToken).ConfigureAwait(false);
            if (commit.Status == CommitStatus.AlreadyCommitted)
            {
                summary = await LoadAsync(date, cancellationToken).ConfigureAwait(false) ?? summary;
            }
        }

        var report = HtmlReport.Render(summary);
        string? mail = null;
        if (send)
        {
            mail = await SendOnceAsync(summary, report, cancellationToken).ConfigureAwait(false);
        }

        return new SummaryRun(summary, report, commit, mail);
    }

    /// <summary>The committed summary of a day, if there is one.</summary>
    public async Task<DailySummary?> LoadAsync(DateOnly date, CancellationToken cancellationToken)
    {
        var window = Window(date);
        await foreach (var manifest in reader.ManifestsAsync(Stream, window.Start, window.End, cancellationToken).ConfigureAwait(false))
        {
            if (manifest.Manifest.Kind != "window" || manifest.Manifest.Window.Start != window.Start)
            {
                continue;
            }

            // Read to the end, so the content's hash and record count are checked before it is trusted.
            DailySummary? summary = null;
            await foreach (var record in reader.RecordsAsync(manifest, cancellationToken).ConfigureAwait(false))
            {
                summary ??= JsonSerializer.Deserialize<DailySummary>(record.Json.Span, EvidenceJson.Options);
            }

            return summary;
        }

        return null;
    }

    private async Task<string> SendOnceAsync(DailySummary summary, string html, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(options.Sender) || options.Recipients.Count == 0)
        {
            return "not sent: Summary__Sender and Summary__Recipients__0 must be set";
        }

        // The claim is the only thing that makes "send" happen at most once per date. It is overwritten,
        // never deleted: the state container may sit under the account's version-level retention.
        var claim = state.GetBlobClient($"summaries/daily/{summary.Date}.mail-claim.json");
        var sending = BinaryData.FromString($"{{\"state\":\"sending\",\"at\":\"{TimeWindow.Iso(time.GetUtcNow())}\"}}");
        ETag claimed;
        try
        {
            claimed = (await claim.UploadAsync(sending, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken).ConfigureAwait(false)).Value.ETag;
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            var existing = (await claim.DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value;
            if (!existing.Content.ToString().Contains("\"failed\"", StringComparison.Ordinal))
            {
                return $"already sent for {summary.Date}: not sent again";
            }

            try
            {
                claimed = (await claim.UploadAsync(sending, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfMatch = existing.Details.ETag } }, cancellationToken).ConfigureAwait(false)).Value.ETag;
            }
            catch (RequestFailedException again) when (again.Status is 409 or 412)
            {
                return $"another run is sending the summary of {summary.Date}: not sent twice";
            }
        }

        var folder = $"{Stream.Name}/{summary.Date[..4]}/{summary.Date[5..7]}/{summary.Date[8..10]}";
        try
        {
            var message = new Message
            {
                Subject = summary.Subject,
                Body = new ItemBody { ContentType = BodyType.Html, Content = html },
                ToRecipients = [.. options.Recipients.Select(r => new Recipient { EmailAddress = new EmailAddress { Address = r } })],
            };
            await graph().Users[options.Sender].SendMail.PostAsync(new Microsoft.Graph.Users.Item.SendMail.SendMailPostRequestBody { Message = message, SaveToSentItems = true }, cancellationToken: cancellationToken).ConfigureAwait(false);
            await reader.Container.GetBlobClient($"{folder}/{summary.Date}.mail-sent.json").UploadAsync(
                BinaryData.FromObjectAsJson(new { date = summary.Date, sentAt = time.GetUtcNow(), sender = options.Sender, recipients = options.Recipients, subject = summary.Subject }, EvidenceJson.Options),
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken).ConfigureAwait(false);
            LogSent(logger, summary.Date, options.Recipients.Count);
            return $"sent to {string.Join(", ", options.Recipients)}";
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            var code = ex is Microsoft.Graph.Models.ODataErrors.ODataError odata ? $"{odata.ResponseStatusCode} {odata.Error?.Code}: {odata.Error?.Message}" : ex.Message;
            var reason = $"Sending the summary of {summary.Date} from {options.Sender} failed: {code}. Mail.Send (application) must be granted and scoped to the sender's mailbox (docs/deploy.md).";
            await reader.Container.GetBlobClient($"{folder}/{summary.Date}.mail-error.{EvidenceWriter.NewRunId(time.GetUtcNow())}.json").UploadAsync(
                BinaryData.FromObjectAsJson(new { date = summary.Date, failedAt = time.GetUtcNow(), reason }, EvidenceJson.Options),
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken).ConfigureAwait(false);
            await claim.UploadAsync(
                BinaryData.FromString($"{{\"state\":\"failed\",\"at\":\"{TimeWindow.Iso(time.GetUtcNow())}\"}}"),
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfMatch = claimed } },
                cancellationToken).ConfigureAwait(false);
            LogMailFailed(logger, ex, summary.Date);
            return $"not sent: {reason}";
        }
    }

    private async Task<List<string>> MailFailuresAsync(DateOnly date, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        var prefix = $"{Stream.Name}/{date:yyyy}/{date:MM}/{date:dd}/";
        await foreach (var item in reader.Container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken).ConfigureAwait(false))
        {
            if (item.Name.Contains(".mail-error.", StringComparison.Ordinal))
            {
                using var document = JsonDocument.Parse((await reader.Container.GetBlobClient(item.Name).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content);
                failures.Add(document.RootElement.GetProperty("reason").GetString() ?? item.Name);
            }
        }

        return failures;
    }

    private static TimeWindow Window(DateOnly date)
    {
        var start = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        return new TimeWindow(start, start.AddDays(1));
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> One(byte[] json, SourceLog log, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        log.AddRequest(new SourceRequest("FILE", "evidence://manifests-errors-findings", null, null));
        log.AddPage();
        await Task.CompletedTask.ConfigureAwait(false);
        yield return json;
        log.MarkComplete();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Summary of {Date} sent to {Recipients} recipient(s)")]
    private static partial void LogSent(ILogger logger, string date, int recipients);

    [LoggerMessage(Level = LogLevel.Error, Message = "Summary of {Date} could not be sent; the failure is recorded and reported tomorrow")]
    private static partial void LogMailFailed(ILogger logger, Exception exception, string date);
}
