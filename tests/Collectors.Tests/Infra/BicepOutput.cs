using System.Diagnostics;
using System.Text.Json.Nodes;
using Collectors.Tests.Infrastructure;

namespace Collectors.Tests.Infra;

/// <summary>
/// What eng/bicep.sh produces under out/bicep/: the compiled ARM template and one offline
/// <c>bicep snapshot</c> per parameter set in Infra/Parameters/. When they are missing (a plain
/// <c>dotnet test</c>), eng/bicep.sh is run once; eng/test.sh runs it before the build.
/// </summary>
internal static class BicepOutput
{
    public const string BicepVersion = "0.49.2";

    private static readonly Lazy<string> s_directory = new(Ensure, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string Directory => s_directory.Value;

    public static string TemplatePath => Path.Combine(Directory, "main.json");

    public static string BicepPath =>
        Environment.GetEnvironmentVariable("BICEP") is { Length: > 0 } given
            ? given
            : Path.Combine(RepositoryRoot.Path, "tools", "bicep", "packages", "azure.bicep.commandline.linux-x64", BicepVersion, "tools", "bicep");

    public static JsonObject LoadTemplate() => Load(TemplatePath);

    public static DeploymentSnapshot LoadSnapshot(string parameterSet) =>
        new(Load(Path.Combine(Directory, parameterSet + ".snapshot.json")));

    private static JsonObject Load(string path)
    {
        Assert.IsTrue(File.Exists(path), $"{path} is missing. Run ./eng/bicep.sh (eng/test.sh does) to compile infra/bicep.");
        return JsonNode.Parse(File.ReadAllText(path))?.AsObject()
            ?? throw new InvalidOperationException($"{path} is empty.");
    }

    private static string Ensure()
    {
        var directory = Path.Combine(RepositoryRoot.Path, "out", "bicep");
        var parameterSets = System.IO.Directory.GetFiles(Path.Combine(RepositoryRoot.Path, "tests", "Collectors.Tests", "Infra", "Parameters"), "*.bicepparam");
        var complete = File.Exists(Path.Combine(directory, "main.json"))
            && parameterSets.All(set => File.Exists(Path.Combine(directory, Path.GetFileNameWithoutExtension(set) + ".snapshot.json")));
        if (!complete)
        {
            var run = Run("bash", [Path.Combine(RepositoryRoot.Path, "eng", "bicep.sh")], TimeSpan.FromMinutes(5));
            if (run.ExitCode != 0)
            {
                throw new InvalidOperationException($"out/bicep is missing and ./eng/bicep.sh failed (exit {run.ExitCode}); run it by hand to see why.{Environment.NewLine}{run.Output}");
            }
        }

        return directory;
    }

    /// <summary>
    /// Evaluates main.bicep offline with the given parameter assignments (bicepparam syntax) and
    /// returns bicep's exit code and everything it printed.
    /// </summary>
    public static (int ExitCode, string Output) Snapshot(params string[] parameterAssignments) =>
        Snapshot("main.bicep", resourceGroup: null, parameterAssignments);

    /// <summary>As <see cref="Snapshot(string[])"/>, for any template under infra/bicep (a module needs a resource group).</summary>
    public static (int ExitCode, string Output) Snapshot(string template, string? resourceGroup, params string[] parameterAssignments)
    {
        _ = Directory;
        var work = System.IO.Directory.CreateDirectory(Path.Combine(RepositoryRoot.Path, "out", "bicep", "tmp-" + Guid.NewGuid().ToString("N")[..12])).FullName;
        try
        {
            var templatePath = Path.GetRelativePath(work, Path.Combine(RepositoryRoot.Path, "infra", "bicep", template)).Replace('\\', '/');
            var file = Path.Combine(work, "case.bicepparam");
            File.WriteAllLines(file, [$"using '{templatePath}'", .. parameterAssignments]);
            List<string> arguments = ["snapshot", file, "--mode", "overwrite", "--tenant-id", "00000000-0000-0000-0000-0000000000ff", "--subscription-id", "00000000-0000-0000-0000-00000000000a", "--location", "westeurope"];
            if (resourceGroup is not null)
            {
                arguments.AddRange(["--resource-group", resourceGroup]);
            }

            return Run(BicepPath, arguments, TimeSpan.FromMinutes(2));
        }
        finally
        {
            System.IO.Directory.Delete(work, recursive: true);
        }
    }

    private static (int ExitCode, string Output) Run(string fileName, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryRoot.Path,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} did not finish within {timeout}.");
        }

        return (process.ExitCode, output.Result + error.Result);
    }
}
