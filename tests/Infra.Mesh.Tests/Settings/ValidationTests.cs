using Infra.Mesh.Settings;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Settings;

public class ValidationTests
{
    private const string Project = "Pulumi.yaml";
    private const string Dev = "Pulumi.dev.yaml";
    private const string Prod = "Pulumi.prod.yaml";
    private const string DevLinkerd = "Pulumi.dev-linkerd.yaml";
    private const string DevProgressive = "Pulumi.dev-progressive.yaml";
    private const string DevLinkerdProgressive = "Pulumi.dev-linkerd-progressive.yaml";

    /// <summary>One broken copy of a fixture stack per rule; each must produce exactly one error that says where and why.</summary>
    public static TheoryData<Breakage> Rules => new(
        new Breakage("analysis step above its maximum weight", "dev-progressive", DevProgressive, "stepWeight: 10", "stepWeight: 70",
            "infra:serviceOverrides.orders.delivery.stepWeight", "70", "maxWeight (50)", "1..50"),
        new Breakage("analysis maximum weight above 100", "dev-progressive", DevProgressive, "maxWeight: 50", "maxWeight: 150",
            "infra:serviceOverrides.orders.delivery.maxWeight", "150", "1..100"),
        new Breakage("analysis interval too short for two scrapes", "dev-progressive", DevProgressive, "interval: 1m", "interval: 5s",
            "infra:serviceOverrides.orders.delivery.interval", "'5s'", "30s..30m"),
        new Breakage("analysis success rate above 100", "dev-progressive", DevProgressive, "successRate: 99", "successRate: 120",
            "infra:serviceOverrides.orders.delivery.successRate", "120", "1..100"),
        new Breakage("analysis request duration out of range", "dev-progressive", DevProgressive, "maxRequestDuration: 800ms", "maxRequestDuration: 2m",
            "infra:serviceOverrides.orders.delivery.maxRequestDuration", "'2m'", "1ms..60s"),
        new Breakage("analysis load rate out of range", "dev-linkerd-progressive", DevLinkerdProgressive, "requestsPerSecond: 20", "requestsPerSecond: 0",
            "infra:serviceOverrides.orders.delivery.loadTest.requestsPerSecond", "0", "1..1000"),
        new Breakage("A/B iterations without a header", "dev-linkerd-progressive", DevLinkerdProgressive, "stepWeight: 20", "iterations: 5\n        stepWeight: 20",
            "infra:serviceOverrides.orders.delivery.iterations", "A/B", "header"),
        new Breakage("weights on an A/B test", "dev-progressive", DevProgressive, "iterations: 5", "iterations: 5\n        maxWeight: 30",
            "infra:serviceOverrides.payments.delivery.maxWeight", "weighted canary", "iterations") { Line = ErrorLine.Elsewhere },
        new Breakage("progressive delivery on Istio without the Prometheus addon", "dev-progressive", DevProgressive, "prometheus: true", "prometheus: false",
            "infra:delivery", "'progressive'", "infra:observability.prometheus is false", "static") { Line = ErrorLine.Elsewhere },
        new Breakage("progressive delivery on Istio's ambient data plane", "dev-progressive", DevProgressive, "  infra:mesh: istio\n",
            "  infra:mesh: istio\n  infra:istio:\n    dataplane: ambient\n",
            "infra:delivery", "'progressive'", "ambient", "dataplane: sidecar") { Line = ErrorLine.Elsewhere },
        new Breakage("progressive delivery on Linkerd without viz", "dev-linkerd-progressive", DevLinkerdProgressive, "viz: true", "viz: false",
            "infra:delivery", "'progressive'", "infra:linkerd.viz is false", "static") { Line = ErrorLine.Elsewhere },
        new Breakage("progressive service with only TCP ports", "dev-progressive", DevProgressive, "    orders:\n      delivery:",
            "    orders:\n      ports: [{name: tcp, port: 8080, protocol: tcp}]\n      delivery:",
            "infra:serviceOverrides.orders.ports", "no http, http2 or grpc port", "delivery.enabled: false") { Line = ErrorLine.Elsewhere },
        new Breakage("progressive service outside the mesh", "dev-progressive", DevProgressive, "    payments:\n", "    payments:\n      inject: false\n",
            "infra:serviceOverrides.payments.inject", "'false'", "request metrics", "delivery.enabled: false") { Line = ErrorLine.Elsewhere },
        new Breakage("static canary on a progressive service", "dev-progressive", DevProgressive, "    orders:\n      delivery:",
            "    orders:\n      canary: {tag: 2.8.0-rc.1, weight: 10}\n      delivery:",
            "infra:serviceOverrides.orders.canary", "static canary", "delivery.enabled: false") { Line = ErrorLine.Elsewhere },
        new Breakage("connection limit Flagger's Canary cannot carry", "dev-progressive", DevProgressive, "    orders:\n      delivery:",
            "    orders:\n      traffic: {connectionPool: {maxConnections: 50}}\n      delivery:",
            "infra:serviceOverrides.orders.traffic.connectionPool.maxConnections", "connectionPool.tcp", "delivery.enabled: false") { Line = ErrorLine.Elsewhere },
        new Breakage("unknown delivery mode", "dev-progressive", DevProgressive, "infra:delivery: progressive", "infra:delivery: canary",
            "infra:delivery", "'canary'", "static, progressive"),
        new Breakage("unknown mesh", "dev", Dev, "infra:mesh: istio", "infra:mesh: consul",
            "infra:mesh", "'consul'", "istio, linkerd"),
        new Breakage("unknown environment", "dev", Dev, "infra:environment: dev", "infra:environment: qa",
            "infra:environment", "'qa'", "dev, staging, prod"),
        new Breakage("canary weight above 100", "dev", Dev, "weight: 10", "weight: 150",
            "infra:serviceOverrides.orders.canary.weight", "150", "0..100"),
        new Breakage("canary weight below 0", "dev-linkerd", DevLinkerd, "weight: 10", "weight: -1",
            "infra:serviceOverrides.orders.canary.weight", "-1", "0..100"),
        new Breakage("canary header value with the checks' separator", "dev", Dev, "weight: 10", "header: {value: \"a|b\"}\n        weight: 10",
            "infra:serviceOverrides.orders.canary.header.value", "a|b", "no '|'"),
        new Breakage("call to an undeclared service", "dev", Project, "- service: payments", "- service: billing",
            "infra:services[orders].calls[0].service", "'billing'", "api-gateway, catalog, orders, payments"),
        new Breakage("duplicate service name", "dev-linkerd", Project, "- name: api-gateway", "- name: payments",
            "infra:services[payments].name", "'payments'", "unique") { Line = ErrorLine.Elsewhere },
        new Breakage("service name not DNS-1123", "dev-linkerd", Project, "- name: api-gateway", "- name: API_Gateway",
            "infra:services[API_Gateway].name", "'API_Gateway'", "DNS-1123"),
        new Breakage("namespace not DNS-1123", "dev", Project, "namespace: payments", "namespace: Payments.NS",
            "infra:services[payments].namespace", "'Payments.NS'", "DNS-1123"),
        new Breakage("duplicate port number", "dev", Project, "port: 9090", "port: 8080",
            "infra:services[catalog].ports[grpc].port", "8080", "its own number"),
        new Breakage("duplicate port name", "dev", Project, "- name: grpc\n            port: 9090", "- name: http\n            port: 9090",
            "infra:services[catalog].ports[http].name", "'http'", "unique"),
        new Breakage("port protocol the mesh cannot use", "dev", Project, "protocol: grpc", "protocol: udp",
            "infra:services[catalog].ports[grpc].protocol", "'udp'", "http, http2, grpc, tcp"),
        new Breakage("port without a protocol", "dev", Project, "port: 9090\n            protocol: grpc", "port: 9090",
            "infra:services[catalog].ports[grpc].protocol", "required", "http, http2, grpc, tcp") { Line = ErrorLine.Elsewhere },
        new Breakage("public path with a wildcard", "dev", Project, "host: api.acme.example", "host: api.acme.example\n          paths: [/api/*]",
            "infra:services[api-gateway].public.paths", "'/api/*'", "without *") { Line = ErrorLine.Elsewhere },
        new Breakage("per-namespace mTLS for a namespace the catalog does not have", "dev", Dev, "mtls: PERMISSIVE", "mtls: PERMISSIVE\n    namespaceMtls:\n      shpo: STRICT",
            "infra:security.namespaceMtls.shpo", "'shpo'", "payments, shop, storefront") { Line = ErrorLine.Elsewhere },
        new Breakage("image without tag or digest", "dev", Project, "image: ghcr.io/acme/orders:2.7.0", "image: ghcr.io/acme/orders",
            "infra:services[orders].image", "'ghcr.io/acme/orders'", "repository:1.2.3 or repository@sha256"),
        new Breakage("latest image in prod", "prod", Project, "image: ghcr.io/acme/orders:2.7.0", "image: ghcr.io/acme/orders:latest",
            "infra:services[orders].image", "'ghcr.io/acme/orders:latest'", "pin a version or a digest"),
        new Breakage("PERMISSIVE mTLS in prod", "prod", Prod, "mtls: STRICT", "mtls: PERMISSIVE",
            "infra:security.mtls", "'PERMISSIVE'", "allowed: STRICT"),
        new Breakage("default deny off in prod", "prod", Prod, "defaultDeny: true", "defaultDeny: false",
            "infra:security.defaultDeny", "'false'", "allowed: true"),
        new Breakage("missing environment", "dev", Dev, "  infra:environment: dev\n", "",
            "infra:environment", "required", "dev, staging, prod") { Line = ErrorLine.None },
        // orders has an override in dev: a key missing from its catalog entry is still reported in the catalog.
        new Breakage("missing service image", "dev", Project, "        image: ghcr.io/acme/orders:2.7.0\n", "",
            "infra:services[orders].image", "required") { Line = ErrorLine.Elsewhere },
        new Breakage("missing service namespace", "dev", Project, "        namespace: payments\n", "",
            "infra:services[payments].namespace", "required") { Line = ErrorLine.Elsewhere },
        new Breakage("missing service ports", "dev", Project,
            "        ports:\n          - name: http\n            port: 8080\n            protocol: http\n        nrepl:\n          port: 7888\n        resources:\n          cpu: 500m\n          memory: 1Gi\n        config:\n          reload: restart\n          edn:\n            provider:",
            "        nrepl:\n          port: 7888\n        resources:\n          cpu: 500m\n          memory: 1Gi\n        config:\n          reload: restart\n          edn:\n            provider:",
            "infra:services[payments].ports", "required", "name, port, protocol") { Line = ErrorLine.Elsewhere },
        new Breakage("empty port list", "dev", Project,
            "        ports:\n          - name: http\n            port: 8080\n            protocol: http\n        nrepl:\n          port: 7888\n        resources:\n          cpu: 500m\n          memory: 1Gi\n        config:\n          reload: restart\n          edn:\n            provider:",
            "        ports: []\n        nrepl:\n          port: 7888\n        resources:\n          cpu: 500m\n          memory: 1Gi\n        config:\n          reload: restart\n          edn:\n            provider:",
            "infra:services[payments].ports", "must not be empty", "name, port, protocol"),
        new Breakage("health port not declared", "dev", Project, "readinessPath: /health/ready", "port: admin\n          readinessPath: /health/ready",
            "infra:services[api-gateway].health.port", "'admin'", "declared: http"),
        new Breakage("mapping where a string belongs", "dev", Project, "image: ghcr.io/acme/orders:2.7.0", "image: {repository: ghcr.io/acme/orders}",
            "infra:services[orders].image", "expected a string", "a mapping"),
        new Breakage("word where a number belongs", "dev", Dev, "api-gateway:\n      replicas: 1", "api-gateway:\n      replicas: three",
            "infra:serviceOverrides.api-gateway.replicas", "'three'", "0..100") { Line = ErrorLine.Elsewhere },
        new Breakage("list where a boolean belongs", "prod", Prod, "defaultDeny: true", "defaultDeny: [true]",
            "infra:security.defaultDeny", "a list", "true or false"),
        new Breakage("malformed YAML", "prod", Prod, "    defaultDeny: true", "   defaultDeny: true",
            "(file)", "malformed YAML"),
        new Breakage("typo in a top-level key", "dev", Dev, "infra:observability:", "infra:observabilty:",
            "infra:observabilty", "'observabilty'", "observability"),
        new Breakage("typo in an override", "dev", Dev, "weight: 10", "wieght: 10",
            "infra:serviceOverrides.orders.canary.wieght", "'wieght'", "tag, weight, replicas, header"),
        new Breakage("typo in the catalog", "dev", Project, "startupSeconds: 120", "startupSecs: 120",
            "infra:services[api-gateway].health.startupSecs", "'startupSecs'", "readinessPath"),
        new Breakage("override of an undeclared service", "dev", Dev, "    api-gateway:\n      replicas: 1", "    api-gatewy:\n      replicas: 1",
            "infra:serviceOverrides.api-gatewy", "'api-gatewy'", "api-gateway, catalog, orders, payments") { Line = ErrorLine.Elsewhere },
        new Breakage("override renaming a service", "dev", Dev, "    api-gateway:\n      replicas: 1", "    api-gateway:\n      name: gateway\n      replicas: 1",
            "infra:serviceOverrides.api-gateway.name", "renamed", "in the catalog") { Line = ErrorLine.Elsewhere },
        new Breakage("external host port out of range", "dev", Project, "port: 5432, protocol: tcp}", "port: 70000, protocol: tcp}",
            "infra:services[orders].externalHosts[0].port", "70000", "1..65535"),
        new Breakage("external host protocol not allowed", "dev", Project, "port: 5432, protocol: tcp}", "port: 5432, protocol: udp}",
            "infra:services[orders].externalHosts[0].protocol", "'udp'", "tls, tcp"),
        new Breakage("tcp external host without a port", "dev", Project, "port: 5432, protocol: tcp}", "protocol: tcp}",
            "infra:services[orders].externalHosts[0].port", "required", "1..65535"),
        new Breakage("external host not a DNS name", "dev", Project, "{host: orders-db.acme.internal,", "{host: orders_db.acme.internal,",
            "infra:services[orders].externalHosts[0].host", "'orders_db.acme.internal'", "DNS host name"),
        new Breakage("plain external host not a DNS name", "dev", Project, "externalHosts: [api.stripe.com]", "externalHosts: [https://api.stripe.com]",
            "infra:services[payments].externalHosts[0]", "'https://api.stripe.com'", "DNS host name"),
        new Breakage("tcp external host with a wildcard", "dev", Project, "{host: orders-db.acme.internal,", "{host: '*.acme.internal',",
            "infra:services[orders].externalHosts[0].host", "'*.acme.internal'", "tls"),
        new Breakage("in-cluster host without its namespace", "dev", Project, "{host: orders-db.acme.internal,", "{host: orders-db.svc.cluster.local,",
            "infra:services[orders].externalHosts[0].host", "'orders-db.svc.cluster.local'", "<service>.<namespace>.svc.cluster.local"),
        new Breakage("external host declared twice", "dev", Project, "externalHosts: [api.stripe.com]", "externalHosts: [api.stripe.com, {host: api.stripe.com, port: 443}]",
            "infra:services[payments].externalHosts[1].host", "'api.stripe.com' port 443", "more than once"),
        new Breakage("typo in an external host", "dev", Project, "port: 5432, protocol: tcp}", "port: 5432, protcol: tcp}",
            "infra:services[orders].externalHosts[0].protcol", "'protcol'", "host, port, protocol"),
        new Breakage("service secret set as plain text", "dev", Dev,
            "infra:environment: dev\n", "infra:environment: dev\n  infra:ordersDbPassword: hunter2\n",
            "infra:services[orders].secrets.DB_PASSWORD", "plain text", "pulumi config set --secret") { ErrorFile = Project, Line = ErrorLine.Elsewhere });

    [Theory]
    [MemberData(nameof(Rules))]
    public void Each_rule_reports_one_error_naming_file_key_value_and_what_is_allowed(Breakage broken)
    {
        using var files = new StackFiles();
        var (errors, brokenLine) = broken.Apply(files);

        var error = Assert.Single(errors);
        Assert.Equal(broken.ErrorFile, error.File);
        Assert.Equal(broken.Key, error.Key);
        Assert.All(broken.Mentions, fragment => Assert.Contains(fragment, error.Message, StringComparison.Ordinal));
        switch (broken.Line)
        {
            case ErrorLine.Replaced:
                Assert.Equal(brokenLine, error.Line);
                break;
            case ErrorLine.Elsewhere:
                Assert.NotNull(error.Line);
                break;
            default:
                Assert.Null(error.Line);
                break;
        }
    }

    [Fact]
    public void Errors_in_several_keys_and_files_are_reported_together()
    {
        using var files = new StackFiles();
        files.Replace(Dev, "weight: 10", "weight: 150");
        files.Replace(Dev, "infra:mesh: istio", "infra:mesh: consul");
        files.Replace(Project, "protocol: grpc", "protocol: udp");

        var errors = Breakage.Load(files, "dev");

        Assert.Equal(
            [
                (Dev, "infra:mesh"),
                (Dev, "infra:serviceOverrides.orders.canary.weight"),
                (Project, "infra:services[catalog].ports[grpc].protocol"),
            ],
            errors.Select(e => (e.File, e.Key)).Order());
    }

    [Fact]
    public void An_unclosed_bracket_is_malformed_yaml_near_its_line()
    {
        using var files = new StackFiles();
        var broken = new Breakage("unclosed bracket", "prod", Prod, "    replicas: 3", "    replicas: [3", "(file)", "malformed YAML");

        var (errors, line) = broken.Apply(files);

        var error = Assert.Single(errors);
        Assert.Equal((Prod, "(file)"), (error.File, error.Key));
        Assert.InRange(error.Line ?? 0, line, line + 1);
    }

    [Fact]
    public void A_secure_value_inside_a_mapping_is_rejected_without_echoing_the_ciphertext()
    {
        using var files = new StackFiles();
        files.Replace(Prod, "    defaultDeny: true", "    defaultDeny: true\n    token:\n      secure: v1:c2VjcmV0LWNpcGhlcnRleHQ=");

        var error = Assert.Single(Breakage.Load(files, "prod"));

        Assert.Equal((Prod, "infra:security"), (error.File, error.Key));
        Assert.DoesNotContain("v1:", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_secret_where_a_plain_value_belongs_is_rejected_without_echoing_the_ciphertext()
    {
        using var files = new StackFiles();
        files.Replace(Prod, "infra:environment: prod", "infra:environment:\n    secure: v1:c2VjcmV0LWNpcGhlcnRleHQ=");

        var errors = Breakage.Load(files, "prod");

        Assert.Contains(errors, e => e.File == Prod && e.Key == "infra:environment" && e.Message.Contains("plain value", StringComparison.Ordinal));
        Assert.All(errors, e => Assert.DoesNotContain("v1:", e.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public void Secret_values_are_never_read_into_the_settings()
    {
        using var files = new StackFiles();
        files.Write("Pulumi.prod.yaml", files.Read("Pulumi.prod.yaml") + "  infra:ordersDbPassword:\n    secure: v1:q8Lz2mX5cN1vB7kP:3tR9wY2uI6oP1aS4dF7gH0jK3lZ8xC5vB2n=\n");
        var source = ProjectConfigFiles.Load(files.Directory, "prod");
        var secret = source.Find("ordersDbPassword");

        Assert.True(source.HasSecret("ordersDbPassword"));
        Assert.NotNull(secret);
        Assert.True(secret.IsSecret);
        Assert.DoesNotContain("v1:", secret.Value.ToString(), StringComparison.Ordinal);
        Assert.Equal(new SecretEnvironmentVariable("DB_PASSWORD", "ordersDbPassword"), Assert.Single(StackSettingsLoader.Load(source).Service("orders").Secrets));
    }

    [Fact]
    public void Secrets_that_are_not_set_yet_do_not_stop_offline_validation()
    {
        var source = ProjectConfigFiles.Load(Stacks.ProjectDirectory, "prod");

        Assert.False(source.HasSecret("ordersDbPassword"));
        var settings = StackSettingsLoader.Load(source);
        Assert.Equal(["ordersDbPassword", "paymentsStripeKey"], settings.SecretConfigKeys.AsEnumerable());
    }

    [Fact]
    public void Latest_is_accepted_outside_prod()
    {
        using var files = new StackFiles();
        files.Replace(Project, "image: ghcr.io/acme/orders:2.7.0", "image: ghcr.io/acme/orders:latest");

        var dev = StackSettingsLoader.Load(ProjectConfigFiles.Load(files.Directory, "dev"));

        Assert.Equal(new ImageReference("ghcr.io/acme/orders", "latest", null), dev.Service("orders").Image);
    }

    [Fact]
    public void An_unknown_stack_names_the_known_stacks()
    {
        var error = Assert.Single(Assert.Throws<SettingsException>(() => ProjectConfigFiles.Load(Stacks.ProjectDirectory, "staging")).Errors);

        Assert.Equal("Pulumi.staging.yaml", error.File);
        Assert.Contains("dev, dev-ambient, dev-linkerd, dev-linkerd-progressive, dev-progressive, prod, prod-linkerd", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_real_stacks_are_valid()
    {
        Assert.All(["dev", "prod", "dev-linkerd", "prod-linkerd", "dev-progressive", "dev-linkerd-progressive"], stack => Assert.NotEmpty(Stacks.Settings(stack).Services));
    }
}
