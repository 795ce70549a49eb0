namespace Collectors.Tests.Infra;

/// <summary>The compiled template and the evaluated parameter sets, loaded once per test run.</summary>
internal static class Deployments
{
    /// <summary>The deployment subscription of every snapshot (eng/bicep.sh passes it).</summary>
    public const string DeploymentSubscriptionId = "00000000-0000-0000-0000-00000000000a";

    /// <summary>The monitored subscriptions of Parameters/multi.bicepparam.</summary>
    public static readonly string[] MultiSubscriptionIds =
    [
        "00000000-0000-0000-0000-00000000000a",
        "00000000-0000-0000-0000-00000000000b",
        "00000000-0000-0000-0000-00000000000c",
    ];

    private static readonly Lazy<ArmTemplate> s_template = new(() => new ArmTemplate(BicepOutput.LoadTemplate()));
    private static readonly Lazy<DeploymentSnapshot> s_defaults = new(() => BicepOutput.LoadSnapshot("defaults"));
    private static readonly Lazy<DeploymentSnapshot> s_multi = new(() => BicepOutput.LoadSnapshot("multi"));
    private static readonly Lazy<DeploymentSnapshot> s_production = new(() => BicepOutput.LoadSnapshot("production"));

    /// <summary>out/bicep/main.json.</summary>
    public static ArmTemplate Template => s_template.Value;

    /// <summary>What `azd up` deploys with nothing but the azd environment set (Parameters/defaults.bicepparam).</summary>
    public static DeploymentSnapshot Defaults => s_defaults.Value;

    /// <summary>Three monitored subscriptions, a summary, a DR publisher, a locked policy, a software key (Parameters/multi.bicepparam).</summary>
    public static DeploymentSnapshot Multi => s_multi.Value;

    /// <summary>environmentType production with a Locked policy, the deployer a group (Parameters/production.bicepparam).</summary>
    public static DeploymentSnapshot Production => s_production.Value;

    public static IEnumerable<DeploymentSnapshot> All => [Defaults, Multi, Production];
}
