using System.Globalization;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Collectors.Evidence;

/// <summary>
/// Which days a stream's late-arrival sweep has covered: one small mutable blob per stream in the state
/// container. Losing it only means a day is swept again, which commits nothing new.
/// </summary>
public sealed class SweepLedger(BlobContainerClient state)
{
    public async Task<DateOnly?> LastSweptAsync(EvidenceStream stream, CancellationToken cancellationToken)
    {
        try
        {
            var content = (await state.GetBlobClient(Name(stream)).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value.Content.ToString();
            return DateOnly.ParseExact(content.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    public async Task RecordAsync(EvidenceStream stream, DateOnly day, CancellationToken cancellationToken) =>
        await state.GetBlobClient(Name(stream)).UploadAsync(
            BinaryData.FromString(day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            new BlobUploadOptions(),
            cancellationToken).ConfigureAwait(false);

    private static string Name(EvidenceStream stream) => $"{stream.Name}.sweep.txt";
}
