using Collectors.Catalog;
using Microsoft.Extensions.Options;

namespace Collectors.Runtime;

/// <summary>
/// How a windowed collector cuts and catches up its windows: named after the collector id, defaults from its
/// collector.json, overridden from its settings section (e.g. <c>Collectors__ActivityLog__WindowMinutes</c>).
/// The runtime, the CLI and the daily summary's coverage all use these values.
/// </summary>
public sealed class WindowOptions
{
    public int WindowMinutes { get; set; }

    /// <summary>How long after a window ends it is collected (sources publish late).</summary>
    public int LagMinutes { get; set; }

    /// <summary>Windows one scheduled run collects per stream at most: missed runs are caught up this many at a time.</summary>
    public int MaxWindowsPerRun { get; set; }

    /// <summary>Where a stream with no evidence yet starts on its first scheduled run.</summary>
    public int FirstRunLookbackHours { get; set; }

    /// <summary>How far back the source keeps data: backfills before it are refused, a cursor before it moves on.</summary>
    public int RetentionDays { get; set; }

    /// <summary>The daily late-arrival sweep (collectors whose collector.json has one).</summary>
    public bool Sweep { get; set; }

    public int SweepHourUtc { get; set; }

    /// <summary>Streams collected at once by one process (fan-out spreads streams over instances as well).</summary>
    public int MaxParallelStreams { get; set; } = 4;

    public TimeSpan Size => TimeSpan.FromMinutes(WindowMinutes);

    public TimeSpan Lag => TimeSpan.FromMinutes(LagMinutes);

    public Evidence.WindowPlanner Planner() => new(Size, Lag, MaxWindowsPerRun, TimeSpan.FromHours(FirstRunLookbackHours));

    /// <summary>The collector.json defaults; configuration is bound over them.</summary>
    public void ApplyDefaults(CollectorDescriptor descriptor)
    {
        var windows = descriptor.Windows ?? throw new InvalidOperationException($"{descriptor.Id} is not a windowed collector.");
        WindowMinutes = (int)windows.Size.TotalMinutes;
        LagMinutes = (int)windows.Lag.TotalMinutes;
        MaxWindowsPerRun = windows.MaxPerRun;
        FirstRunLookbackHours = (int)windows.FirstRunLookback.TotalHours;
        RetentionDays = descriptor.RetentionDays ?? 1;
        Sweep = windows.SweepHourUtc is not null;
        SweepHourUtc = windows.SweepHourUtc ?? 0;
    }
}

/// <summary>Checks a windowed collector's options against what its collector.json says, naming the setting to fix.</summary>
internal sealed class WindowOptionsValidator(CollectorDescriptor descriptor) : IValidateOptions<WindowOptions>
{
    public ValidateOptionsResult Validate(string? name, WindowOptions options)
    {
        if (name != descriptor.Id)
        {
            return ValidateOptionsResult.Skip;
        }

        var key = descriptor.SettingsSection!.Replace(":", "__", StringComparison.Ordinal);
        var failures = new List<string>();
        if (options.WindowMinutes < 1 || 1440 % options.WindowMinutes != 0)
        {
            failures.Add($"{key}__WindowMinutes {options.WindowMinutes} must divide a day (e.g. 5, 15, 30, 60).");
        }

        if (options.LagMinutes < 0)
        {
            failures.Add($"{key}__LagMinutes {options.LagMinutes} cannot be negative.");
        }

        if (options.MaxWindowsPerRun < 1 || options.MaxParallelStreams < 1)
        {
            failures.Add($"{key}__MaxWindowsPerRun and {key}__MaxParallelStreams must be at least 1.");
        }

        if (options.FirstRunLookbackHours < 0)
        {
            failures.Add($"{key}__FirstRunLookbackHours {options.FirstRunLookbackHours} cannot be negative.");
        }
        else if (options.FirstRunLookbackHours > (options.RetentionDays * 24) - 1)
        {
            failures.Add($"{key}__FirstRunLookbackHours {options.FirstRunLookbackHours} reaches back beyond what the source keeps ({options.RetentionDays} days, {key}__RetentionDays): a first run would commit windows whose records are gone as complete and empty. Use at most {(options.RetentionDays * 24) - 1}.");
        }

        if (options.RetentionDays < 1 || options.RetentionDays > descriptor.RetentionDays)
        {
            failures.Add($"{key}__RetentionDays {options.RetentionDays} must be 1–{descriptor.RetentionDays}: {descriptor.Title} keeps at most {descriptor.RetentionDays} days (collector.json).");
        }

        if (options.Sweep && descriptor.Windows?.SweepHourUtc is null)
        {
            failures.Add($"{key}__Sweep is true, but {descriptor.Id} has no late-arrival sweep (its collector.json names no sweep hour and no record id).");
        }

        if (options.SweepHourUtc is < 0 or > 23)
        {
            failures.Add($"{key}__SweepHourUtc {options.SweepHourUtc} must be an hour, 0–23.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
