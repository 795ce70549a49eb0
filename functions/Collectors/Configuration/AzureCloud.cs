namespace Collectors.Configuration;

/// <summary>The endpoints of one Azure cloud. Sovereign clouds differ in every host name.</summary>
public sealed record AzureCloud(string Name, Uri ResourceManager, Uri Graph, Uri Authority)
{
    public static readonly AzureCloud Public = new(
        "AzurePublicCloud",
        new Uri("https://management.azure.com/"),
        new Uri("https://graph.microsoft.com/"),
        new Uri("https://login.microsoftonline.com/"));

    public static readonly AzureCloud USGovernment = new(
        "AzureUSGovernment",
        new Uri("https://management.usgovcloudapi.net/"),
        new Uri("https://graph.microsoft.us/"),
        new Uri("https://login.microsoftonline.us/"));

    public static readonly AzureCloud China = new(
        "AzureChinaCloud",
        new Uri("https://management.chinacloudapi.cn/"),
        new Uri("https://microsoftgraph.chinacloudapi.cn/"),
        new Uri("https://login.chinacloudapi.cn/"));

    public static IReadOnlyList<AzureCloud> All { get; } = [Public, USGovernment, China];

    public static bool TryParse(string? name, out AzureCloud cloud)
    {
        cloud = All.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase))!;
        return cloud is not null;
    }
}
