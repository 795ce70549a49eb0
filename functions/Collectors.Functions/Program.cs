using Azure.Core;
using Azure.Monitor.OpenTelemetry.Exporter;
using Collectors;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;

// The composition root: options bound and validated at start-up, the collector library, telemetry.
// Keep it light: Flex Consumption gives the worker 30 s to initialise, so nothing here calls Azure.
var builder = FunctionsApplication.CreateBuilder(args);
builder.AddCollectors();

var telemetry = builder.Services.AddOpenTelemetry().UseFunctionsWorkerDefaults();
if (!string.IsNullOrWhiteSpace(builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"]))
{
    // Application Insights has local auth disabled (infra/bicep): export with the app's Entra identity.
    telemetry.UseAzureMonitorExporter();
    builder.Services.AddOptions<AzureMonitorExporterOptions>()
        .Configure<IServiceProvider>((options, services) => options.Credential = services.GetRequiredService<TokenCredential>());
}

builder.Build().Run();
