using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Collectors.Tests.Infrastructure;

/// <summary>
/// Azurite's blob service (npm package pinned in package.json) as a child process on a free loopback
/// port, optionally over HTTPS with OAuth, which is how the account-URL-plus-Entra-credential path is tested.
/// </summary>
internal sealed class AzuriteProcess : IDisposable
{
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;
    private readonly string _directory;

    private AzuriteProcess(Process process, string directory, int port, bool https, string service = "blob")
    {
        Service = service;
        _process = process;
        _directory = directory;
        Port = port;
        Https = https;
    }

    public int Port { get; }

    /// <summary>blob (the default) or queue.</summary>
    public string Service { get; }

    public bool Https { get; }

    public Uri BlobEndpoint => new($"{(Https ? "https" : "http")}://127.0.0.1:{Port}/devstoreaccount1");

    public string ConnectionString => Service == "queue"
        ? $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};QueueEndpoint={QueueEndpoint};"
        : $"DefaultEndpointsProtocol={(Https ? "https" : "http")};AccountName=devstoreaccount1;AccountKey={AccountKey};BlobEndpoint={BlobEndpoint};";

    public Uri QueueEndpoint => new($"http://127.0.0.1:{Port}/devstoreaccount1");

    /// <summary>Azurite's queue service alone, over HTTP, for tests that drive a real queue (the blob service stays as it is).</summary>
    public static AzuriteProcess StartQueueService()
    {
        var main = System.IO.Path.Combine(RepositoryRoot.Path, "node_modules", "azurite", "dist", "src", "queue", "main.js");
        if (!File.Exists(main))
        {
            throw new InvalidOperationException($"Azurite is not installed ({main} is missing). Run 'npm ci' in {RepositoryRoot.Path}, or use ./eng/test.sh, which does.");
        }

        var port = FreePort();
        var directory = Directory.CreateTempSubdirectory("collectors-azurite-queue-").FullName;
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { main, "--queueHost", "127.0.0.1", "--queuePort", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--skipApiVersionCheck", "--inMemoryPersistence", "--disableTelemetry", "--silent" })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start node for Azurite.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var azurite = new AzuriteProcess(process, directory, port, https: false, "queue");
        azurite.WaitUntilListening();
        return azurite;
    }

    public static AzuriteProcess Start(string? certificatePem = null, string? keyPem = null, bool oauth = false)
    {
        var main = System.IO.Path.Combine(RepositoryRoot.Path, "node_modules", "azurite", "dist", "src", "blob", "main.js");
        if (!File.Exists(main))
        {
            throw new InvalidOperationException($"Azurite is not installed ({main} is missing). Run 'npm ci' in {RepositoryRoot.Path}, or use ./eng/test.sh, which does.");
        }

        var port = FreePort();
        var directory = Directory.CreateTempSubdirectory("collectors-azurite-").FullName;
        var info = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { main, "--blobHost", "127.0.0.1", "--blobPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--skipApiVersionCheck", "--inMemoryPersistence", "--disableTelemetry", "--silent" })
        {
            info.ArgumentList.Add(arg);
        }

        if (certificatePem is not null)
        {
            info.ArgumentList.Add("--cert");
            info.ArgumentList.Add(certificatePem);
            info.ArgumentList.Add("--key");
            info.ArgumentList.Add(keyPem!);
        }

        if (oauth)
        {
            info.ArgumentList.Add("--oauth");
            info.ArgumentList.Add("basic");
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start node for Azurite.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var azurite = new AzuriteProcess(process, directory, port, certificatePem is not null);
        azurite.WaitUntilListening();
        return azurite;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        finally
        {
            _process.Dispose();
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private void WaitUntilListening()
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Azurite exited with code {_process.ExitCode} before listening on port {Port}.");
            }

            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }

        throw new TimeoutException($"Azurite did not listen on port {Port} within 30 s.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
