using System.Text.Json;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.Configuration;

[TestClass]
public sealed class FunctionsAppTests
{
    private static string OutputDirectory =>
        Path.Combine(RepositoryRoot.Path, "functions", "Collectors.Functions", "bin", RepositoryRoot.BuildConfiguration, "net10.0");

    [TestMethod]
    public void TheBuildProducesFunctionsMetadataAndTheRootHostJson()
    {
        var metadata = Path.Combine(OutputDirectory, "functions.metadata");
        Assert.IsTrue(File.Exists(metadata), $"{metadata} is missing: build Collectors.sln first (eng/test.sh does).");
        using var document = JsonDocument.Parse(File.ReadAllText(metadata));
        Assert.AreEqual(JsonValueKind.Array, document.RootElement.ValueKind);

        var hostJson = File.ReadAllText(Path.Combine(OutputDirectory, "host.json"));
        Assert.AreEqual(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "host.json")), hostJson, "host.json is linked from the repository root");
        using var host = JsonDocument.Parse(hostJson);
        Assert.AreEqual("2.0", host.RootElement.GetProperty("version").GetString());
    }
}
