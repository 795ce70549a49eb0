namespace Collectors.Evidence;

/// <summary>
/// A source failed in a way a user can act on (a missing role, a refused filter, a truncated
/// population). The message says what failed, why, and what to do; it becomes the error record's reason.
/// </summary>
public class EvidenceSourceException(string message, int? httpStatus = null, string? errorCode = null, Exception? inner = null)
    : Exception(message, inner)
{
    public int? HttpStatus { get; } = httpStatus;

    public string? ErrorCode { get; } = errorCode;
}
