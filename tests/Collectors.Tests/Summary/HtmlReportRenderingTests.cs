using System.Diagnostics;
using System.IO.Compression;
using Collectors.Evidence;
using Collectors.Summary;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.Summary;

[TestClass]
public sealed class HtmlReportRenderingTests
{
    [TestMethod]
    public async Task TheReportRendersInHeadlessChromiumAndIsNotBlank()
    {
        var chromium = Chromium();
        await using var store = TestStore.Create();
        var day = SummaryFixture.Day(5);
        await SummaryFixture.CommitDayAsync(store, day, skip: [20], violations: new() { [9] = SummaryFixture.OutOfBand("oob-html", SummaryFixture.Start(day).AddMinutes(140)) });
        var summary = await SummaryFixture.Builder(store, new ShiftedClock(SummaryFixture.Start(day).AddDays(1).AddHours(6))).BuildAsync(day, null, [], CancellationToken.None);
        var html = HtmlReport.Render(summary);
        Assert.DoesNotContain("<script", html, "the report is scriptless");
        Assert.DoesNotContain("<style", html, "styles are inline, for Outlook and Gmail");

        var folder = Directory.CreateTempSubdirectory("collectors-render-").FullName;
        try
        {
            var png = Path.Combine(folder, "report.png");
            var (_, stderr) = await ChromiumAsync(chromium, folder, html, $"--screenshot={png}");
            Assert.IsTrue(File.Exists(png), $"no screenshot: {stderr}");
            Assert.IsGreaterThan(0.05, DistinctShare(png), "the screenshot is not a blank page");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public async Task LongBlobPathsStreamNamesAndRecordIdsWrapInsideTheirCellsInsteadOfWideningTheReport()
    {
        var chromium = Chromium();
        await using var store = TestStore.Create();
        var day = SummaryFixture.Day(6);
        await SummaryFixture.CommitDayAsync(store, day, fail: [30], violations: new() { [9] = SummaryFixture.OutOfBand("oob-wide", SummaryFixture.Start(day).AddMinutes(140)) });
        var built = await SummaryFixture.Builder(store, new ShiftedClock(SummaryFixture.Start(day).AddDays(1).AddHours(6))).BuildAsync(day, null, [], CancellationToken.None);
        var stream = "activity-log/sub-" + new string('a', 120);
        var blob = $"{stream}/2026/11/25/" + new string('b', 300 - stream.Length - "/2026/11/25/".Length - EvidencePaths.ManifestSuffix.Length) + EvidencePaths.ManifestSuffix;
        Assert.AreEqual(300, blob.Length);
        var summary = built with
        {
            Streams = [.. built.Streams.Select(s => s with { Stream = stream, ErrorRecords = [.. s.ErrorRecords.Select(e => e with { Blob = blob, Reason = e.Reason + " " + blob })] })],
            Findings = [.. built.Findings.Select(f => f with { Stream = stream, Manifest = blob, RecordId = new string('c', 200), Item = "caller " + new string('d', 200) })],
            MailFailures = ["Sending failed for " + blob],
        };
        var html = HtmlReport.Render(summary);
        StringAssert.Contains(html, blob);

        var folder = Directory.CreateTempSubdirectory("collectors-render-").FullName;
        try
        {
            // A copy with a script that writes the page's widths into the DOM; the report itself stays scriptless.
            var measured = html.Replace("</body>", "<script>document.body.setAttribute('data-widths', document.documentElement.scrollWidth + ' ' + document.documentElement.clientWidth);</script></body>", StringComparison.Ordinal);
            var (dom, stderr) = await ChromiumAsync(chromium, folder, measured, "--dump-dom");
            var match = System.Text.RegularExpressions.Regex.Match(dom, "data-widths=\"(?<scroll>\\d+) (?<client>\\d+)\"");
            Assert.IsTrue(match.Success, $"no widths in the dumped DOM: {stderr}");
            var scrollWidth = int.Parse(match.Groups["scroll"].Value, System.Globalization.CultureInfo.InvariantCulture);
            var viewport = int.Parse(match.Groups["client"].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.AreEqual(ViewportWidth, viewport);
            Assert.IsLessThanOrEqualTo(viewport, scrollWidth, $"the document ({scrollWidth} px) is no wider than the viewport ({viewport} px): every long identifier wraps inside its cell");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private const int ViewportWidth = 1000;

    private static string Chromium()
    {
        var chromium = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists);
        Assert.IsNotNull(chromium, "Chromium is required for this test: eng/test.sh installs it (apt-get install chromium).");
        return chromium;
    }

    /// <summary>Loads the HTML in headless Chromium at a 1000-pixel-wide viewport; returns what it printed.</summary>
    private static async Task<(string Output, string Error)> ChromiumAsync(string chromium, string folder, string html, string action)
    {
        var page = Path.Combine(folder, $"page-{Guid.NewGuid():N}.html");
        await File.WriteAllTextAsync(page, html);
        var info = new ProcessStartInfo(chromium) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync", "--hide-scrollbars", $"--user-data-dir={Path.Combine(folder, "profile")}", $"--window-size={ViewportWidth},1400", action, new Uri(page).AbsoluteUri })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.IsTrue(process.WaitForExit(60_000), "Chromium did not finish in 60 s");
        return (await output, await error);
    }

    /// <summary>Share of distinct byte values in the PNG's decompressed pixel data: about 0 for a blank page.</summary>
    private static double DistinctShare(string png)
    {
        var bytes = File.ReadAllBytes(png);
        using var idat = new MemoryStream();
        for (var i = 8; i + 8 <= bytes.Length;)
        {
            var length = (bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3];
            var type = System.Text.Encoding.ASCII.GetString(bytes, i + 4, 4);
            if (type == "IDAT")
            {
                idat.Write(bytes, i + 8, length);
            }

            i += 12 + length;
        }

        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionMode.Decompress))
        {
            z.CopyTo(inflated);
        }

        var data = inflated.ToArray();
        var histogram = new int[256];
        foreach (var b in data)
        {
            histogram[b]++;
        }

        return histogram.Count(c => c > data.Length / 10000) / 256.0;
    }
}
