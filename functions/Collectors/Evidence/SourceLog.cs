namespace Collectors.Evidence;

/// <summary>
/// What a source client did while producing one window's records: the requests it sent, the pages it
/// followed, and whether it reached the end of the population. The manifest records it verbatim, and a
/// window whose source never called <see cref="MarkComplete"/> is not committed.
/// </summary>
public sealed class SourceLog
{
    private readonly List<SourceRequest> _requests = [];

    public IReadOnlyList<SourceRequest> Requests => _requests;

    public int Pages { get; private set; }

    public bool Complete { get; private set; }

    public string? Note { get; set; }

    public void AddRequest(SourceRequest request) => _requests.Add(request);

    public void AddPage() => Pages++;

    /// <summary>Every next link was followed and the source said there is no more.</summary>
    public void MarkComplete() => Complete = true;

    internal ManifestSource ToManifest() => new([.. _requests], Pages, Complete, Note);
}
