using System.IO.Compression;
using Collectors.Configuration;
using Collectors.Evidence;
using Collectors.Entra;
using Collectors.Simulator;
using Collectors.Summary;
using Collectors.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Collectors.Tests.Summary;

[TestClass]
public sealed class SummaryMailTests
{
    private static readonly DateOnly D = SummaryFixture.Day(3);

    internal static DailySummaryService Service(TestStore store, TenantSimulator simulator, TimeProvider clock, SummaryOptions? options = null, Collectors.Evidence.EvidenceWriter? writer = null)
    {
        var azure = new AzureOptions
        {
            Credential = CredentialKind.Simulator,
            ResourceManagerEndpoint = simulator.BaseUri,
            GraphEndpoint = simulator.BaseUri,
            AdditionalTrustedCertificate = simulator.CertificatePath,
            Retry = new HttpRetryOptions { DelaySeconds = 0.05, MaxRetries = 1 },
        };
        return new DailySummaryService(
            SummaryFixture.Builder(store, clock),
            writer ?? store.NewWriter(clock),
            store.Reader,
            store.State,
            () => GraphReportingClient.CreateGraphClient(azure, new SimulatorCredential()),
            options ?? Options(),
            clock,
            NullLogger<DailySummaryService>.Instance);
    }

    internal static SummaryOptions Options() => new() { Sender = "soc2-noreply@contoso.com", Recipients = ["security@contoso.com", "cto@contoso.com"] };

    /// <summary>What a run killed during sendMail leaves behind: the claim, never moved on from "sending".</summary>
    private static Task LeaveSendingClaimAsync(TestStore store, DateOnly date, DateTimeOffset claimedAt) =>
        store.State.GetBlobClient($"summaries/daily/{date:yyyy-MM-dd}.mail-claim.json").UploadAsync(
            BinaryData.FromString($"{{\"state\":\"sending\",\"at\":\"{TimeWindow.Iso(claimedAt)}\"}}"));

    private static async Task<List<string>> MailErrorsAsync(TestStore store) =>
        [.. (await store.ListAsync(".json")).Where(n => n.Contains(".mail-error.", StringComparison.Ordinal))];

    [TestMethod]
    public async Task ARerunForTheSameDateNeverSendsTwice()
    {
        await using var store = TestStore.Create();
        await using var simulator = await TenantSimulator.StartAsync(new SimulatorOptions());
        await SummaryFixture.CommitDayAsync(store, D, violations: new() { [3] = SummaryFixture.OutOfBand("oob-mail", SummaryFixture.Start(D).AddMinutes(50)) });
        var service = Service(store, simulator, new ShiftedClock(SummaryFixture.Start(D).AddDays(1).AddHours(6)));

        var first = await service.RunAsync(D, send: true, CancellationToken.None);
        var second = await service.RunAsync(D, send: true, CancellationToken.None);

        Assert.AreEqual(CommitStatus.Committed, first.Commit.Status);
        Assert.AreEqual(CommitStatus.AlreadyCommitted, second.Commit.Status, "the summary of a day is written once");
        StringAssert.StartsWith(first.MailStatus, "sent to");
        StringAssert.StartsWith(second.MailStatus, "already sent");
        var mail = simulator.Mail.Sent.Single();
        Assert.AreEqual(first.Summary.Subject, mail.Subject);
        StringAssert.Contains(mail.Subject, "1 FAIL");
        CollectionAssert.AreEqual(new[] { "security@contoso.com", "cto@contoso.com" }, mail.To.ToArray());
        StringAssert.Contains(mail.Html, "oob-mail");
        Assert.IsTrue(File.Exists(mail.HtmlPath));

        var verify = await CollectorsCommand.RunAsync(["verify", "--connection-string", store.Options.ConnectionString!, "--container", store.Options.Container, "--stream", "summaries/daily"]);
        Assert.AreEqual(0, verify.ExitCode, verify.Output + verify.Error);
        StringAssert.Contains(verify.Output, "1 manifests");
    }

    [TestMethod]
    public async Task AMailFailureIsRecordedAndReportedTheNextDay()
    {
        await using var store = TestStore.Create();
        await using var refusing = await TenantSimulator.StartAsync(new SimulatorOptions { RefuseMail = true });
        var next = D.AddDays(1);
        await SummaryFixture.CommitDayAsync(store, D);
        await SummaryFixture.CommitDayAsync(store, next);

        var failed = await Service(store, refusing, new ShiftedClock(SummaryFixture.Start(D).AddDays(1).AddHours(6))).RunAsync(D, send: true, CancellationToken.None);
        await using var working = await TenantSimulator.StartAsync(new SimulatorOptions());
        var retried = await Service(store, working, new ShiftedClock(SummaryFixture.Start(D).AddDays(1).AddHours(7))).RunAsync(D, send: true, CancellationToken.None);
        var tomorrow = await Service(store, working, new ShiftedClock(SummaryFixture.Start(next).AddDays(1).AddHours(6))).RunAsync(next, send: false, CancellationToken.None);

        StringAssert.StartsWith(failed.MailStatus, "not sent");
        StringAssert.Contains(failed.MailStatus, "ErrorAccessDenied");
        StringAssert.StartsWith(retried.MailStatus, "sent to", "a failed send does not block a later one");
        Assert.HasCount(1, working.Mail.Sent);
        StringAssert.Contains(tomorrow.Summary.MailFailures.Single(), "Mail.Send");
        StringAssert.Contains(tomorrow.Html, "Mail failures since the last summary");
    }

    [TestMethod]
    public async Task ASendInterruptedPastTheTimeoutIsReportedTheNextDayAndSentAgainExactlyOnce()
    {
        await using var store = TestStore.Create();
        await using var simulator = await TenantSimulator.StartAsync(new SimulatorOptions());
        var next = D.AddDays(1);
        await SummaryFixture.CommitDayAsync(store, D);
        await SummaryFixture.CommitDayAsync(store, next);
        var killedAt = SummaryFixture.Start(D).AddDays(1).AddHours(6);
        await Service(store, simulator, new FakeTimeProvider(killedAt)).RunAsync(D, send: false, CancellationToken.None);
        await LeaveSendingClaimAsync(store, D, killedAt);
        var nextMorning = new FakeTimeProvider(SummaryFixture.Start(next).AddDays(1).AddHours(6));

        var tomorrow = await Service(store, simulator, nextMorning).RunAsync(next, send: false, CancellationToken.None);
        var resends = await Task.WhenAll(
            Service(store, simulator, nextMorning).RunAsync(D, send: true, CancellationToken.None),
            Service(store, simulator, nextMorning).RunAsync(D, send: true, CancellationToken.None));
        var later = await Service(store, simulator, nextMorning).RunAsync(D, send: true, CancellationToken.None);

        var failure = tomorrow.Summary.MailFailures.Single();
        StringAssert.Contains(failure, "interrupted");
        StringAssert.Contains(failure, "unknown");
        StringAssert.Contains(tomorrow.Html, "Mail failures since the last summary");
        Assert.HasCount(1, await MailErrorsAsync(store), "recorded once, write-once, beside the summary");
        Assert.HasCount(1, simulator.Mail.Sent, "sent again exactly once: " + string.Join(" | ", resends.Select(r => r.MailStatus)));
        Assert.AreEqual(1, resends.Count(r => r.MailStatus!.StartsWith("sent to", StringComparison.Ordinal)));
        StringAssert.StartsWith(later.MailStatus, "already sent");
        Assert.HasCount(1, await MailErrorsAsync(store), "a claim settled as failed is not reported again");
    }

    [TestMethod]
    public async Task ASendingClaimYoungerThanTheTimeoutIsRespected()
    {
        await using var store = TestStore.Create();
        await using var simulator = await TenantSimulator.StartAsync(new SimulatorOptions());
        var next = D.AddDays(1);
        await SummaryFixture.CommitDayAsync(store, D);
        await SummaryFixture.CommitDayAsync(store, next);
        var claimedAt = SummaryFixture.Start(next).AddDays(1).AddHours(6);
        var clock = new FakeTimeProvider(claimedAt);
        await Service(store, simulator, clock).RunAsync(D, send: false, CancellationToken.None);
        await LeaveSendingClaimAsync(store, D, claimedAt);
        clock.Advance(TimeSpan.FromMinutes(14));

        var meanwhile = await Service(store, simulator, clock).RunAsync(D, send: true, CancellationToken.None);
        var tomorrow = await Service(store, simulator, clock).RunAsync(next, send: false, CancellationToken.None);

        StringAssert.Contains(meanwhile.MailStatus, "not sent twice");
        Assert.IsEmpty(simulator.Mail.Sent, "another run may still be sending it");
        Assert.IsEmpty(tomorrow.Summary.MailFailures, "a send in progress is not a failure");
        Assert.IsEmpty(await MailErrorsAsync(store));
    }

    [TestMethod]
    public void TheSendTimeoutAndTheCatchUpLimitAreValidated()
    {
        var result = new SummaryOptionsValidator().Validate(null, new SummaryOptions { SendTimeoutMinutes = 0, MaxCatchUpDays = 0 });

        Assert.IsTrue(result.Failed);
        StringAssert.Contains(result.FailureMessage, "Summary__SendTimeoutMinutes 0");
        StringAssert.Contains(result.FailureMessage, "Summary__MaxCatchUpDays 0");
        Assert.IsTrue(new SummaryOptionsValidator().Validate(null, new SummaryOptions()).Succeeded, "the defaults are valid");
    }
}
