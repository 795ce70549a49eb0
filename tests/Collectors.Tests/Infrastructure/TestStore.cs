using Azure.Storage.Blobs;
using Collectors.Configuration;
using Collectors.Evidence;
using Collectors.Signing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Collectors.Tests.Infrastructure;

/// <summary>A fresh pair of evidence and state containers on Azurite, and the real writer over them.</summary>
internal sealed class TestStore : IAsyncDisposable
{
    private TestStore(EvidenceOptions options, EvidenceStoreConnection connection)
    {
        Options = options;
        Connection = connection;
        Signer = new LocalSigner(connection.State!);
        Writer = NewWriter();
    }

    /// <summary>The store's local signing key (kept in its state container), shared by every writer made here.</summary>
    public LocalSigner Signer { get; }

    public EvidenceOptions Options { get; }

    public EvidenceStoreConnection Connection { get; }

    public EvidenceWriter Writer { get; }

    public BlobContainerClient Evidence => Connection.Evidence;

    public BlobContainerClient State => Connection.State!;

    public static TestStore Create(bool? requireImmutability = false, string? connectionString = null) => Create(requireImmutability, connectionString, configure: null);

    /// <summary>A store whose blob client options are adjusted (e.g. a policy that delays or fails some requests).</summary>
    public static TestStore Create(bool? requireImmutability, string? connectionString, Action<Azure.Storage.Blobs.BlobClientOptions>? configure)
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
        return new TestStore(options, EvidenceStoreConnection.Create(options, new AzureOptions(), configure: configure));
    }

    /// <summary>Another writer over the same containers, as a second process would have.</summary>
    public EvidenceWriter NewWriter(TimeProvider? time = null) => NewWriter(Connection, time);

    /// <summary>A writer over the same containers reached through another connection (its own pipeline), as another process would have.</summary>
    public EvidenceWriter NewWriter(EvidenceStoreConnection connection, TimeProvider? time = null, TimeSpan? leaseDuration = null, IEvidenceSigner? signer = null)
    {
        time ??= TimeProvider.System;
        var store = new EvidenceStore(connection, Options, NullLogger<EvidenceStore>.Instance);
        var checkpoints = new CheckpointStore(connection.State!, connection.Evidence, time, NullLogger.Instance, leaseDuration);
        return new EvidenceWriter(store, checkpoints, new EvidenceSealer(store, signer ?? Signer), time, NullLogger<EvidenceWriter>.Instance);
    }

    /// <summary>Another connection to the same containers, with its own blob client options.</summary>
    public EvidenceStoreConnection Connect(Action<Azure.Storage.Blobs.BlobClientOptions> configure) =>
        EvidenceStoreConnection.Create(Options, new AzureOptions(), configure: configure);

    /// <summary>Signs a record with the store's own key, as an insider holding the key could (tests of what the chain catches beyond signatures).</summary>
    public async Task<BinaryData> SealAsync<T>(T record)
    {
        var bytes = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(record, EvidenceJson.Options);
        var signature = await Signer.SignAsync(SignedJson.Digest(bytes), CancellationToken.None);
        return new BinaryData(SignedJson.Seal(bytes, signature));
    }

    /// <summary>Reads every record the store's own key can vouch for (the writer's check).</summary>
    public EvidenceReader Reader => new(Evidence, new SignerKeyCheck(Signer));

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
        Signer.Dispose();
        await Evidence.DeleteIfExistsAsync();
        await State.DeleteIfExistsAsync();
    }
}
