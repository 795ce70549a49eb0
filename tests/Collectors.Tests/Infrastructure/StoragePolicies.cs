using Azure.Core;
using Azure.Core.Pipeline;

namespace Collectors.Tests.Infrastructure;

/// <summary>
/// Freezes one writer's storage traffic, as a long GC pause or a network partition would: once
/// <see cref="Arm"/>ed by a request that matches, every later request of that pipeline waits until
/// <see cref="Release"/>. Requests already answered are not undone.
/// </summary>
internal sealed class FreezeAfterPolicy(Func<HttpMessage, bool> trigger) : HttpPipelinePolicy
{
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _frozen = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _armed;

    /// <summary>Completes when the first request has been held back.</summary>
    public Task Frozen => _frozen.Task;

    public void Release() => _released.TrySetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        if (_armed)
        {
            _frozen.TrySetResult();
            await _released.Task.ConfigureAwait(false);
        }

        await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
        if (!_armed && trigger(message) && message.Response.Status is >= 200 and < 300)
        {
            _armed = true;
        }
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();
}

/// <summary>Fails every request that matches with a 503 from the "service", as a storage outage would.</summary>
internal sealed class FailWhenPolicy(Func<HttpMessage, bool> fail) : HttpPipelinePolicy
{
    public bool Enabled { get; set; } = true;

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        if (Enabled && fail(message))
        {
            throw new Azure.RequestFailedException(503, "The storage service is unavailable (injected by the test).", "ServerBusy", null);
        }

        await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();
}

internal static class StorageRequests
{
    public static bool IsClaimPut(HttpMessage message) =>
        message.Request.Method == RequestMethod.Put && message.Request.Uri.Path.Contains("/chain/", StringComparison.Ordinal);

    public static bool IsManifestPut(HttpMessage message) =>
        message.Request.Method == RequestMethod.Put && message.Request.Uri.Path.EndsWith(".manifest.json", StringComparison.Ordinal);
}
