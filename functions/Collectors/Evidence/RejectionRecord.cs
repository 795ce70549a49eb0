namespace Collectors.Evidence;

/// <summary>
/// A pushed message that was refused (schema <c>collectors.rejection/v1</c>): the message exactly as it
/// arrived and why. Write-once, under <c>rejections/</c>; the message itself is completed, never lost.
/// </summary>
public sealed record RejectionRecord
{
    public const string SchemaId = "collectors.rejection/v1";

    public string Schema { get; init; } = SchemaId;

    /// <summary>Where the message came from: the queue's name, or <c>cli</c>.</summary>
    public required string Source { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }

    /// <summary>Why the message (or the events listed) was refused, in words a user can act on.</summary>
    public required string Reason { get; init; }

    /// <summary>The events of the message that were refused; empty when the message itself could not be read.</summary>
    public required IReadOnlyList<RejectedEvent> Events { get; init; }

    /// <summary>Events of the same message that were accepted into evidence (a message may mix both).</summary>
    public required int AcceptedEvents { get; init; }

    public required RejectedMessage Message { get; init; }

    public required string CollectorVersion { get; init; }
}

/// <summary>One refused event of a message: its position, what could be read of it, and why.</summary>
public sealed record RejectedEvent(int Index, string? Id, string? Type, string Reason)
{
    /// <summary>Set when the event's id was already committed with other content: what is stored, and what came.</summary>
    public EventConflict? Conflict { get; init; }
}

/// <summary>
/// An event id committed before, delivered again with different content. The stored evidence is untouched;
/// the hashes let an auditor tell the two apart: <see cref="StoredSha256"/> is the manifest's
/// <c>content.uncompressedSha256</c> (the stored NDJSON: the event's line and a newline), <see cref="ReceivedSha256"/>
/// the same hash over the event that came now, normalised the same way.
/// </summary>
public sealed record EventConflict(string Manifest, string StoredSha256, string StoredContentSha256, string ReceivedSha256);

/// <summary>
/// The raw message: its text as delivered (<see cref="Text"/>), or, when that is not valid UTF-8, its bytes
/// in Base64 (<see cref="Base64"/>); the SHA-256 of the bytes names the record.
/// </summary>
public sealed record RejectedMessage(string? Text, string? Base64, long Bytes, string Sha256, string Encoding)
{
    /// <summary>The message as delivered: its text when it is valid UTF-8, else its bytes in Base64.</summary>
    public static RejectedMessage Of(ReadOnlySpan<byte> bytes)
    {
        string? text;
        try
        {
            text = new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (System.Text.DecoderFallbackException)
        {
            text = null;
        }

        return new RejectedMessage(text, text is null ? Convert.ToBase64String(bytes) : null, bytes.Length, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), text is null ? "base64" : "utf-8");
    }
}
