using System.Text.Json;
using Collectors.Simulator.Scenario;

namespace Collectors.Simulator.Arm;

/// <summary>GET /subscriptions?api-version=…: every subscription the caller can see.</summary>
public static class SubscriptionsEndpoint
{
    public static async Task HandleAsync(HttpContext context, TenantScenario scenario)
    {
        if (string.IsNullOrEmpty(context.Request.Query["api-version"]))
        {
            await ArmErrors.WriteAsync(context, 400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
            return;
        }

        var value = scenario.SubscriptionIds.Select((id, i) => new
        {
            id = $"/subscriptions/{id}",
            authorizationSource = "RoleBased",
            subscriptionId = id,
            tenantId = Principals.TenantId,
            displayName = $"Contoso Production {i + 1}",
            state = "Enabled",
            subscriptionPolicies = new { locationPlacementId = "Public_2014-09-01", quotaId = "PayAsYouGo_2014-09-01", spendingLimit = "Off" },
        }).ToList();
        var body = JsonSerializer.SerializeToUtf8Bytes(new { value, count = new { type = "Total", value = value.Count } });
        await ResponseBody.WriteJsonAsync(context, body);
    }
}
