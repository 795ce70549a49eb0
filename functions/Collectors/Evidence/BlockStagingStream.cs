using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure.Storage.Blobs.Specialized;

namespace Collectors.Evidence;

/// <summary>
/// A write-only stream that stages fixed-size blocks of a block blob as it fills, hashing the bytes on
/// the way, so a content blob of any size flows through a bounded amount of memory
/// (block size × (1 + blocks in flight)). Nothing is visible until the caller commits the block list.
/// </summary>
internal sealed class BlockStagingStream : Stream
{
    private const int MaxInFlight = 2;

    private readonly BlockBlobClient _blob;
    private readonly int _blockSize;
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly List<string> _blockIds = [];
    private readonly Queue<(Task Upload, byte[] Buffer)> _inFlight = new();
    private byte[] _buffer;
    private int _filled;
    private long _length;
    private bool _finished;

    public BlockStagingStream(BlockBlobClient blob, int blockSize)
    {
        _blob = blob;
        _blockSize = blockSize;
        _buffer = ArrayPool<byte>.Shared.Rent(blockSize);
    }

    public IReadOnlyList<string> BlockIds => _blockIds;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => !_finished;

    public override long Length => _length;

    public override long Position { get => _length; set => throw new NotSupportedException(); }

    /// <summary>Stages what is left and waits for every block; returns the SHA-256 (hex) and length of all bytes written.</summary>
    public async Task<(string Sha256, long Length)> FinishAsync(CancellationToken cancellationToken)
    {
        if (!_finished)
        {
            if (_filled > 0 || _blockIds.Count == 0)
            {
                await StageCurrentAsync(cancellationToken).ConfigureAwait(false);
            }

            while (_inFlight.Count > 0)
            {
                await CompleteOldestAsync().ConfigureAwait(false);
            }

            _finished = true;
        }

        return (Convert.ToHexStringLower(_sha256.GetCurrentHash()), _length);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        // GZipStream's synchronous paths (Flush, Dispose) end up here; block on the async staging.
        var copy = buffer.ToArray();
        WriteAsync(copy, CancellationToken.None).AsTask().GetAwaiter().GetResult();
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        while (!buffer.IsEmpty)
        {
            var take = Math.Min(_blockSize - _filled, buffer.Length);
            buffer.Span[..take].CopyTo(_buffer.AsSpan(_filled));
            _filled += take;
            buffer = buffer[take..];
            if (_filled == _blockSize)
            {
                await StageCurrentAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _sha256.Dispose();
            if (_buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = [];
            }
        }

        base.Dispose(disposing);
    }

    private async Task StageCurrentAsync(CancellationToken cancellationToken)
    {
        while (_inFlight.Count >= MaxInFlight)
        {
            await CompleteOldestAsync().ConfigureAwait(false);
        }

        var block = _buffer;
        var count = _filled;
        _sha256.AppendData(block, 0, count);
        _length += count;

        // Block ids must all have the same length within a blob.
        var id = Convert.ToBase64String(Encoding.ASCII.GetBytes(_blockIds.Count.ToString("D8", CultureInfo.InvariantCulture)));
        _blockIds.Add(id);
        var upload = _blob.StageBlockAsync(id, new MemoryStream(block, 0, count, writable: false), options: null, cancellationToken);
        _inFlight.Enqueue((upload, block));
        _buffer = ArrayPool<byte>.Shared.Rent(_blockSize);
        _filled = 0;
    }

    private async Task CompleteOldestAsync()
    {
        var (upload, buffer) = _inFlight.Dequeue();
        try
        {
            await upload.ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
