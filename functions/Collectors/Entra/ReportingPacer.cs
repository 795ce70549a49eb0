using System.Net;

namespace Collectors.Entra;

/// <summary>
/// Keeps calls to the Entra reporting APIs under their limit (5 requests per 10 seconds per app and
/// tenant): at most <c>limit</c> requests start in any sliding window, shared by every caller in the
/// process; a 429's Retry-After pauses all of them. It sits innermost in the Graph pipeline, so the
/// SDK's own retries are paced too.
/// </summary>
internal sealed class ReportingPacer(int limit, TimeSpan window, TimeProvider time)
{
    /// <summary>The service counts requests when they arrive, the pacer when they leave: keep 5% in hand.</summary>
    private readonly TimeSpan _window = window * 1.05;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Queue<long> _starts = new();
    private long _pausedUntil;

    public int Limit => limit;

    public TimeSpan Window => window;

    /// <summary>The average interval the pacing allows between requests (window ÷ limit).</summary>
    public TimeSpan Interval => limit <= 0 ? TimeSpan.Zero : window / limit;

    public int Throttled { get; private set; }

    public async Task WaitTurnAsync(CancellationToken cancellationToken)
    {
        if (limit <= 0)
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                var now = time.GetTimestamp();
                var pause = TimeSpan.FromTicks(Math.Max(0, Interlocked.Read(ref _pausedUntil) - time.GetUtcNow().UtcTicks));
                while (_starts.Count > 0 && time.GetElapsedTime(_starts.Peek(), now) >= _window)
                {
                    _starts.Dequeue();
                }

                var wait = _starts.Count >= limit ? _window - time.GetElapsedTime(_starts.Peek(), now) : TimeSpan.Zero;
                wait = wait > pause ? wait : pause;
                if (wait <= TimeSpan.Zero)
                {
                    _starts.Enqueue(now);
                    return;
                }

                await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The service said 429: nobody starts a request before its Retry-After has passed.</summary>
    public void Pause(TimeSpan retryAfter)
    {
        Throttled++;
        var until = time.GetUtcNow().Add(retryAfter).UtcTicks;
        long current;
        do
        {
            current = Interlocked.Read(ref _pausedUntil);
            if (current >= until)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _pausedUntil, until, current) != current);
    }

    /// <summary>The pacer as an HTTP handler.</summary>
    public DelegatingHandler CreateHandler() => new Handler(this);

    internal static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues("retry-after-ms", out var ms) && double.TryParse(ms.FirstOrDefault(), System.Globalization.CultureInfo.InvariantCulture, out var milliseconds))
        {
            return TimeSpan.FromMilliseconds(milliseconds);
        }

        // Graph sometimes sends fractional seconds ("Retry-After: 2.128"), which the typed header rejects.
        if (response.Headers.TryGetValues("Retry-After", out var raw) && double.TryParse(raw.FirstOrDefault(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - DateTimeOffset.UtcNow,
            _ => null,
        };
    }

    private sealed class Handler(ReportingPacer pacer) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await pacer.WaitTurnAsync(cancellationToken).ConfigureAwait(false);
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                pacer.Pause(RetryAfter(response) ?? pacer.Window);
            }

            return response;
        }
    }
}
