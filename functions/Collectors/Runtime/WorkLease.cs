using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Collectors.Evidence;

namespace Collectors.Runtime;

/// <summary>
/// One work item per stream at a time, across every instance: a lease on <c>&lt;stream&gt;.work.lock</c> in the
/// state container, renewed while the item runs. Two timer runs can plan overlapping items for one stream
/// (a slow run, a queue backlog); without this, both would read the source, and two late-arrival sweeps
/// reading the same known keys would store the same late records twice. The item that finds the stream busy
/// does nothing: whatever is left, the next timer run plans again from the checkpoint.
/// </summary>
internal sealed class WorkLease : IAsyncDisposable
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(60);
    private readonly BlobLeaseClient _lease;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _renewal;

    private WorkLease(BlobLeaseClient lease, TimeProvider time)
    {
        _lease = lease;
        _renewal = RenewAsync(time);
    }

    public static string BlobName(EvidenceStream stream) => $"{stream.Name}.work.lock";

    /// <summary>The lease, or null when another item holds the stream.</summary>
    public static async Task<WorkLease?> TryAcquireAsync(BlobContainerClient state, EvidenceStream stream, TimeProvider time, CancellationToken cancellationToken)
    {
        var blob = state.GetBlobClient(BlobName(stream));
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await blob.UploadAsync(BinaryData.FromString("{}"), new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (RequestFailedException ex) when (ex.Status is 409 or 412)
            {
                // Exists already (and may be leased): fine.
                break;
            }
            catch (RequestFailedException ex) when (ex.Status == 404 && attempt == 0)
            {
                // A new store on the emulator, before any write made its containers (Bicep makes them on Azure).
                await state.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }

        var lease = blob.GetBlobLeaseClient();
        try
        {
            await lease.AcquireAsync(Duration, cancellationToken: cancellationToken).ConfigureAwait(false);
            return new WorkLease(lease, time);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _renewal.ConfigureAwait(false);
        try
        {
            await _lease.ReleaseAsync().ConfigureAwait(false);
        }
        catch (RequestFailedException)
        {
            // Expired or broken meanwhile: it lapses by itself.
        }

        _stop.Dispose();
    }

    private Task RenewAsync(TimeProvider time) => LeaseRenewal.RunAsync(_lease, Duration / 3, time, _stop.Token);
}
