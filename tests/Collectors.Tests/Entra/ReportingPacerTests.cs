using Collectors.Entra;
using Microsoft.Extensions.Time.Testing;

namespace Collectors.Tests.Entra;

/// <summary>The pacer on a fake clock: what it lets through is decided by time, not by how busy the machine is.</summary>
[TestClass]
public sealed class ReportingPacerTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 25, 0, 0, 0, TimeSpan.Zero);

    private static async Task<List<TimeSpan>> RunAsync(FakeTimeProvider time, ReportingPacer pacer, int requests, Action? beforeStart = null)
    {
        beforeStart?.Invoke();
        var started = new List<TimeSpan>();
        var tasks = Enumerable.Range(0, requests).Select(async _ =>
        {
            await pacer.WaitTurnAsync(CancellationToken.None);
            lock (started)
            {
                started.Add(time.GetUtcNow() - Start);
            }
        }).ToList();
        for (var step = 0; step < 2000 && !tasks.All(t => t.IsCompleted); step++)
        {
            await Task.Delay(1);
            time.Advance(TimeSpan.FromMilliseconds(100));
        }

        Assert.IsTrue(tasks.All(t => t.IsCompleted), "every request got its turn");
        return [.. started.Order()];
    }

    [TestMethod]
    public async Task NoMoreThanFiveRequestsStartInAnyWindow()
    {
        var time = new FakeTimeProvider(Start);
        var pacer = new ReportingPacer(5, TimeSpan.FromSeconds(10), time);

        var started = await RunAsync(time, pacer, 17);

        Assert.HasCount(17, started);
        Assert.IsTrue(started.Take(5).All(t => t == TimeSpan.Zero), "the first five go at once");
        for (var i = 5; i < started.Count; i++)
        {
            Assert.IsGreaterThanOrEqualTo(TimeSpan.FromSeconds(10), started[i] - started[i - 5], $"request {i} started {started[i]} after request {i - 5} at {started[i - 5]}");
        }

        Assert.IsLessThanOrEqualTo(TimeSpan.FromSeconds(32), started[^1], "and no slower than the limit needs (three more windows of 10.5 s)");
        Assert.AreEqual(TimeSpan.FromSeconds(2), pacer.Interval);
    }

    [TestMethod]
    public async Task A429RetryAfterPausesEveryone()
    {
        var time = new FakeTimeProvider(Start);
        var pacer = new ReportingPacer(5, TimeSpan.FromSeconds(10), time);

        var started = await RunAsync(time, pacer, 2, () => pacer.Pause(TimeSpan.FromSeconds(7)));

        Assert.IsTrue(started.All(t => t >= TimeSpan.FromSeconds(7)), string.Join(", ", started));
        Assert.AreEqual(1, pacer.Throttled);
    }
}
