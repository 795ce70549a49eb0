using System.Diagnostics;
using System.IO.Compression;
using Collectors.Summary;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.Summary;

[TestClass]
public sealed class HtmlReportRenderingTests
{
    [TestMethod]
    public async Task TheReportRendersInHeadlessChromiumAndIsNotBlank()
    {
        var chromium = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists);
        Assert.IsNotNull(chromium, "Chromium is required for this test: eng/test.sh installs it (apt-get install chromium).");
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
            var page = Path.Combine(folder, "report.html");
            var png = Path.Combine(folder, "report.png");
            await File.WriteAllTextAsync(page, html);
            var info = new ProcessStartInfo(chromium) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync", "--hide-scrollbars", $"--user-data-dir={Path.Combine(folder, "profile")}", "--window-size=1000,1400", $"--screenshot={png}", new Uri(page).AbsoluteUri })
            {
                info.ArgumentList.Add(arg);
            }

            using var process = Process.Start(info)!;
            var stderr = process.StandardError.ReadToEndAsync();
            Assert.IsTrue(process.WaitForExit(60_000), "Chromium did not finish in 60 s");
            Assert.IsTrue(File.Exists(png), $"no screenshot: {await stderr}");
            Assert.IsGreaterThan(0.05, DistinctShare(png), "the screenshot is not a blank page");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
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
