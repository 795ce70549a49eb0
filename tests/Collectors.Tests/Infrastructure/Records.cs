using System.Runtime.CompilerServices;
using System.Text;
using Collectors.Evidence;

namespace Collectors.Tests.Infrastructure;

internal static class Records
{
    public static readonly EvidenceStream Stream = new("activity-log", "sub-00000000-0000-0000-0000-000000000001");

    public static TimeWindow Window(int index, int minutes = 15) =>
        new(new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero).AddMinutes(index * minutes),
            new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero).AddMinutes((index + 1) * minutes));

    public static EvidenceBatch Batch(TimeWindow window, EvidenceStream? stream = null) =>
        new("activity-log", ["CC8.1", "CC6.3"], stream ?? Stream, window);

    /// <summary>Compact JSON records of roughly <paramref name="size"/> bytes, each with a unique id.</summary>
    public static IEnumerable<byte[]> Synthetic(int count, int size = 1536, int seed = 0)
    {
        for (var i = 0; i < count; i++)
        {
            var head = $"{{\"id\":\"rec-{seed}-{i:D8}\",\"eventTimestamp\":\"2026-11-25T00:{i % 60:D2}:00Z\",\"caller\":\"user{i % 17}@contoso.com\",\"payload\":\"";
            var filler = Filler(Math.Max(0, size - head.Length - 2), (uint)(i * 7919 + seed + 1));
            yield return Encoding.UTF8.GetBytes(head + filler + "\"}");
        }
    }

    /// <summary>Hex text from a small xorshift generator: compresses like real identifiers do, not like a run of one letter.</summary>
    private static string Filler(int length, uint state)
    {
        var chars = new char[length];
        for (var k = 0; k < length; k++)
        {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            chars[k] = "0123456789abcdef"[(int)(state & 0xF)];
        }

        return new string(chars);
    }

    /// <summary>A source that serves the records in pages and reports itself complete.</summary>
    public static RecordSource Source(IEnumerable<byte[]> records, int pageSize = 100, Action? onStart = null, bool complete = true) =>
        (log, ct) => Enumerate(records, pageSize, log, onStart, complete, ct);

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Enumerate(IEnumerable<byte[]> records, int pageSize, SourceLog log, Action? onStart, bool complete, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        onStart?.Invoke();
        log.AddRequest(new SourceRequest("GET", "https://management.azure.com/subscriptions/x/providers/Microsoft.Insights/eventtypes/management/values", "2015-04-01", "eventTimestamp ge '…'"));
        var n = 0;
        log.AddPage();
        foreach (var record in records)
        {
            if (n > 0 && n % pageSize == 0)
            {
                log.AddPage();
                await Task.Yield();
            }

            cancellationToken.ThrowIfCancellationRequested();
            yield return record;
            n++;
        }

        if (complete)
        {
            log.MarkComplete();
        }
    }

    /// <summary>Bytes gzipped, as content blobs are stored (tests that plant altered content).</summary>
    public static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest))
        {
            gzip.Write(bytes);
        }

        return output.ToArray();
    }
}
