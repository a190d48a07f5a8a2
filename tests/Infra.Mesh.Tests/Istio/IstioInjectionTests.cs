using Infra.Mesh.Istio;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Istio;

public class IstioInjectionTests
{
    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void Every_workload_is_in_a_namespace_whose_revision_tag_an_istiod_serves(string stack)
    {
        var plan = Stacks.Plan(stack);
        var objects = Stacks.Objects(plan);
        var servedTags = plan.Releases.Where(r => r.Chart == "istiod").SelectMany(r => r.Values["revisionTags"].Strings()).ToList();
        var injectedNamespaces = objects.OfKind("Namespace")
            .Where(ns => ns["metadata"]!["labels"]?[IstioInjection.RevisionLabel] is { } tag && servedTags.Contains((string)tag!))
            .Select(ns => ns.Name())
            .ToHashSet();

        var deployments = objects.OfKind("Deployment").ToList();
        Assert.NotEmpty(deployments);
        Assert.All(deployments, d => Assert.Contains(d.Namespace()!, injectedNamespaces));
    }

    [Fact]
    public void Injection_is_chosen_on_the_pod_template_never_on_the_deployment_itself()
    {
        var deployments = Stacks.Objects(Stacks.Plan("prod")).OfKind("Deployment").ToList();
        Assert.All(deployments, d =>
        {
            Assert.Equal("true", (string)d["spec"]!["template"]!["metadata"]!["labels"]![IstioInjection.InjectLabel]!);
            var own = d["metadata"]!["annotations"]?.AsObject().Select(a => a.Key) ?? [];
            Assert.DoesNotContain(own, key => key.Contains("istio.io", StringComparison.Ordinal));
        });
    }

    [Fact]
    public void A_service_can_opt_out_of_the_sidecar_and_then_gets_plain_text_and_no_sidecar_resource()
    {
        var dev = Stacks.Settings("dev");
        var plan = Planner.MeshPlanner.Plan(dev with
        {
            Services = [.. dev.Services.Select(s => s.Name == "catalog" ? s with { Injected = false } : s)],
        });
        var objects = Stacks.Objects(plan);
        Assert.All(objects.OfKind("Deployment").Where(d => d.Name().StartsWith("catalog", StringComparison.Ordinal)), d =>
            Assert.Equal("false", (string)d["spec"]!["template"]!["metadata"]!["labels"]![IstioInjection.InjectLabel]!));
        Assert.DoesNotContain(objects.OfKind("Sidecar"), s => s.Name() == "catalog");
        Assert.Equal("DISABLE", (string)objects.Named("DestinationRule", "catalog").Spec()["trafficPolicy"]!["tls"]!["mode"]!);
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("prod")]
    public void Service_ports_name_their_protocol_and_match_a_container_port(string stack)
    {
        string[] protocols = ["http", "http2", "grpc", "tcp"];
        var objects = Stacks.Objects(Stacks.Plan(stack));
        foreach (var service in objects.OfKind("Service"))
        {
            var containerPorts = objects.OfKind("Deployment")
                .Where(d => d.Namespace() == service.Namespace() && (string?)d["metadata"]!["labels"]!["app"] == service.Name())
                .SelectMany(d => d["spec"]!["template"]!["spec"]!["containers"].Items().SelectMany(c => c["ports"].Items()))
                .ToList();
            Assert.NotEmpty(containerPorts);
            foreach (var port in service.Spec()["ports"].Items())
            {
                var name = (string)port["name"]!;
                var appProtocol = (string?)port["appProtocol"];
                Assert.True(
                    protocols.Contains(appProtocol) || protocols.Any(p => name == p || name.StartsWith(p + "-", StringComparison.Ordinal)),
                    $"{service.Name()} port {name} declares no protocol Istio reads");
                Assert.Contains(containerPorts, c => (string)c["name"]! == (string)port["targetPort"]! && (int)c["containerPort"]! == (int)port["port"]!);
            }
        }
    }

    [Fact]
    public void The_nrepl_port_bypasses_the_proxy_where_it_is_enabled()
    {
        var dev = Stacks.Plan("dev");
        var enabled = dev.Settings.Services.Where(s => s.Nrepl.Enabled).ToList();
        Assert.NotEmpty(enabled);
        foreach (var service in enabled)
        {
            var template = Stacks.Objects(dev).Named("Deployment", service.Name)["spec"]!["template"]!["metadata"]!;
            Assert.Equal(service.Nrepl.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                (string)template["annotations"]!["traffic.sidecar.istio.io/excludeInboundPorts"]!);
        }
    }
}
