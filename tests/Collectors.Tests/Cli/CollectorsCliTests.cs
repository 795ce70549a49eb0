using System.Globalization;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.Cli;

[TestClass]
public sealed class CollectorsCliTests
{
    private const string UnreachableStore =
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;";

    /// <summary>Exit 2, one line on standard error that says <paramref name="expected"/>, and no stack trace anywhere.</summary>
    private static void AssertUsageError(CliRun run, string expected, string what)
    {
        Assert.AreEqual(2, run.ExitCode, $"{what}: {run.Output}{run.Error}");
        StringAssert.Contains(run.Error, expected, what);
        Assert.HasCount(1, run.Error.TrimEnd().Split('\n'), $"{what}: one line: {run.Error}");
        Assert.DoesNotContain("   at ", run.Error + run.Output, $"{what}: no stack trace");
        Assert.DoesNotContain("Exception", run.Error + run.Output, what);
    }

    [TestMethod]
    public async Task AnUnreachableStoreExitsTwoNamingWhatCouldNotBeReachedAndWhatToCheck()
    {
        var environment = new Dictionary<string, string?> { ["Evidence:ConnectionString"] = UnreachableStore };
        var yesterday = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

        var runs = await Task.WhenAll(
            CollectorsCommand.RunAsync("verify", "--connection-string", UnreachableStore),
            CollectorsCommand.RunAsync(environment, "summary", "--date", yesterday));

        var (verify, summary) = (runs[0], runs[1]);
        AssertUsageError(verify, "Could not reach the evidence store through connection string for account 'devstoreaccount1' (http://127.0.0.1:1)", "verify");
        StringAssert.Contains(verify.Error, "BlobEndpoint");
        Assert.DoesNotContain("NOT INTACT", verify.Output, "an unreachable store is not an integrity verdict");
        AssertUsageError(summary, "Could not reach the evidence store", "summary");
        StringAssert.Contains(summary.Error, "Evidence__ConnectionString");
    }

    [TestMethod]
    public async Task EveryDateAndTimeOptionRefusesValuesOutOfRangeWithExitTwo()
    {
        var environment = new Dictionary<string, string?> { ["Evidence:ConnectionString"] = Azurite.ConnectionString };
        var tomorrow = DateTime.UtcNow.AddDays(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var cases = new (string[] Args, string Expected)[]
        {
            (["summary", "--date", "0001-01-01"], "--date 0001-01-01 is before 2000-01-01"),
            (["summary", "--date", tomorrow], $"--date {tomorrow} has not ended yet"),
            (["summary", "--date", "2026-13-01"], "is not a day; use yyyy-MM-dd"),
            (["run", "entra-signins", "--sweep", "9999-12-31"], "--sweep 9999-12-31 has not ended yet"),
            (["run", "entra-directory-audits", "--sweep", "1999-12-31"], "--sweep 1999-12-31 is before 2000-01-01"),
            (["run", "activity-log", "--sweep", "9999-12-31"], "--sweep 9999-12-31 has not ended yet"),
            (["run", "activity-log", "--sweep", "25-11-2026"], "is not a day; use yyyy-MM-dd"),
            (["run", "entra-signins", "--sweep", "2026-11-01", "--from", "2026-11-01", "--to", "2026-11-02"], "not both"),
            (["run", "entra-signins", "--from", "1999-01-01", "--to", "1999-01-02"], "--from '1999-01-01' is before 2000-01-01"),
            (["run", "activity-log", "--from", "9999-12-31", "--to", "9999-12-31T01:00:00Z"], "--from '9999-12-31' is in the future"),
            (["run", "activity-log", "--from", "0001-01-01", "--to", "2026-01-01"], "--from '0001-01-01' is before 2000-01-01"),
            (["run", "dr-jobs", "--from", "2026-01-01", "--to", "3000-01-01"], "--to '3000-01-01' is in the future"),
            (["run", "defender-findings", "--from", "9999-12-31", "--to", "9999-12-31"], "snapshots of the past cannot exist"),
            (["verify", "--from", "1999-12-31"], "--from '1999-12-31' is before 2000-01-01"),
            (["verify", "--to", "9999-12-31T23:59:59Z"], "--to '9999-12-31T23:59:59Z' is in the future"),
            (["verify", "--from", "0001-01-01T00:00:00+01:00"], "is not a date or time"),
        };

        foreach (var (args, expected) in cases)
        {
            var run = await CollectorsCommand.RunAsync(environment, args);

            AssertUsageError(run, expected, string.Join(' ', args));
        }
    }
}
