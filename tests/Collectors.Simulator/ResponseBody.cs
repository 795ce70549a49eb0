using Collectors.Simulator.Faults;

namespace Collectors.Simulator;

/// <summary>Writes a JSON body, honouring the fault drawn for this request: cut short, or reset half-way.</summary>
public static class ResponseBody
{
    public const string FaultKey = "collectors.fault";

    public static async Task WriteJsonAsync(HttpContext context, ReadOnlyMemory<byte> body, int status = 200)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        var fault = context.Items.TryGetValue(FaultKey, out var value) && value is Fault f ? f : Fault.None;
        switch (fault)
        {
            case Fault.Truncate:
                await context.Response.Body.WriteAsync(body[..(body.Length / 2)]);
                return;
            case Fault.Reset:
                await context.Response.Body.WriteAsync(body[..(body.Length / 2)]);
                await context.Response.Body.FlushAsync();
                context.Abort();
                return;
            default:
                await context.Response.Body.WriteAsync(body);
                return;
        }
    }
}
