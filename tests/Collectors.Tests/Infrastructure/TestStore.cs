using Azure.Storage.Blobs;
using Collectors.Configuration;
using Collectors.Evidence;
using Microsoft.Extensions.Logging.Abstractions;

namespace Collectors.Tests.Infrastructure;

/// <summary>A fresh pair of evidence and state containers on Azurite, and the real writer over them.</summary>
internal sealed class TestStore : IAsyncDisposable
{
    private TestStore(EvidenceOptions options, EvidenceStoreConnection connection)
    {
        Options = options;
        Connection = connection;
        Writer = NewWriter();
    }

    public EvidenceOptions Options { get; }

    public EvidenceStoreConnection Connection { get; }

    public EvidenceWriter Writer { get; }

    public BlobContainerClient Evidence => Connection.Evidence;

    public BlobContainerClient State => Connection.State!;

    public static TestStore Create(bool? requireImmutability = false, string? connectionString = null)
    {
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var options = new EvidenceOptions
        {
            ConnectionString = connectionString ?? Azurite.ConnectionString,
            Container = $"evidence-{suffix}",
            StateContainer = $"state-{suffix}",
            RequireImmutability = requireImmutability,
            BlockSizeMiB = 1,
        };
        return new TestStore(options, EvidenceStoreConnection.Create(options, new AzureOptions()));
    }

    /// <summary>Another writer over the same containers, as a second process would have.</summary>
    public EvidenceWriter NewWriter(TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var store = new EvidenceStore(Connection, Options, NullLogger<EvidenceStore>.Instance);
        var checkpoints = new CheckpointStore(Connection.State!, Connection.Evidence, time, NullLogger.Instance);
        return new EvidenceWriter(store, checkpoints, time, NullLogger<EvidenceWriter>.Instance);
    }

    public async Task<List<string>> ListAsync(string? suffix = null)
    {
        var names = new List<string>();
        if (!await Evidence.ExistsAsync())
        {
            return names;
        }

        await foreach (var item in Evidence.GetBlobsAsync())
        {
            if (suffix is null || item.Name.EndsWith(suffix, StringComparison.Ordinal))
            {
                names.Add(item.Name);
            }
        }

        return names;
    }

    public async ValueTask DisposeAsync()
    {
        await Evidence.DeleteIfExistsAsync();
        await State.DeleteIfExistsAsync();
    }
}
