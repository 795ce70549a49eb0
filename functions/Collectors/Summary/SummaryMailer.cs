using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Collectors.Evidence;
using Microsoft.Extensions.Logging;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Graph.Users.Item.SendMail;

namespace Collectors.Summary;

/// <summary>
/// Sends a day's summary at most once. A claim blob per date in the state container says who is sending
/// (<c>sending</c>), that it went (<c>sent</c>) or that it may be tried again (<c>failed</c>); it is
/// overwritten with If-Match, never deleted (the state container may sit under version-level retention).
/// Every failure, including a send interrupted past <see cref="SummaryOptions.SendTimeoutMinutes"/>, is
/// recorded write-once beside the summary, where the next day's summary finds it.
/// </summary>
internal sealed partial class SummaryMailer(BlobContainerClient evidence, EvidenceSealer sealer, BlobContainerClient state, Func<GraphServiceClient> graph, SummaryOptions options, TimeProvider time, ILogger logger)
{
    private const string Sending = "sending";
    private const string Sent = "sent";
    private const string Failed = "failed";

    private TimeSpan SendTimeout => TimeSpan.FromMinutes(options.SendTimeoutMinutes);

    public async Task<string> SendOnceAsync(DailySummary summary, string html, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(options.Sender) || options.Recipients.Count == 0)
        {
            return "not sent: Summary__Sender and Summary__Recipients__0 must be set";
        }

        var (claim, refusal) = await ClaimAsync(summary.Date, cancellationToken).ConfigureAwait(false);
        return claim is { } owned
            ? await SendAsync(summary, html, owned, cancellationToken).ConfigureAwait(false)
            : refusal!;
    }

    /// <summary>Records the date's send as failed if it was claimed more than the send timeout ago and never finished.</summary>
    public async Task RecordIfInterruptedAsync(string date, CancellationToken cancellationToken)
    {
        if (await ReadClaimAsync(ClaimBlob(date), cancellationToken).ConfigureAwait(false) is { } claim)
        {
            await SettleIfInterruptedAsync(date, claim, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The reasons of the mail failures recorded for a date's summary.</summary>
    public async Task<List<string>> FailuresAsync(DateOnly date, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        await foreach (var item in evidence.GetBlobsAsync(new GetBlobsOptions { Prefix = Folder(Format(date)) + "/" }, cancellationToken).ConfigureAwait(false))
        {
            if (item.Name.Contains(".mail-error.", StringComparison.Ordinal))
            {
                // Anyone who can write to storage could drop a blob here: only a record this deployment signed is read as one.
                var data = (await evidence.GetBlobClient(item.Name).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content;
                var check = await sealer.Check.CheckAsync(data.ToMemory(), cancellationToken).ConfigureAwait(false);
                MailErrorRecord? record = null;
                try
                {
                    record = check.Valid ? data.ToObjectFromJson<MailErrorRecord>(EvidenceJson.Options) : null;
                }
                catch (JsonException)
                {
                    // Signed but unreadable: reported below like an untrusted one.
                }

                failures.Add(record?.Reason is { Length: > 0 } reason
                    ? reason
                    : $"{item.Name} looks like a mail failure record but is not one this deployment signed ({check.Problem ?? "unreadable"}): it was not read; run 'collectors verify'.");
            }
        }

        return failures;
    }

    /// <summary>Takes the date's claim: a new one, or one whose earlier send failed or was interrupted. Otherwise says why not.</summary>
    private async Task<(OwnedClaim? Claim, string? Refusal)> ClaimAsync(string date, CancellationToken cancellationToken)
    {
        var blob = ClaimBlob(date);
        var now = time.GetUtcNow();
        try
        {
            var created = await blob.UploadAsync(Document(Sending, now), new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken).ConfigureAwait(false);
            return (new OwnedClaim(blob, created.Value.ETag, now), null);
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            // Claimed before: decided below from what the claim says.
        }

        var existing = await ReadClaimAsync(blob, cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            existing = await SettleIfInterruptedAsync(date, existing, cancellationToken).ConfigureAwait(false);
        }

        switch (existing?.State)
        {
            case Failed:
                try
                {
                    var taken = await blob.UploadAsync(Document(Sending, now), new BlobUploadOptions { Conditions = new BlobRequestConditions { IfMatch = existing.ETag } }, cancellationToken).ConfigureAwait(false);
                    return (new OwnedClaim(blob, taken.Value.ETag, now), null);
                }
                catch (RequestFailedException ex) when (ex.Status is 409 or 412)
                {
                    return (null, $"another run is sending the summary of {date}: not sent twice");
                }

            case Sending:
                return (null, $"another run has been sending the summary of {date} since {TimeWindow.Iso(existing.At)}: not sent twice (after Summary__SendTimeoutMinutes, {options.SendTimeoutMinutes}, it counts as interrupted and may be sent again)");
            default:
                return (null, $"already sent for {date}: not sent again");
        }
    }

    private async Task<string> SendAsync(DailySummary summary, string html, OwnedClaim claim, CancellationToken cancellationToken)
    {
        try
        {
            var message = new Message
            {
                Subject = summary.Subject,
                Body = new ItemBody { ContentType = BodyType.Html, Content = html },
                ToRecipients = [.. options.Recipients.Select(r => new Recipient { EmailAddress = new EmailAddress { Address = r } })],
            };
            await graph().Users[options.Sender].SendMail.PostAsync(new SendMailPostRequestBody { Message = message, SaveToSentItems = true }, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            var code = ex is ODataError odata ? $"{odata.ResponseStatusCode} {odata.Error?.Code}: {odata.Error?.Message}" : ex.Message;
            var reason = $"Sending the summary of {summary.Date} from {options.Sender} failed: {code}. Mail.Send (application) must be granted and scoped to the sender's mailbox (docs/deploy.md).";
            await RecordFailureAsync(summary.Date, claim.At, reason, cancellationToken).ConfigureAwait(false);
            await SetStateAsync(claim.Blob, claim.ETag, Failed, cancellationToken).ConfigureAwait(false);
            LogMailFailed(logger, ex, summary.Date);
            return $"not sent: {reason}";
        }

        await CreateOnceAsync(
            $"{Folder(summary.Date)}/{summary.Date}.mail-sent.json",
            new MailSentRecord(summary.Date, time.GetUtcNow(), options.Sender!, options.Recipients, summary.Subject, summary.Anchor?.Digest),
            cancellationToken).ConfigureAwait(false);
        await SetStateAsync(claim.Blob, claim.ETag, Sent, cancellationToken).ConfigureAwait(false);
        LogSent(logger, summary.Date, options.Recipients.Count);
        return $"sent to {string.Join(", ", options.Recipients)}";
    }

    /// <summary>
    /// A claim left at <c>sending</c> past the timeout belongs to a run that died: if its mail-sent record
    /// exists the mail went; otherwise the send is recorded as failed (Graph may or may not have accepted
    /// it) and the claim becomes <c>failed</c>. Racing runs name the record the same, so it is written once.
    /// </summary>
    private async Task<ClaimState?> SettleIfInterruptedAsync(string date, ClaimState claim, CancellationToken cancellationToken)
    {
        if (claim.State != Sending || time.GetUtcNow() - claim.At < SendTimeout)
        {
            return claim;
        }

        var blob = ClaimBlob(date);
        if (await evidence.GetBlobClient($"{Folder(date)}/{date}.mail-sent.json").ExistsAsync(cancellationToken).ConfigureAwait(false))
        {
            await SetStateAsync(blob, claim.ETag, Sent, cancellationToken).ConfigureAwait(false);
            return await ReadClaimAsync(blob, cancellationToken).ConfigureAwait(false);
        }

        var reason = string.Create(CultureInfo.InvariantCulture,
            $"Sending the summary of {date} was interrupted: a run claimed it at {TimeWindow.Iso(claim.At)} and did not finish within Summary__SendTimeoutMinutes ({options.SendTimeoutMinutes}); whether Graph accepted the message is unknown. Check the sender's Sent Items; 'collectors summary --date {date} --send' sends it again.");
        await RecordFailureAsync(date, claim.At, reason, cancellationToken).ConfigureAwait(false);
        await SetStateAsync(blob, claim.ETag, Failed, cancellationToken).ConfigureAwait(false);
        LogInterrupted(logger, date, claim.At);
        return await ReadClaimAsync(blob, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One write-once error record per claim: named by the claim's time, so a failure is never recorded twice.</summary>
    private Task RecordFailureAsync(string date, DateTimeOffset claimedAt, string reason, CancellationToken cancellationToken) =>
        CreateOnceAsync(
            string.Create(CultureInfo.InvariantCulture, $"{Folder(date)}/{date}.mail-error.{claimedAt.UtcDateTime:yyyyMMdd'T'HHmmssfff'Z'}.json"),
            new MailErrorRecord(date, time.GetUtcNow(), reason),
            cancellationToken);

    /// <summary>Signed and write-once: a record a racing run wrote first stands.</summary>
    private Task CreateOnceAsync<T>(string name, T record, CancellationToken cancellationToken) => sealer.CreateSignedAsync(name, record, cancellationToken);

    /// <summary>Moves the claim on if nobody else has since; a lost race leaves the other run's state.</summary>
    private async Task SetStateAsync(BlobClient blob, ETag expected, string state, CancellationToken cancellationToken)
    {
        try
        {
            await blob.UploadAsync(Document(state, time.GetUtcNow()), new BlobUploadOptions { Conditions = new BlobRequestConditions { IfMatch = expected } }, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            LogClaimMoved(logger, blob.Name, state);
        }
    }

    private static async Task<ClaimState?> ReadClaimAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        BlobDownloadResult download;
        try
        {
            download = (await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }

        var document = download.Content.ToObjectFromJson<ClaimDocument>(EvidenceJson.Options);
        // A claim without a readable time dates from when it was last written.
        return new ClaimState(document?.State ?? Sending, document?.At ?? download.Details.LastModified, download.Details.ETag);
    }

    private BlobClient ClaimBlob(string date) => state.GetBlobClient($"{DailySummaryService.Stream.Name}/{date}.mail-claim.json");

    private static BinaryData Document(string state, DateTimeOffset at) => BinaryData.FromObjectAsJson(new ClaimDocument(state, at), EvidenceJson.Options);

    private static string Folder(string date) => $"{DailySummaryService.Stream.Name}/{date[..4]}/{date[5..7]}/{date[8..10]}";

    private static string Format(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private sealed record ClaimDocument([property: JsonPropertyName("state")] string State, [property: JsonPropertyName("at")] DateTimeOffset? At);

    private sealed record ClaimState(string State, DateTimeOffset At, ETag ETag);

    private sealed record OwnedClaim(BlobClient Blob, ETag ETag, DateTimeOffset At);

    [LoggerMessage(Level = LogLevel.Information, Message = "Summary of {Date} sent to {Recipients} recipient(s)")]
    private static partial void LogSent(ILogger logger, string date, int recipients);

    [LoggerMessage(Level = LogLevel.Error, Message = "Summary of {Date} could not be sent; the failure is recorded and reported tomorrow")]
    private static partial void LogMailFailed(ILogger logger, Exception exception, string date);

    [LoggerMessage(Level = LogLevel.Error, Message = "Sending the summary of {Date}, claimed at {ClaimedAt:o}, was interrupted; recorded as a mail failure, and the date may be sent again")]
    private static partial void LogInterrupted(ILogger logger, string date, DateTimeOffset claimedAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mail claim {Claim} was changed by another run; left as that run set it instead of {State}")]
    private static partial void LogClaimMoved(ILogger logger, string claim, string state);
}

/// <summary>The record that a day's summary was handed to Graph for sending (written once, signed), with the anchor digest the mail carried.</summary>
internal sealed record MailSentRecord(string Date, DateTimeOffset SentAt, string Sender, IReadOnlyList<string> Recipients, string Subject, string? Anchor);

/// <summary>The record that sending a day's summary failed or was interrupted (written once, signed), reported the next day.</summary>
internal sealed record MailErrorRecord(string Date, DateTimeOffset FailedAt, string Reason);
