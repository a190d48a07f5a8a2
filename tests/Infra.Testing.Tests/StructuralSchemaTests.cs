using System.Text.Json.Nodes;
using Xunit;

namespace Infra.Testing.Tests;

/// <summary>Keyword-by-keyword checks against the synthetic Widget CRD in Fixtures/widgets.yaml.</summary>
public class StructuralSchemaTests
{
    private static readonly string FixturePath = Path.Combine(AppContext.BaseDirectory, "Fixtures", "widgets.yaml");
    private static readonly CrdSchemaCatalog Catalog = CrdSchemaCatalog.Load(Path.GetDirectoryName(FixturePath)!);

    [Fact]
    public void WidgetUsingEveryKeywordIsValid()
    {
        var errors = Catalog.Validate(Widget("""
            size: 3
            port: http
            note: null
            ratio: 2
            count32: 7
            labels: {team: shop}
            extra: {anything: {goes: [1, two]}}
            template:
              apiVersion: v1
              kind: Pod
              metadata: {name: sidecar}
              spec: {containers: []}
            tags: [a, b]
            backend: {service: orders}
            """));

        Assert.Empty(errors);
    }

    [Theory]
    [InlineData("{}", "spec.size: required field is missing")]
    [InlineData("{size: 1.5}", "spec.size: expected integer, got number")]
    [InlineData("{size: 11}", "spec.size: 11 is above the maximum 10")]
    [InlineData("{size: 0}", "spec.size: 0 is below the minimum 1")]
    [InlineData("{size: 1, port: [80]}", "spec.port: expected integer or string, got array")]
    [InlineData("{size: 1, note: ABC}", "spec.note: \"ABC\" does not match pattern ^[a-z]*$")]
    [InlineData("{size: 1, note: abcdef}", "spec.note: length 6 exceeds maxLength 5")]
    [InlineData("{size: 1, ratio: fast}", "spec.ratio: expected number, got string")]
    [InlineData("{size: 1, count32: 4294967296}", "spec.count32: 4294967296 does not fit format int32")]
    [InlineData("{size: 1, labels: {team: 7}}", "spec.labels.team: expected string, got integer")]
    [InlineData("{size: 1, template: {apiVersion: v1, spek: {}}}", "spec.template.spek: unknown field")]
    [InlineData("{size: 1, tags: [a, b, c]}", "spec.tags: 3 items, more than maxItems 2")]
    [InlineData("{size: 1, tags: [a, 2]}", "spec.tags[1]: expected string, got integer")]
    [InlineData("{size: 1, backend: {}}", "spec.backend: matches none of the 2 anyOf alternatives")]
    [InlineData("{size: 1, colour: red}", "spec.colour: unknown field")]
    [InlineData("{size: null}", "spec.size: expected integer, got null")]
    public void EachViolationIsReportedOnceWithItsPath(string spec, string expected)
    {
        Assert.Equal([$"Widget shop/w: {expected}"], Catalog.Validate(Widget(spec)));
    }

    [Fact]
    public void UnknownTopLevelFieldAndMissingNameAreReported()
    {
        var widget = Widget("{size: 1}");
        widget["metadata"]!.AsObject().Remove("name");
        widget["status"] = new JsonObject();
        widget["sepc"] = new JsonObject();

        Assert.Equal(
            ["Widget shop/<unnamed>: metadata.name: must be a non-empty string", "Widget shop/<unnamed>: status: unknown field", "Widget shop/<unnamed>: sepc: unknown field"],
            Catalog.Validate(widget));
    }

    [Fact]
    public void UnservedVersionIsUnknownAndAnError()
    {
        var widget = Widget("{size: 1}");
        widget["apiVersion"] = "example.com/v2";

        Assert.True(Catalog.Knows("example.com/v1", "Widget"));
        Assert.False(Catalog.Knows("example.com/v2", "Widget"));
        Assert.Equal(["Widget shop/w: Widget.example.com has no served version 'v2' (served: v1)"], Catalog.Validate(widget));
    }

    [Fact]
    public void NonCrdDocumentsAreSkippedAndDuplicatesRejected()
    {
        Assert.False(Catalog.Knows("v1", "ConfigMap"));
        Assert.Throws<InvalidOperationException>(() => CrdSchemaCatalog.Load(FixturePath, FixturePath));
        Assert.Throws<FileNotFoundException>(() => CrdSchemaCatalog.Load(FixturePath + ".missing"));
    }

    [Fact]
    public void NonObjectInputIsAnError()
    {
        Assert.Equal(["expected a Kubernetes object, got array"], Catalog.Validate(new JsonArray()));
    }

    private static JsonObject Widget(string spec)
    {
        var widget = Yaml.Object("""
            apiVersion: example.com/v1
            kind: Widget
            metadata: {name: w, namespace: shop, labels: {any: thing}}
            """);
        widget["spec"] = Yaml.Parse(spec);
        return widget;
    }
}
