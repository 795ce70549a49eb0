using System.Text;
using Collectors.Evidence;

namespace Collectors.Tests.Evidence;

[TestClass]
public sealed class RecordLineTests
{
    private static string Normalize(string json)
    {
        byte[]? scratch = null;
        return Encoding.UTF8.GetString(RecordLine.Normalize(Encoding.UTF8.GetBytes(json), ref scratch, 0).Span);
    }

    [TestMethod]
    public void KeepsACompactRecordByteForByte()
    {
        const string json = "{\"a\" : 1.0e+2, \"b\":\"x  y\"}";

        Assert.AreEqual(json, Normalize(json));
    }

    [TestMethod]
    public void JoinsAMultiLineRecordWithoutTouchingStrings()
    {
        Assert.AreEqual("{\"s\":\"a \\\" b\\\\\",\"t\":[1,{\"u\":\"  \"}]}", Normalize("{\n \"s\" : \"a \\\" b\\\\\",\r\n \"t\": [ 1 , { \"u\" : \"  \" } ]\n}"));
    }

    [TestMethod]
    public void RejectsAnythingButOneJsonValue()
    {
        byte[]? scratch = null;
        foreach (var bad in new[] { "", "   ", "{\"a\":1}{\"b\":2}", "{\"a\":", "{'a':1}", "{\"a\":1} // c" })
        {
            var ex = Assert.ThrowsExactly<InvalidDataException>(() => RecordLine.Normalize(Encoding.UTF8.GetBytes(bad), ref scratch, 7), bad);
            StringAssert.Contains(ex.Message, "Record 7");
        }
    }
}
