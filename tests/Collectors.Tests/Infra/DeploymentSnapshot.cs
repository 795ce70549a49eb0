using System.Text.Json.Nodes;

namespace Collectors.Tests.Infra;

/// <summary>A resource the deployment would create, as <c>bicep snapshot</c> predicted it.</summary>
internal sealed record PredictedResource(string Id, string Type, string Name, JsonObject Body)
{
    public JsonObject Properties => Body["properties"]?.AsObject() ?? [];

    public JsonObject Tags => Body["tags"]?.AsObject() ?? [];

    /// <summary>The last segment of the name (a container's own name, not account/default/container).</summary>
    public string ShortName => Name[(Name.LastIndexOf('/') + 1)..];
}

/// <summary>A role assignment the deployment would make.</summary>
internal sealed record PredictedRoleAssignment(string Name, string Scope, string RoleDefinitionId, string PrincipalId, string? PrincipalType)
{
    /// <summary>The role definition's GUID (built-in roles) or the custom role's resource name.</summary>
    public string RoleGuid => RoleDefinitionId[(RoleDefinitionId.LastIndexOf('/') + 1)..];
}

/// <summary>
/// The output of <c>bicep snapshot</c>: every resource of every module flattened into one list, with the
/// expressions that do not depend on deployed resources evaluated (names, ids, parameters, loops,
/// conditions). Values only known after deployment stay as <c>[reference(...)]</c> expressions, which
/// name the resource they come from.
/// </summary>
internal sealed class DeploymentSnapshot
{
    public DeploymentSnapshot(JsonObject root)
    {
        Diagnostics = root["diagnostics"]?.AsArray().Select(d => d?.ToJsonString() ?? string.Empty).ToList() ?? [];
        Resources = (root["predictedResources"]?.AsArray() ?? [])
            .OfType<JsonObject>()
            .Select(r => new PredictedResource(
                r["id"]?.GetValue<string>() ?? string.Empty,
                r["type"]?.GetValue<string>() ?? string.Empty,
                r["name"]?.GetValue<string>() ?? string.Empty,
                r))
            .ToList();
        RoleAssignments = OfType("Microsoft.Authorization/roleAssignments")
            .Select(r => new PredictedRoleAssignment(
                r.Name,
                r.Id[..r.Id.IndexOf("/providers/Microsoft.Authorization/roleAssignments/", StringComparison.OrdinalIgnoreCase)] is { Length: > 0 } scope ? scope : "/",
                r.Properties["roleDefinitionId"]?.GetValue<string>() ?? string.Empty,
                r.Properties["principalId"]?.GetValue<string>() ?? string.Empty,
                r.Properties["principalType"]?.GetValue<string>()))
            .ToList();
    }

    public IReadOnlyList<string> Diagnostics { get; }

    public IReadOnlyList<PredictedResource> Resources { get; }

    public IReadOnlyList<PredictedRoleAssignment> RoleAssignments { get; }

    public IEnumerable<PredictedResource> OfType(string type) =>
        Resources.Where(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase));

    public PredictedResource Single(string type, Func<PredictedResource, bool>? where = null)
    {
        var matches = OfType(type).Where(where ?? (_ => true)).ToList();
        Assert.HasCount(1, matches, $"expected exactly one {type}; found: {string.Join(", ", matches.Select(m => m.Name))}");
        return matches[0];
    }

    /// <summary>The user-assigned identity the Functions app runs as.</summary>
    public PredictedResource AppIdentity
    {
        get
        {
            var site = Single("Microsoft.Web/sites");
            var assigned = site.Body["identity"]?["userAssignedIdentities"]?.AsObject().Select(p => p.Key).ToList() ?? [];
            Assert.HasCount(1, assigned, "the app runs as exactly one user-assigned identity");
            return Resources.Single(r => string.Equals(r.Id, assigned[0], StringComparison.OrdinalIgnoreCase));
        }
    }

    /// <summary>The storage account created with version-level immutability.</summary>
    public PredictedResource EvidenceAccount =>
        Single("Microsoft.Storage/storageAccounts", a => a.Properties["immutableStorageWithVersioning"]?["enabled"]?.GetValue<bool>() == true);

    /// <summary>The storage account that AzureWebJobsStorage points to.</summary>
    public PredictedResource RuntimeAccount
    {
        get
        {
            var blobUri = AppSettings["AzureWebJobsStorage__blobServiceUri"]?.GetValue<string>() ?? string.Empty;
            return Single("Microsoft.Storage/storageAccounts", a => blobUri.Contains($"'{a.Id}'", StringComparison.OrdinalIgnoreCase));
        }
    }

    public JsonObject AppSettings => Single("Microsoft.Web/sites/config", c => c.ShortName == "appsettings").Properties;

    /// <summary>Whether a principal id is (an expression reading) the principal of the given resource's identity.</summary>
    public static bool IsPrincipalOf(PredictedRoleAssignment assignment, PredictedResource resource) =>
        assignment.PrincipalId.StartsWith($"[reference('{resource.Id}'", StringComparison.OrdinalIgnoreCase);

    public IEnumerable<PredictedRoleAssignment> AssignmentsOf(PredictedResource principal) =>
        RoleAssignments.Where(a => IsPrincipalOf(a, principal));

    public IEnumerable<PredictedResource> Children(PredictedResource parent, string type) =>
        OfType(type).Where(c => c.Id.StartsWith(parent.Id + "/", StringComparison.OrdinalIgnoreCase));
}
