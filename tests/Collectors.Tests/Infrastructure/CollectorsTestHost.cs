using Collectors.Runtime;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Collectors.Tests.Infrastructure;

/// <summary>
/// The library composed exactly as the Functions app and the CLI compose it (AddCollectors), from settings
/// as an operator gives them, over a clock the test controls: collectors run through the real runtime.
/// </summary>
internal sealed class CollectorsTestHost : IAsyncDisposable
{
    private readonly IHost _host;

    private CollectorsTestHost(IHost host) => _host = host;

    public IServiceProvider Services => _host.Services;

    public CollectorRuntime Runtime => _host.Services.GetRequiredService<CollectorRuntime>();

    public static async Task<CollectorsTestHost> StartAsync(IReadOnlyDictionary<string, string?> settings, TimeProvider? clock = null, Action<IHostApplicationBuilder>? extend = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddCollectors();
        if (clock is not null)
        {
            builder.Services.AddSingleton(clock);
        }

        extend?.Invoke(builder);
        var host = builder.Build();
        await host.StartAsync();
        return new CollectorsTestHost(host);
    }

    public T Get<T>()
        where T : notnull => _host.Services.GetRequiredService<T>();

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
