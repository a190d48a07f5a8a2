using Infra.Mesh.Istio;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Istio.Ambient;

public class AmbientDataPlaneTests
{
    [Fact]
    public void Namespaces_are_enrolled_in_ambient_and_select_no_injection_revision()
    {
        var objects = Stacks.Objects(Stacks.Plan(AmbientStacks.Dev));
        var namespaces = objects.OfKind("Namespace").ToList();

        Assert.Equal(["storefront", "shop", "payments"], namespaces.Select(n => n.Name()));
        Assert.All(namespaces, ns =>
        {
            Assert.Equal("ambient", ns.Label("istio.io/dataplane-mode"));
            // The revision tag's injection webhook selects namespaces by istio.io/rev: that would add sidecars.
            Assert.Null(ns.Label(IstioInjection.RevisionLabel));
        });
        var pods = objects.OfKind("Deployment").Select(d => d.Spec()["template"]!["metadata"]!.AsObject()).ToList();
        Assert.All(pods, pod =>
        {
            Assert.Null(pod["labels"]![IstioInjection.InjectLabel]);
            Assert.Null(pod["annotations"]![IstioInjection.ProxyRevisionAnnotation]);
            Assert.DoesNotContain(pod["annotations"]!.AsObject(), a => a.Key.Contains("sidecar.istio.io", StringComparison.Ordinal) || a.Key == IstioInjection.ProxyConfigAnnotation);
        });
    }

    [Fact]
    public void A_service_that_opts_out_labels_its_pods_out_of_ambient()
    {
        var settings = AmbientStacks.Settings("  infra:serviceOverrides:\n", "  infra:serviceOverrides:\n    payments:\n      inject: false\n");
        var objects = AmbientStacks.Objects(settings);

        var pods = objects.OfKind("Deployment").ToDictionary(d => d.Name(), d => d.Spec()["template"]!["metadata"]!["labels"]!);
        Assert.Equal("none", (string?)pods["payments"]["istio.io/dataplane-mode"]);
        Assert.All(pods.Where(p => p.Key != "payments"), p => Assert.Null(p.Value["istio.io/dataplane-mode"]));
    }

    [Fact]
    public void Nothing_sidecar_only_is_planned()
    {
        var objects = Stacks.Objects(Stacks.Plan(AmbientStacks.Dev));

        Assert.Empty(objects.OfKind("Sidecar"));
        // HBONE is the mTLS; a waypoint ignores ISTIO_MUTUAL anyway.
        Assert.All(objects.OfKind("DestinationRule"), dr => Assert.Null(dr.Spec()["trafficPolicy"]!["tls"]));
        Assert.DoesNotContain(objects.OfKind("Job"), job => job.Spec()["template"]!["metadata"]!["annotations"] is not null);
    }

    [Fact]
    public void Services_called_with_l7_needs_get_their_namespaces_waypoint_and_the_others_stay_on_ztunnel()
    {
        var settings = Stacks.Settings(AmbientStacks.Dev);
        var objects = AmbientStacks.Objects(settings);

        // orders: api-gateway's method/path rules and a canary; catalog: method rules; payments: orders' POST /payments.
        // api-gateway: only the ingress gateway calls it, which routes, retries and times out by itself.
        var served = settings.Services.Where(s => objects.Service(s).Label("istio.io/use-waypoint") == "waypoint").Select(s => s.Name);
        Assert.Equal(["orders", "catalog", "payments"], served);
        var waypoints = objects.OfKind("Gateway").Where(g => (string?)g["apiVersion"] == "gateway.networking.k8s.io/v1").ToList();
        Assert.Equal(["shop", "payments"], waypoints.Select(g => g.Namespace()!));
        Assert.All(waypoints, g =>
        {
            Assert.Equal("waypoint", g.Name());
            Assert.Equal("istio-waypoint", (string?)g.Spec()["gatewayClassName"]);
            var listener = Assert.Single(g.Spec()["listeners"].Items());
            Assert.Equal(("mesh", 15008, "HBONE"), ((string)listener["name"]!, (int)listener["port"]!, (string)listener["protocol"]!));
            Assert.Equal("service", g.Label("istio.io/waypoint-for"));
            Assert.Equal(settings.Istio.Tag, g.Label(IstioInjection.RevisionLabel));
        });

        // Mesh routes only where a waypoint applies them; the ingress gateway keeps its own.
        var routed = objects.OfKind("VirtualService").Where(v => v.Namespace() != settings.Ingress.Namespace).Select(v => v.Name());
        Assert.Equal(["orders", "catalog", "payments"], routed);
    }

    [Fact]
    public void A_call_without_methods_or_paths_to_a_service_without_declared_traffic_needs_no_waypoint()
    {
        // orders calls payments and catalog without methods or paths, and neither declares traffic settings.
        var settings = AmbientStacks.Settings("  infra:serviceOverrides:\n    orders:\n", "  infra:serviceOverrides:\n    orders:\n      calls: [payments, catalog]\n");
        var unrestricted = settings with
        {
            Services = [.. settings.Services.Select(s => s.Name is "payments" or "catalog"
                ? s with { Traffic = s.Traffic with { Declared = [] } }
                : s)],
        };
        var objects = AmbientStacks.Objects(unrestricted);

        // catalog is still called by api-gateway with GET rules: it keeps its waypoint. payments is on ztunnel alone.
        Assert.Equal("waypoint", objects.Service(unrestricted.Service("catalog")).Label("istio.io/use-waypoint"));
        Assert.Null(objects.Service(unrestricted.Service("payments")).Label("istio.io/use-waypoint"));
        Assert.DoesNotContain(objects.OfKind("Gateway"), g => g.Namespace() == "payments");
        Assert.DoesNotContain(objects.OfKind("VirtualService"), v => v.Name() == "payments");
        Assert.DoesNotContain(objects.OfKind("DestinationRule"), d => d.Name() == "payments");
    }
}
