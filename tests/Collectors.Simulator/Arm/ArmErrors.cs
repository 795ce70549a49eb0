using System.Text.Json;

namespace Collectors.Simulator.Arm;

/// <summary>Errors in ARM's shape: {"error":{"code","message","target","details"}}.</summary>
public static class ArmErrors
{
    public static Task WriteAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers["x-ms-failure-cause"] = status == 429 ? "gateway" : "service";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new { error = new { code, message } }));
    }
}
