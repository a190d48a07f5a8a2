using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Moq;
using Pulumi;
using Pulumi.Kubernetes.Yaml.V2;
using Pulumi.Testing;

namespace Infra.Tests;

/// <summary>Plan JSON must reach Pulumi as values its serializer accepts, with numbers intact.</summary>
[Collection(PulumiRuns.Name)]
public class PlainValuesTests
{
    [Fact]
    public async Task Whole_numbers_beyond_int_range_are_registered_with_their_value()
    {
        var registered = new List<MockResourceArgs>();
        var mocks = new Mock<IMocks>();
        mocks.Setup(m => m.NewResourceAsync(It.IsAny<MockResourceArgs>()))
            .ReturnsAsync((MockResourceArgs args) =>
            {
                registered.Add(args);
                return ($"{args.Name}-id", (object)args.Inputs);
            });
        var obj = JsonNode.Parse("""{"kind": "ConfigMap", "data": {"bytes": 3000000000, "ratio": 0.5, "replicas": 3}}""")!.AsObject();

        await Deployment.TestAsync(mocks.Object, new TestOptions { IsPreview = false }, () =>
            _ = new ConfigGroup("numbers", new Pulumi.Kubernetes.Types.Inputs.Yaml.V2.ConfigGroupArgs { Objs = new object[] { PlainValues.Of(obj) } }));

        var objs = Assert.IsAssignableFrom<IEnumerable<object>>(Assert.Single(registered).Inputs["objs"]);
        var data = (ImmutableDictionary<string, object>)((ImmutableDictionary<string, object>)Assert.Single(objs))["data"];
        Assert.Equal(3_000_000_000d, Convert.ToDouble(data["bytes"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(0.5, Convert.ToDouble(data["ratio"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(3, Convert.ToInt32(data["replicas"], System.Globalization.CultureInfo.InvariantCulture));
    }
}
