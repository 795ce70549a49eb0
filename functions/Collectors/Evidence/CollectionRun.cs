namespace Collectors.Evidence;

/// <summary>What one run of a collector did, window by window.</summary>
public sealed record CollectionRun(IReadOnlyList<CommitResult> Results)
{
    public int Committed => Results.Count(r => r.Status == CommitStatus.Committed);

    public int AlreadyCommitted => Results.Count(r => r.Status == CommitStatus.AlreadyCommitted);

    public int Failed => Results.Count(r => r.Status == CommitStatus.Failed);

    public long Records => Results.Sum(r => r.Records);

    public bool Succeeded => Failed == 0;
}
