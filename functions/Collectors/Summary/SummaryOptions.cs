using Microsoft.Extensions.Options;

namespace Collectors.Summary;

/// <summary>Section <c>Summary</c>.</summary>
public sealed class SummaryOptions
{
    public const string SectionName = "Summary";

    /// <summary>The mailbox the summary is sent from (Graph POST /users/{sender}/sendMail; Mail.Send, restricted to this mailbox).</summary>
    public string? Sender { get; set; }

    public List<string> Recipients { get; set; } = [];

    /// <summary>
    /// A send claimed longer ago than this and never finished was interrupted (the process died during
    /// sendMail): it is recorded as a mail failure and the date may be sent again.
    /// </summary>
    public int SendTimeoutMinutes { get; set; } = 15;

    /// <summary>How many days up to yesterday one timer run looks back for days without a summary.</summary>
    public int MaxCatchUpDays { get; set; } = 7;
}

/// <summary>Checks the Summary section at start-up, naming the setting to fix.</summary>
internal sealed class SummaryOptionsValidator : IValidateOptions<SummaryOptions>
{
    public ValidateOptionsResult Validate(string? name, SummaryOptions options)
    {
        var failures = new List<string>();
        if (options.SendTimeoutMinutes is < 1 or > 1440)
        {
            failures.Add($"Summary__SendTimeoutMinutes {options.SendTimeoutMinutes} must be 1–1440: longer than a sendMail call can take (seconds), shorter than a day so an interrupted send is reported the next morning.");
        }

        if (options.MaxCatchUpDays is < 1 or > 90)
        {
            failures.Add($"Summary__MaxCatchUpDays {options.MaxCatchUpDays} must be 1–90 (each caught-up day is summarised and mailed).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
