using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Collectors.Evidence;

namespace Collectors.Cli.Audit;

/// <summary>One sampled record and its proof.</summary>
internal sealed record SampleItem(
    int Number,
    string Manifest,
    string? ManifestSha256,
    long Line,
    DateTimeOffset WindowStart,
    DateTimeOffset WindowEnd,
    string ContentBlob,
    string? ContentVersionId,
    string ContentSha256,
    string UncompressedSha256,
    string RecordSha256,
    string SelectionKey,
    [property: JsonIgnore] byte[] Bytes)
{
    /// <summary>The record itself, as stored (its exact bytes are in records/&lt;n&gt;.json); null if it is not JSON.</summary>
    public JsonElement? Record
    {
        get
        {
            try
            {
                return JsonSerializer.Deserialize<JsonElement>(Bytes);
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }
}

/// <param name="Excluded">Manifests in the range that were left out of the population: not signed by a trusted key, or content that no longer matches.</param>
internal sealed record SampleResult(string Schema, string Stream, string From, string To, string Seed, int Requested, long Population, string Method, IReadOnlyList<SampleItem> Items, IReadOnlyList<string> Excluded);

/// <summary>
/// A reproducible random sample of a stream's records. Every record of the range gets the key
/// SHA-256("&lt;seed&gt;\n&lt;manifest&gt;\n&lt;line&gt;") and the <c>count</c> smallest keys are the sample: the
/// same seed always gives the same records, anyone can recompute it with sha256sum, and no
/// random-number generator (whose algorithm may change between runtimes) is involved. Each record is read
/// through its manifest, which re-hashes the whole content: a sampled record is proven to be in
/// the content the manifest's SHA-256 covers.
/// </summary>
internal static class EvidenceSample
{
    public const string SchemaId = "collectors.sample/v1";

    public const int MaxCount = 10_000;

    public static async Task<SampleResult> DrawAsync(EvidenceReader reader, EvidenceStream stream, DateOnly from, DateOnly to, int count, string seed, CancellationToken cancellationToken)
    {
        var start = new DateTimeOffset(from.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var end = new DateTimeOffset(to.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        // A max-heap of the smallest keys so far: the root is the largest kept key.
        var kept = new PriorityQueue<(string Key, long Order, CommittedManifest Manifest, long Line, byte[] Bytes), string>(Comparer<string>.Create((a, b) => string.CompareOrdinal(b, a)));
        long population = 0;
        var untrusted = new List<string>();
        var excluded = new List<string>();
        await foreach (var manifest in reader.ManifestsAsync(stream, start, end, cancellationToken, untrusted).ConfigureAwait(false))
        {
            if (manifest.Manifest.Window.Start < start || manifest.Manifest.Window.Start >= end)
            {
                continue;
            }

            // A manifest's records join the population only once its whole content has matched the manifest.
            var lines = new List<(string Key, long Line, byte[] Bytes)>();
            try
            {
                await foreach (var record in reader.RecordsAsync(manifest, cancellationToken).ConfigureAwait(false))
                {
                    var line = record.Line + 1;
                    var key = Key(seed, manifest.Name, line);
                    lines.Add((key, line, kept.Count < count || string.CompareOrdinal(key, kept.Peek().Key) < 0 ? record.Json.ToArray() : []));
                }
            }
            catch (InvalidDataException ex)
            {
                excluded.Add($"{manifest.Name}: {ex.Message}");
                continue;
            }

            foreach (var (key, line, bytes) in lines)
            {
                var order = population++;
                if (kept.Count < count)
                {
                    kept.Enqueue((key, order, manifest, line, bytes), key);
                }
                else if (string.CompareOrdinal(key, kept.Peek().Key) < 0)
                {
                    kept.EnqueueDequeue((key, order, manifest, line, bytes), key);
                }
            }
        }

        excluded.InsertRange(0, untrusted.Select(u => $"{u} (not signed by a trusted key)"));

        var number = 0;
        var items = kept.UnorderedItems.Select(x => x.Element).OrderBy(x => x.Order).Select(x => new SampleItem(
            ++number,
            x.Manifest.Name,
            x.Manifest.StoredSha256,
            x.Line,
            x.Manifest.Manifest.Window.Start,
            x.Manifest.Manifest.Window.End,
            x.Manifest.Manifest.Content.Blob,
            x.Manifest.Manifest.Content.VersionId,
            x.Manifest.Manifest.Content.Sha256,
            x.Manifest.Manifest.Content.UncompressedSha256,
            Convert.ToHexStringLower(SHA256.HashData(x.Bytes)),
            x.Key,
            x.Bytes)).ToList();
        return new SampleResult(SchemaId, stream.Name, from.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), to.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            seed, count, population,
            "Each record of the range (windows starting from 'from' 00:00Z to the end of 'to') gets the key SHA-256(\"<seed>\\n<manifest>\\n<line>\") as lower-case hex, line 1-based; the records with the smallest keys are the sample, listed in stored order.",
            items,
            excluded);
    }

    public static string Key(string seed, string manifest, long line) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}\n{manifest}\n{line.ToString(System.Globalization.CultureInfo.InvariantCulture)}")));
}
