using Xunit;

namespace Infra.Testing.Tests;

public class HelmChartValuesTests
{
    [Fact]
    public void IstiodAcceptsItsValuesAtTheTopLevelAndUnderPilot()
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
    public void IstiodReportsMisspeltKeysWithTheirDottedPath()
    {
        var istiod = HelmChartValues.Istio("istiod");

        Assert.Equal(
            ["pilot.replicaCountt", "global.proxy.resourcez"],
            istiod.UnknownKeys(Yaml.Parse("pilot: {replicaCountt: 2}\nglobal: {proxy: {resourcez: {}}}")));
    }

    [Fact]
    public void FreeFormMapsAcceptAnyKey()
    {
        var istiod = HelmChartValues.Istio("istiod");

        Assert.Empty(istiod.UnknownKeys(Yaml.Parse("podAnnotations: {sidecar.istio.io/inject: \"false\"}\nnodeSelector: {pool: system}")));
    }

    [Fact]
    public void MapOverAScalarDefaultIsATypeMismatch()
    {
        var istiod = HelmChartValues.Istio("istiod");

        Assert.Equal(
            ["autoscaleEnabled (type mismatch: the chart default is boolean, we set a map)"],
            istiod.UnknownKeys(Yaml.Parse("autoscaleEnabled: {value: true}")));
    }

    [Fact]
    public void GatewayAndZtunnelAcceptTheirRootKeysUnderGlobal()
    {
        var gateway = HelmChartValues.Istio("gateway");
        var ztunnel = HelmChartValues.Istio("ztunnel");

        Assert.Empty(gateway.UnknownKeys(Yaml.Parse("global: {imagePullPolicy: Always, networkPolicy: {enabled: true}}")));
        Assert.Equal(["global.hub"], gateway.UnknownKeys(Yaml.Parse("global: {hub: docker.io/istio}")));
        Assert.Empty(ztunnel.UnknownKeys(Yaml.Parse("global: {hub: docker.io/istio, tag: 1.30.3}")));
        Assert.Equal(["global.hubb"], ztunnel.UnknownKeys(Yaml.Parse("global: {hubb: x}")));
    }

    [Fact]
    public void ResourceRequirementsDefaultsAcceptLimitsButNothingElse()
    {
        var istiod = HelmChartValues.Istio("istiod");

        Assert.Equal(
            ["resources.limitz"],
            istiod.UnknownKeys(Yaml.Parse("resources: {requests: {cpu: 1, ephemeral-storage: 1Gi}, limits: {memory: 4Gi}, limitz: {}}")));
    }

    [Fact]
    public void IstioBaseDoesNotDescopeAnyKey()
    {
        Assert.Equal(["pilot"], HelmChartValues.Istio("base").UnknownKeys(Yaml.Parse("pilot: {enabled: true}\ndefaultRevision: default")));
    }

    [Fact]
    public void LinkerdControlPlaneDeclaresItsIdentityKeys()
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
    public void LinkerdListsAreAcceptedWithoutLookingInside()
    {
        Assert.Empty(HelmChartValues.Linkerd("linkerd-viz").UnknownKeys(Yaml.Parse("tolerations: [{key: dedicated, operator: Exists}]")));
    }

    [Fact]
    public void GatewayValuesSchemaIsEnforced()
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
    public void ChartsWithoutASchemaReportNoSchemaErrors()
    {
        var istiod = HelmChartValues.Istio("istiod");

        Assert.False(istiod.HasSchema);
        Assert.Empty(istiod.SchemaErrors(Yaml.Parse("anything: 1")));
    }

    [Fact]
    public void UnknownChartNamesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => HelmChartValues.Istio("istio-discovery"));
        Assert.Throws<ArgumentException>(() => HelmChartValues.Linkerd("linkerd2"));
    }

    [Fact]
    public void LoadReadsAnyValuesFile()
    {
        var crds = HelmChartValues.Load(Path.Combine(ReferenceData.LinkerdChart("linkerd-crds"), "values.yaml"));

        Assert.Equal(["installGatewayApi"], crds.UnknownKeys(Yaml.Parse("installGatewayAPI: false\ninstallGatewayApi: true")));
    }
}
