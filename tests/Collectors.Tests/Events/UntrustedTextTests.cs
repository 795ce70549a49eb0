using Collectors.Events;

namespace Collectors.Tests.Events;

[TestClass]
public sealed class UntrustedTextTests
{
    [TestMethod]
    [DataRow("evt-1", "evt-1")]
    [DataRow("a\r\nb\tc", "a\\r\\nb\\tc")]
    [DataRow("\u001b[2Jclear", "\\u001b[2Jclear")]
    [DataRow("right\u202eto-left\u2028line\u200bzero", "right\\u202eto-left\\u2028line\\u200bzero")]
    [DataRow("pair \ud83d\ude00 kept, ü kept", "pair \ud83d\ude00 kept, ü kept")]
    [DataRow(null, "(none)")]
    public void ControlFormatAndLoneSurrogateCharactersAreEscaped(string? text, string shown)
    {
        Assert.AreEqual(shown, UntrustedText.Shown(text));
    }

    [TestMethod]
    public void LoneSurrogatesAreEscapedAndPairsKept()
    {
        // Built at run time: an attribute's string cannot hold a lone surrogate.
        var text = $"lone {(char)0xD800} high, lone {(char)0xDC00} low, {(char)0xDC00}{(char)0xD800} reversed";

        Assert.AreEqual("lone \\ud800 high, lone \\udc00 low, \\udc00\\ud800 reversed", UntrustedText.Shown(text));
    }

    [TestMethod]
    public void LongTextIsCutAndSaysHowLongItWas()
    {
        Assert.AreEqual("abcde…(26 characters)", UntrustedText.Shown("abcdefghijklmnopqrstuvwxyz", 5));
        Assert.AreEqual("abcde", UntrustedText.Shown("abcde", 5));
        Assert.AreEqual("\\n\\n\\n…(10 characters)", UntrustedText.Shown(new string('\n', 10), 5));
    }
}
