using System.Text;
using CsCheck;
using Infra.Mesh.Rendering;

namespace Infra.Mesh.Tests.Rendering;

public class Utf8TextTests
{
    private static Utf8Text Split(byte[] bytes, IEnumerable<int> cuts)
    {
        var points = cuts.Select(c => c % (bytes.Length + 1)).Append(0).Append(bytes.Length).Distinct().Order().ToArray();
        return new Utf8Text(points.Zip(points.Skip(1), (start, end) => (ReadOnlyMemory<byte>)bytes.AsMemory(start, end - start)));
    }

    [Fact]
    public void Texts_are_equal_when_their_bytes_are_wherever_the_parts_split_them()
    {
        Gen.Select(Gen.String, Gen.Int[0, 1000].Array[0, 5], Gen.Int[0, 1000].Array[0, 5]).Sample((text, a, b) =>
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            var first = Split(bytes, a);
            var second = Split(bytes, b);

            Assert.Equal(first, second);
            Assert.Equal(first.GetHashCode(), second.GetHashCode());
            Assert.Equal(text, first.ToString());
            Assert.Equal(bytes.Length, first.Length);
            using var written = new MemoryStream();
            first.WriteTo(written);
            Assert.Equal(bytes, written.ToArray());
        });
    }

    [Fact]
    public void Texts_with_other_bytes_differ()
    {
        Assert.NotEqual(Utf8Text.Of("kind: Server\n"), Utf8Text.Of("kind: Servers\n"));
        Assert.NotEqual(Utf8Text.Of("a: 1\n"), Utf8Text.Of("a: 2\n"));
    }
}
