using Infra.Testing;
using Xunit;

namespace Infra.Testing.Tests;

public class HelmChartValuesTests
{
    [Fact]
    public void Istiod_accepts_its_values_at_the_top_level_and_under_pilot()
    {
        var istiod = HelmChartValues.Istio("istiod");

        Assert.Empty(istiod.UnknownKeys(Yaml.Parse("""
            replicaCount: 2
            pilot: {replicaCount: 2, autoscaleEnabled: false, resources: {requests: {cpu: 100m}}}
            profile: ambient
            global: {proxy: {resources: {requests: {cpu: 10m}}}}
            meshConfig: {accessLogFile: /dev/stdout, defaultConfig: {holdApplicationUntilProxyStarts: true}}
            """)));
    }

    [Fact]
    public void Istiod_reports_misspelt_keys_with_their_dotted_path()
    {
        var istiod = HelmChartValues.Istio("istiod");

        Assert.Equal(
            ["pilot.replicaCountt", "global.proxy.resourcez"],
            istiod.UnknownKeys(Yaml.Parse("pilot: {replicaCountt: 2}\nglobal: {proxy: {resourcez: {}}}")));
    }

    [Fact]
    public void Free_form_maps_accept_any_key()
    {
        var istiod = HelmChartValues.Istio("istiod");

        Assert.Empty(istiod.UnknownKeys(Yaml.Parse("podAnnotations: {sidecar.istio.io/inject: \"false\"}\nnodeSelector: {pool: system}")));
    }

    [Fact]
    public void Map_over_a_scalar_default_is_a_type_mismatch()
    {
        var istiod = HelmChartValues.Istio("istiod");

        Assert.Equal(
            ["autoscaleEnabled (type mismatch: the chart default is boolean, we set a map)"],
            istiod.UnknownKeys(Yaml.Parse("autoscaleEnabled: {value: true}")));
    }

    [Fact]
    public void Gateway_and_ztunnel_accept_root_keys_under_global()
    {
        Assert.Empty(HelmChartValues.Istio("gateway").UnknownKeys(Yaml.Parse("global: {hub: docker.io/istio, networkPolicy: {enabled: true}}")));
        Assert.Equal(["global.hubb"], HelmChartValues.Istio("ztunnel").UnknownKeys(Yaml.Parse("global: {hubb: x}")));
    }

    [Fact]
    public void Istio_base_does_not_descope_any_key()
    {
        Assert.Equal(["pilot"], HelmChartValues.Istio("base").UnknownKeys(Yaml.Parse("pilot: {enabled: true}\ndefaultRevision: default")));
    }

    [Fact]
    public void Linkerd_control_plane_declares_its_identity_keys()
    {
        var controlPlane = HelmChartValues.Linkerd("linkerd-control-plane");

        var unknown = controlPlane.UnknownKeys(Yaml.Parse("""
            identityTrustAnchorsPEM: "-----BEGIN CERTIFICATE-----"
            identity:
              issuer:
                tls: {crtPEM: "-----BEGIN CERTIFICATE-----", keyPEM: "-----BEGIN EC PRIVATE KEY-----", certPEM: x}
            podAnnotations: {config.linkerd.io/anything: "yes"}
            controllerReplicas: 3
            """));

        Assert.Equal(["identity.issuer.tls.certPEM"], unknown);
    }

    [Fact]
    public void Linkerd_lists_are_accepted_without_looking_inside()
    {
        Assert.Empty(HelmChartValues.Linkerd("linkerd-viz").UnknownKeys(Yaml.Parse("tolerations: [{key: dedicated, operator: Exists}]")));
    }

    [Fact]
    public void Gateway_values_schema_is_enforced()
    {
        var gateway = HelmChartValues.Istio("gateway");

        Assert.True(gateway.HasSchema);
        Assert.Empty(gateway.SchemaErrors(Yaml.Parse("""
            service:
              type: LoadBalancer
              ports: [{name: http2, port: 80, protocol: TCP, targetPort: 8080}]
            replicaCount: null
            unprivilegedPort: auto
            annotations: {team: shop, revision: 3}
            """)));
        Assert.Equal(
            [
                "kind: \"StatefulSet\" is not one of [\"Deployment\",\"DaemonSet\"]",
                "service.ports[0].targetPort: expected integer, got string",
                "servce: unknown field",
            ],
            gateway.SchemaErrors(Yaml.Parse("kind: StatefulSet\nservice: {ports: [{port: 80, targetPort: \"8080\"}]}\nservce: {}")));
    }

    [Fact]
    public void Charts_without_a_schema_report_no_schema_errors()
    {
        var istiod = HelmChartValues.Istio("istiod");

        Assert.False(istiod.HasSchema);
        Assert.Empty(istiod.SchemaErrors(Yaml.Parse("anything: 1")));
    }

    [Fact]
    public void Unknown_chart_names_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => HelmChartValues.Istio("istio-discovery"));
        Assert.Throws<ArgumentException>(() => HelmChartValues.Linkerd("linkerd2"));
    }

    [Fact]
    public void Load_reads_any_values_file()
    {
        var crds = HelmChartValues.Load(Path.Combine(ReferenceData.LinkerdChart("linkerd-crds"), "values.yaml"));

        Assert.Equal(["installGatewayApi"], crds.UnknownKeys(Yaml.Parse("installGatewayAPI: false\ninstallGatewayApi: true")));
    }
}
