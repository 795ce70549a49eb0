using Collectors.Evidence;
using Collectors.Findings;

namespace Collectors.Catalog;

/// <summary>A collector's checks, as the daily summary runs them over committed evidence.</summary>
public interface ICollectorChecks
{
    string CollectorId { get; }

    Task<IReadOnlyList<Finding>> EvaluateAsync(EvidenceReader reader, EvidenceStream stream, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken);
}

/// <summary>Adapts a check that judges a stream of records.</summary>
public sealed class RecordChecks(string collectorId, Func<string, IAsyncEnumerable<EvidenceRecord>, CancellationToken, Task<IReadOnlyList<Finding>>> evaluate) : ICollectorChecks
{
    public string CollectorId => collectorId;

    public Task<IReadOnlyList<Finding>> EvaluateAsync(EvidenceReader reader, EvidenceStream stream, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        evaluate(stream.Name, reader.RecordsInRangeAsync(stream, from, to, cancellationToken), cancellationToken);
}

/// <summary>Adapts a check that reads the evidence itself (snapshot comparisons, event streams).</summary>
public sealed class EvidenceChecks(string collectorId, Func<EvidenceReader, EvidenceStream, DateTimeOffset, DateTimeOffset, CancellationToken, Task<IReadOnlyList<Finding>>> evaluate) : ICollectorChecks
{
    public string CollectorId => collectorId;

    public Task<IReadOnlyList<Finding>> EvaluateAsync(EvidenceReader reader, EvidenceStream stream, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        evaluate(reader, stream, from, to, cancellationToken);
}
