using System.IO.Compression;
using Collectors.Configuration;
using Collectors.Evidence;
using Collectors.Graph;
using Collectors.Simulator;
using Collectors.Summary;
using Collectors.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace Collectors.Tests.Summary;

[TestClass]
public sealed class SummaryMailTests
{
    private static readonly DateOnly D = SummaryFixture.Day(3);

    private static DailySummaryService Service(TestStore store, TenantSimulator simulator, TimeProvider clock)
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
            store.NewWriter(clock),
            store.Reader,
            store.State,
            () => GraphReportingClient.CreateGraphClient(azure, new SimulatorCredential()),
            new SummaryOptions { Sender = "soc2-noreply@contoso.com", Recipients = ["security@contoso.com", "cto@contoso.com"] },
            clock,
            NullLogger<DailySummaryService>.Instance);
    }

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
}
