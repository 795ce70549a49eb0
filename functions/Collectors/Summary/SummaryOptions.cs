namespace Collectors.Summary;

/// <summary>Section <c>Summary</c>.</summary>
public sealed class SummaryOptions
{
    public const string SectionName = "Summary";

    /// <summary>The mailbox the summary is sent from (Graph POST /users/{sender}/sendMail; Mail.Send, restricted to this mailbox).</summary>
    public string? Sender { get; set; }

    public List<string> Recipients { get; set; } = [];
}
