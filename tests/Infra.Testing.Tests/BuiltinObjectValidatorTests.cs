using System.Text.Json.Nodes;
using Xunit;

namespace Infra.Testing.Tests;

public class BuiltinObjectValidatorTests
{
    private const string Deployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: orders
          namespace: shop
          labels: {app.kubernetes.io/name: orders}
          annotations: {linkerd.io/inject: enabled}
        spec:
          replicas: 2
          selector:
            matchLabels: {app: orders}
          strategy:
            type: RollingUpdate
            rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}
          template:
            metadata:
              labels: {app: orders, version: stable}
              annotations: {sidecar.istio.io/inject: "true"}
            spec:
              serviceAccountName: orders
              securityContext: {runAsNonRoot: true, fsGroup: 1000}
              containers:
              - name: orders
                image: ghcr.io/example/orders:1.4.2
                imagePullPolicy: IfNotPresent
                args: []
                ports:
                - {name: http, containerPort: 8080, protocol: TCP}
                env:
                - {name: JAVA_TOOL_OPTIONS, value: "-XX:MaxRAMPercentage=75"}
                - name: POD_NAME
                  valueFrom: {fieldRef: {fieldPath: metadata.name}}
                resources:
                  requests: {cpu: 250m, memory: 512Mi}
                  limits: {cpu: 1, memory: 1Gi}
                readinessProbe:
                  httpGet: {path: /health/ready, port: http}
                  periodSeconds: 5
                livenessProbe:
                  httpGet: {path: /health/live, port: 8080}
                  initialDelaySeconds: 30
                volumeMounts:
                - {name: tmp, mountPath: /tmp}
              volumes:
              - name: tmp
                emptyDir: {}
        """;

    [Fact]
    public void RealisticDeploymentIsValid()
    {
        Assert.Empty(BuiltinObjectValidator.Validate(Yaml.Parse(Deployment)));
    }

    [Fact]
    public void MisspeltContainerFieldIsReportedAsUnknown()
    {
        var deployment = Yaml.Object(Deployment);
        deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["imagePullPolicyy"] = "Always";

        Assert.Equal(
            ["Deployment shop/orders: spec.template.spec.containers[0].imagePullPolicyy: unknown field"],
            BuiltinObjectValidator.Validate(deployment));
    }

    [Fact]
    public void TypeMismatchIsReportedWithItsPath()
    {
        var deployment = Yaml.Object(Deployment);
        deployment["spec"]!["replicas"] = "two";

        var error = Assert.Single(BuiltinObjectValidator.Validate(deployment));
        Assert.StartsWith("Deployment shop/orders: spec.replicas: The JSON value could not be converted", error, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidResourceQuantityIsReported()
    {
        var deployment = Yaml.Object(Deployment);
        deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["resources"]!["limits"]!["cpu"] = "lots";

        var error = Assert.Single(BuiltinObjectValidator.Validate(deployment));
        Assert.StartsWith("Deployment shop/orders: V1Deployment: ", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""
        apiVersion: v1
        kind: Service
        metadata: {name: orders, namespace: shop}
        spec:
          selector: {app: orders}
          ports: [{name: http, port: 80, targetPort: http, appProtocol: http}]
        """)]
    [InlineData("""
        apiVersion: policy/v1
        kind: PodDisruptionBudget
        metadata: {name: orders, namespace: shop}
        spec: {maxUnavailable: 1, selector: {matchLabels: {app: orders}}}
        """)]
    [InlineData("""
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: orders, namespace: shop}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: orders}
          minReplicas: 2
          maxReplicas: 6
          metrics:
          - type: Resource
            resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
        """)]
    [InlineData("""
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: allow-mesh, namespace: shop}
        spec:
          podSelector: {}
          policyTypes: [Ingress]
          ingress:
          - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: istio-system}}}]
            ports: [{port: 15008, protocol: TCP}]
        """)]
    [InlineData("""
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: orders, namespace: shop}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: orders}
        subjects: [{kind: ServiceAccount, name: orders, namespace: shop}]
        """)]
    [InlineData("""
        apiVersion: batch/v1
        kind: Job
        metadata: {name: migrate, namespace: shop}
        spec:
          backoffLimit: 2
          template:
            metadata:
              annotations: {linkerd.io/inject: disabled}
            spec:
              restartPolicy: Never
              containers: [{name: migrate, image: "ghcr.io/example/orders:1.4.2", command: [java, -jar, migrate.jar]}]
        """)]
    [InlineData("""
        apiVersion: v1
        kind: Namespace
        metadata:
          name: shop
          labels: {istio.io/dataplane-mode: ambient}
          annotations: {linkerd.io/inject: enabled}
        """)]
    public void OtherBuiltInKindsAreValid(string yaml)
    {
        Assert.Empty(BuiltinObjectValidator.Validate(Yaml.Parse(yaml)));
    }

    [Fact]
    public void UnknownFieldInAServicePortIsReported()
    {
        var service = Yaml.Parse("""
            apiVersion: v1
            kind: Service
            metadata: {name: orders, namespace: shop}
            spec:
              ports: [{port: 80, targetport: 8080}]
            """);

        Assert.Equal(["Service shop/orders: spec.ports[0].targetport: unknown field"], BuiltinObjectValidator.Validate(service));
    }

    [Fact]
    public void KindsThatAreNotBuiltInAreErrors()
    {
        var certificate = Yaml.Parse("""
            apiVersion: cert-manager.io/v1
            kind: Certificate
            metadata: {name: issuer, namespace: linkerd}
            spec: {secretName: linkerd-identity-issuer}
            """);

        Assert.False(BuiltinObjectValidator.Knows("cert-manager.io/v1", "Certificate"));
        Assert.True(BuiltinObjectValidator.Knows("apps/v1", "Deployment"));
        Assert.Equal(
            ["Certificate linkerd/issuer: 'cert-manager.io/v1' 'Certificate' is not a built-in kind known to KubernetesClient"],
            BuiltinObjectValidator.Validate(certificate));
        Assert.Equal(["expected a Kubernetes object, got string"], BuiltinObjectValidator.Validate(JsonValue.Create("Deployment")));
    }
}
