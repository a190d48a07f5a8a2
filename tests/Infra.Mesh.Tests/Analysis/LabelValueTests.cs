using System.Text.RegularExpressions;
using CsCheck;
using Infra.Mesh.Analysis.Rules;

namespace Infra.Mesh.Tests.Analysis;

public class LabelValueTests
{
    /// <summary>Kubernetes' label value syntax (apimachinery validation.go labelValueFmt), anchored as Go anchors it.</summary>
    private static readonly Regex Upstream = new(@"\A(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\z", RegexOptions.CultureInvariant);

    [Fact]
    public void Label_values_are_recognized_exactly_as_Kubernetes_recognizes_them()
    {
        Gen.String[Gen.Char["aZ09-_./: \né"], 0, 6].Sample(value =>
            Assert.Equal(Upstream.IsMatch(value), NamesRule.IsLabelValue(value)), iter: 20000);
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("orders", true)]
    [InlineData("orders-v1.2_3", true)]
    [InlineData("-orders", false)]
    [InlineData("orders.", false)]
    [InlineData("orders\n", false)]
    [InlineData("team/orders", false)]
    public void Examples(string value, bool valid) => Assert.Equal(valid, NamesRule.IsLabelValue(value));
}
