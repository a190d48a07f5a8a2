using Infra.Mesh.Settings;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Linkerd;

public class LinkerdInjectionTests
{
    [Theory]
    [MemberData(nameof(LinkerdStacks.All), MemberType = typeof(LinkerdStacks))]
    public void Every_application_namespace_is_injected(string variant)
    {
        var settings = LinkerdStacks.Settings(variant);
        var objects = LinkerdStacks.Objects(variant);
        Assert.All(settings.Namespaces, ns =>
            Assert.Equal("enabled", (string?)objects.Named("Namespace", ns)["metadata"]!["annotations"]!["linkerd.io/inject"]));
    }

    [Theory]
    [MemberData(nameof(LinkerdStacks.All), MemberType = typeof(LinkerdStacks))]
    public void Pods_wait_for_their_proxy_and_keep_nrepl_out_of_it(string variant)
    {
        var settings = LinkerdStacks.Settings(variant);
        var objects = LinkerdStacks.Objects(variant);
        foreach (var service in settings.Services)
        {
            var annotations = objects.Named("Deployment", service.Name)["spec"]!["template"]!["metadata"]!["annotations"]!;
            Assert.Equal("enabled", (string?)annotations["config.linkerd.io/proxy-await"]);
            Assert.Equal(service.Nrepl.Enabled ? service.Nrepl.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
                (string?)annotations["config.linkerd.io/skip-inbound-ports"]);
        }
    }

    [Fact]
    public void Declared_tcp_hosts_outside_the_default_opaque_ports_bypass_protocol_detection()
    {
        using var files = new StackFiles();
        // 5432 is a default opaque port; 5433 and 2525 (a second database, an SMTP relay) are not.
        files.Replace("Pulumi.dev-linkerd.yaml", "  infra:serviceOverrides:\n", "  infra:serviceOverrides:\n    payments:\n      externalHosts:\n"
            + "        - {host: ledger-db.acme.internal, port: 5433, protocol: tcp}\n        - {host: relay.acme.internal, port: 2525, protocol: tcp}\n"
            + "        - {host: audit-db.acme.internal, port: 5432, protocol: tcp}\n        - api.stripe.com\n");
        var objects = Stacks.Objects(LinkerdStacks.Plan(files, LinkerdStacks.Dev));

        Assert.Equal("2525,5433", (string?)objects.Named("Deployment", "payments")["spec"]!["template"]!["metadata"]!["annotations"]!["config.linkerd.io/skip-outbound-ports"]);
        // orders declares only its database on 5432, which the proxy already forwards as TCP.
        Assert.Null(objects.Named("Deployment", "orders")["spec"]!["template"]!["metadata"]!["annotations"]!["config.linkerd.io/skip-outbound-ports"]);
    }

    [Fact]
    public void A_service_can_opt_out_on_its_pod_template()
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.dev-linkerd.yaml", "  infra:serviceOverrides:\n", "  infra:serviceOverrides:\n    payments:\n      inject: false\n");
        var objects = Stacks.Objects(LinkerdStacks.Plan(files, LinkerdStacks.Dev));
        var annotations = objects.Named("Deployment", "payments")["spec"]!["template"]!["metadata"]!["annotations"]!;
        Assert.Equal("disabled", (string?)annotations["linkerd.io/inject"]);
        // Without a proxy there is nothing to hold a Server: no policy pretends to protect it.
        Assert.DoesNotContain(objects.OfKind("Server"), s => (string?)s["spec"]!["podSelector"]!["matchLabels"]?["app"] == "payments");
    }

    [Fact]
    public void Prod_meshes_pods_that_pass_restricted_pod_security_through_the_cni()
    {
        var plan = LinkerdStacks.Plan(LinkerdStacks.Prod);
        var objects = Stacks.Objects(plan);
        Assert.All(plan.Settings.Namespaces, ns =>
            Assert.Equal("restricted", (string?)objects.Named("Namespace", ns)["metadata"]!["labels"]!["pod-security.kubernetes.io/enforce"]));
        // Without the CNI the injector would add proxy-init with NET_ADMIN and NET_RAW, which restricted rejects.
        Assert.True((bool?)plan.Release("linkerd-control-plane").Values["cniEnabled"]);
        Assert.Equal("linkerd-cni", plan.Release("linkerd2-cni").Namespace);
        Assert.Equal("privileged", (string?)objects.Named("Namespace", "linkerd-cni")["metadata"]!["labels"]!["pod-security.kubernetes.io/enforce"]);
        Assert.Equal("restricted", (string?)objects.Named("Namespace", "linkerd")["metadata"]!["labels"]!["pod-security.kubernetes.io/enforce"]);
    }

    [Fact]
    public void Prod_refuses_to_run_without_the_cni()
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.prod.yaml", "infra:mesh: istio", "infra:mesh: linkerd\n  infra:linkerd:\n    cni: false");
        var error = Assert.Throws<SettingsException>(() => LinkerdStacks.Load(files, "prod"));
        Assert.Contains("infra:linkerd.cni", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_issuer_must_expire_before_its_trust_anchor()
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.dev-linkerd.yaml", "issuerValidityHours: 2160", "issuerValidityHours: 2160\n      trustAnchorValidityHours: 1000");
        var error = Assert.Throws<SettingsException>(() => LinkerdStacks.Load(files, LinkerdStacks.Dev));
        Assert.Contains("infra:linkerd.identity.issuerValidityHours", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Viz_prometheus_may_scrape_every_proxy_even_under_default_deny()
    {
        var plan = LinkerdStacks.Plan(LinkerdStacks.Prod);
        var model = new InboundPolicyModel(Stacks.Objects(plan));
        foreach (var ns in plan.Settings.Namespaces)
        {
            Assert.True(model.Allows(ns, "proxy-admin", "prometheus/linkerd-viz", "GET", "/metrics"));
            Assert.True(model.Allows(ns, "proxy-admin", InboundPolicyModel.Unauthenticated, "GET", "/ready"));
            Assert.False(model.Allows(ns, "proxy-admin", "orders/shop", "GET", "/metrics"));
        }
    }
}
