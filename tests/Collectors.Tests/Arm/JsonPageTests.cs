using System.Text;
using System.Text.Json;
using Collectors.Arm;

namespace Collectors.Tests.Arm;

[TestClass]
public sealed class JsonPageTests
{
    [TestMethod]
    public void ItemsAreTheServiceBytesAndTheNextLinkIsRead()
    {
        var body = Encoding.UTF8.GetBytes("{\"value\": [ {\"a\" : 1}, {\"b\":\"x\\u00e9\"} ], \"nextLink\":\"https://h/x?$skiptoken=1\", \"count\": 2}");

        var page = JsonPage.Parse(body, "value", "nextLink");

        CollectionAssert.AreEqual(new[] { "{\"a\" : 1}", "{\"b\":\"x\\u00e9\"}" }, page.Items.Select(i => Encoding.UTF8.GetString(i.Span)).ToArray());
        Assert.AreEqual("https://h/x?$skiptoken=1", page.NextLink);
        Assert.AreEqual(2, page.Properties["count"].GetInt32());
    }

    [TestMethod]
    public void ABodyCutShortIsRejected()
    {
        var body = Encoding.UTF8.GetBytes("{\"value\":[{\"a\":1},{\"b\":2}],\"nextLink\":null}");
        for (var cut = 1; cut < body.Length; cut++)
        {
            Assert.Throws<JsonException>(() => JsonPage.Parse(body.AsMemory(0, cut), "value", "nextLink"), $"cut at {cut}");
        }

        Assert.IsNull(JsonPage.Parse(body, "value", "nextLink").NextLink);
    }

    [TestMethod]
    public void AMissingArrayOrTrailingGarbageIsRejected()
    {
        Assert.Throws<JsonException>(() => JsonPage.Parse("{\"items\":[]}"u8.ToArray(), "value", "nextLink"));
        Assert.Throws<JsonException>(() => JsonPage.Parse("{\"value\":[]} {}"u8.ToArray(), "value", "nextLink"));
        Assert.Throws<JsonException>(() => JsonPage.Parse("[1,2]"u8.ToArray(), "value", "nextLink"));
    }
}
