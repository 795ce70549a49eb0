using Json.Schema;

namespace Collectors.Tests.Infrastructure;

/// <summary>NIST's OSCAL assessment-results schema (schemas/oscal), loaded once: JsonSchema.Net registers a schema's $id globally, so a second load fails.</summary>
internal static class OscalSchema
{
    private static readonly Lazy<JsonSchema> s_schema = new(() =>
        JsonSchema.FromFile(Path.Combine(AppContext.BaseDirectory, "Schemas", "oscal", "oscal_assessment-results_schema.json")));

    public static JsonSchema Value => s_schema.Value;
}
