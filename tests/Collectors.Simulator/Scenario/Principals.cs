namespace Collectors.Simulator.Scenario;

/// <summary>Who acts in the simulated tenant.</summary>
public sealed record Principal(string Kind, string Caller, string ObjectId, string AppId, string? Upn, string Name)
{
    public bool IsUser => Kind == "user";
}

public static class Principals
{
    public const string TenantId = "5f1a7c3e-0d2b-4c68-9e41-2b7d0c9a1f00";

    /// <summary>The deployment pipeline's service principal: approved.</summary>
    public static readonly Principal Pipeline = new("servicePrincipal", "7c2f4e1a-3b5d-4a9e-8f06-1d2c3b4a5e60", "7c2f4e1a-3b5d-4a9e-8f06-1d2c3b4a5e60", "a1b2c3d4-0000-4e5f-8a9b-0c1d2e3f4a5b", null, "github-deploy-prod");

    /// <summary>A platform managed identity (automation): approved.</summary>
    public static readonly Principal Automation = new("managedIdentity", "3e8d1f2a-6c4b-4f0e-9a7d-5b6c7d8e9f01", "3e8d1f2a-6c4b-4f0e-9a7d-5b6c7d8e9f01", "9f8e7d6c-5b4a-4321-8fed-cba987654321", null, "mi-platform-automation");

    /// <summary>A leftover managed identity nobody approved.</summary>
    public static readonly Principal LegacyAutomation = new("managedIdentity", "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d", "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d", "6d5c4b3a-2f1e-4d0c-9b8a-7f6e5d4c3b2a", null, "mi-legacy-automation");

    public static readonly Principal Alice = User("alice", "11111111-aaaa-4aaa-8aaa-111111111111");
    public static readonly Principal Bob = User("bob", "22222222-bbbb-4bbb-8bbb-222222222222");
    public static readonly Principal Carol = User("carol", "33333333-cccc-4ccc-8ccc-333333333333");
    public static readonly Principal Mallory = User("mallory", "44444444-dddd-4ddd-8ddd-444444444444");
    public static readonly Principal Eve = User("eve", "55555555-eeee-4eee-8eee-555555555555");
    public static readonly Principal Trudy = User("trudy", "66666666-ffff-4fff-8fff-666666666666");

    /// <summary>The ids an operator would list in Collectors__ActivityLog__ApprovedDeployers.</summary>
    public static IReadOnlyList<string> Approved { get; } = [Pipeline.ObjectId, Automation.AppId];

    public static IReadOnlyList<Principal> People { get; } = [Alice, Bob, Carol];

    private static Principal User(string name, string objectId) =>
        new("user", $"{name}@contoso.com", objectId, "04b07795-8ddb-461a-bbee-02f9e1bf7b46", $"{name}@contoso.com", char.ToUpperInvariant(name[0]) + name[1..]);
}
