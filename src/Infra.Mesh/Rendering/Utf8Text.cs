using System.Text;

namespace Infra.Mesh.Rendering;

/// <summary>
/// A file's text as UTF-8, in the parts it was written in: a stage of thousands of objects is written as YAML in
/// parts on every core (<see cref="YamlText.WriteAll(IReadOnlyList{ReadOnlyMemory{byte}})"/>), and the parts go to the
/// file one after another, never joined into one string (at 10,000 services a single manifest file is hundreds of
/// megabytes). Equal when the bytes are, wherever the parts split them.
/// </summary>
public sealed class Utf8Text : IEquatable<Utf8Text>
{
    private readonly ReadOnlyMemory<byte>[] _parts;

    public Utf8Text(IEnumerable<ReadOnlyMemory<byte>> parts)
    {
        _parts = [.. parts];
        Length = _parts.Sum(p => (long)p.Length);
    }

    public static Utf8Text Of(string text) => new([Encoding.UTF8.GetBytes(text)]);

    /// <summary>Bytes in all.</summary>
    public long Length { get; }

    public IReadOnlyList<ReadOnlyMemory<byte>> Parts => _parts;

    public void WriteTo(Stream stream)
    {
        foreach (var part in _parts)
        {
            stream.Write(part.Span);
        }
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        var offset = 0;
        foreach (var part in _parts)
        {
            part.Span.CopyTo(bytes.AsSpan(offset));
            offset += part.Length;
        }

        return bytes;
    }

    /// <summary>The text decoded (for reading it in tests and reviews; the render writes the bytes).</summary>
    public override string ToString() => Encoding.UTF8.GetString(ToArray());

    public bool Equals(Utf8Text? other) =>
        other is not null && (ReferenceEquals(this, other) || (Length == other.Length && ToArray().AsSpan().SequenceEqual(other.ToArray())));

    public override bool Equals(object? obj) => Equals(obj as Utf8Text);

    // Equal texts have equal lengths, wherever their parts split.
    public override int GetHashCode() => Length.GetHashCode();
}
