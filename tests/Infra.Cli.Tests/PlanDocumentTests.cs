using System.Text.RegularExpressions;
using Infra.Cli.Tests.Support;
using Infra.Mesh.Security;
using Infra.Testing.Support;

namespace Infra.Cli.Tests;

/// <summary>plan.md as a reviewer reads it: the per-service table and the Mermaid call graph, parsed back.</summary>
public partial class PlanDocumentTests
{
    private sealed record Node(string Label, string Namespace);

    private sealed record Edge(string From, string To, string Label);

    /// <summary>The Mermaid graph: nodes by id (with the namespace subgraph they sit in) and edges between ids.</summary>
    private sealed record Graph(Dictionary<string, Node> Nodes, List<Edge> Edges, int Subgraphs, int Ends);

    private static string RenderPlan(string stack, string project)
    {
        using var output = new TempDirectory();
        return RenderTests.Render(stack, output.Path, project).Text("plan.md");
    }

    private static List<Dictionary<string, string>> ServiceTable(string markdown)
    {
        var lines = markdown.Split('\n').SkipWhile(l => l != "## Services").Skip(1).SkipWhile(string.IsNullOrWhiteSpace)
            .TakeWhile(l => l.StartsWith('|')).ToList();
        static string[] Cells(string row) => [.. row.Trim('|').Split('|').Select(c => c.Trim())];
        var header = Cells(lines[0]);
        return [.. lines.Skip(2).Select(row => header.Zip(Cells(row)).ToDictionary(p => p.First, p => p.Second))];
    }

    private static Graph MermaidGraph(string markdown)
    {
        var lines = markdown.Split('\n').SkipWhile(l => l != "```mermaid").Skip(1).TakeWhile(l => l != "```").ToList();
        var graph = new Graph([], [], 0, 0);
        string? ns = null;
        var (subgraphs, ends) = (0, 0);
        foreach (var line in lines.Skip(1))
        {
            if (SubgraphLine().Match(line) is { Success: true } subgraph)
            {
                (ns, subgraphs) = (subgraph.Groups["ns"].Value, subgraphs + 1);
            }
            else if (line.Trim() == "end")
            {
                (ns, ends) = (null, ends + 1);
            }
            else if (NodeLine().Match(line) is { Success: true } node)
            {
                // Mermaid reads these as syntax, not as node ids, and the drawing falls apart.
                Assert.DoesNotContain(node.Groups["id"].Value, MermaidKeywords);
                graph.Nodes.Add(node.Groups["id"].Value, new Node(node.Groups["label"].Value, ns ?? ""));
            }
            else
            {
                var edge = EdgeLine().Match(line);
                Assert.True(edge.Success, $"unexpected mermaid line '{line}'");
                graph.Edges.Add(new Edge(edge.Groups["from"].Value, edge.Groups["to"].Value, edge.Groups["label"].Value));
            }
        }

        Assert.Equal("graph LR", lines[0]);
        return graph with { Subgraphs = subgraphs, Ends = ends };
    }

    [Theory]
    [MemberData(nameof(RenderTests.StackNames), MemberType = typeof(RenderTests))]
    public void The_service_table_has_one_row_per_service(string stack)
    {
        var settings = Stacks.Settings(stack);

        var rows = ServiceTable(RenderPlan(stack, Stacks.ProjectDirectory));

        Assert.Equal(
            settings.Services.Select(s => (s.Name, s.Namespace, $"`{s.Image}`", s.Replicas.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            rows.Select(r => (r["Service"], r["Namespace"], r["Image"], r["Replicas"])));
        Assert.Equal(settings.Services.Select(s => s.Canary is null ? "-" : $"`{s.Canary.Tag}` {s.Canary.Weight}%"), rows.Select(r => r["Canary"]));
    }

    [Theory]
    [MemberData(nameof(RenderTests.StackNames), MemberType = typeof(RenderTests))]
    public void The_call_graph_draws_every_service_in_its_namespace_and_exactly_the_declared_calls(string stack)
    {
        var settings = Stacks.Settings(stack);

        var graph = MermaidGraph(RenderPlan(stack, Stacks.ProjectDirectory));

        Assert.Equal(
            settings.Services.Select(s => new Node(s.Name, s.Namespace)).OrderBy(n => n.Label, StringComparer.Ordinal),
            graph.Nodes.Values.OrderBy(n => n.Label, StringComparer.Ordinal));
        Assert.Equal((settings.Namespaces.Length, settings.Namespaces.Length), (graph.Subgraphs, graph.Ends));
        string Label(string id) => graph.Nodes.TryGetValue(id, out var node) ? node.Label : id;
        var edges = graph.Edges.Select(e => (From: Label(e.From), To: Label(e.To), e.Label)).ToList();
        Assert.Equal(
            CallGraph.Of(settings).Edges.Select(e => (e.Caller.Name, e.Callee.Name, string.Join(" ", e.Call.Methods))).Order(),
            edges.Where(e => e.From != "ingress").Order());
        Assert.Equal(
            settings.Services.Where(s => s.Public is not null).Select(s => ("ingress", s.Name, s.Public!.Host)).Order(),
            edges.Where(e => e.From == "ingress").Order());
    }

    [Theory]
    [InlineData("end")]
    [InlineData("ingress")]
    [InlineData("graph")]
    public void A_service_named_like_mermaid_syntax_or_the_ingress_is_still_its_own_node(string name)
    {
        using var files = new StackFiles();
        // Nothing calls api-gateway and dev-linkerd does not override it, so it can be renamed alone.
        files.Replace("Pulumi.yaml", "- name: api-gateway", $"- name: {name}");

        var graph = MermaidGraph(RenderPlan("dev-linkerd", files.Directory));

        var node = Assert.Single(graph.Nodes.Values, n => n.Label == name);
        Assert.Equal("storefront", node.Namespace);
        var fromIngress = Assert.Single(graph.Edges, e => !graph.Nodes.ContainsKey(e.From));
        Assert.Equal(node, graph.Nodes[fromIngress.To]);
        Assert.Equal(graph.Subgraphs, graph.Ends);
    }

    private static readonly string[] MermaidKeywords = ["end", "graph", "subgraph", "flowchart", "style", "class", "classDef", "click", "linkStyle", "direction"];

    [GeneratedRegex(@"^\s*subgraph \w+ \[namespace (?<ns>[a-z0-9-]+)\]$")]
    private static partial Regex SubgraphLine();

    [GeneratedRegex(@"^\s*(?<id>\w+)\[(?<label>[^\]]+)\]$")]
    private static partial Regex NodeLine();

    [GeneratedRegex(@"^\s*(?<from>\w+)(\(\(\w+\)\))? -->(\|(?<label>[^|]*)\|)? (?<to>\w+)$")]
    private static partial Regex EdgeLine();
}
