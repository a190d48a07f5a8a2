using System.Globalization;
using System.Text.Json.Nodes;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using Infra.Testing.Support;
using Infra.Mesh.Workloads;
using YamlDotNet.RepresentationModel;

namespace Infra.Mesh.Tests.Workloads;

public class ConfigurationTests
{
    private static object? ConfigEdn(IReadOnlyList<JsonObject> objects, string service) =>
        EdnReader.Read((string)objects.Named("ConfigMap", $"{service}-config")["data"]![WorkloadPlanner.ConfigFileName]!);

    [Theory]
    [MemberData(nameof(Workload.AllStacks), MemberType = typeof(Workload))]
    public void Config_edn_is_EDN_holding_exactly_the_catalog_values(string stack)
    {
        var settings = Stacks.Settings(stack);
        var objects = Workload.Objects(stack);

        foreach (var service in settings.Services)
        {
            AssertSameContent(service.Config.Edn ?? new YamlMappingNode(), ConfigEdn(objects, service.Name), service.Name);
        }
    }

    [Fact]
    public void Config_edn_values_have_the_types_a_Clojure_service_expects()
    {
        var objects = Workload.Objects("dev");
        var orders = Assert.IsType<EdnMap>(ConfigEdn(objects, "orders"));
        var payments = Assert.IsType<EdnMap>(ConfigEdn(objects, "payments"));
        var catalog = Assert.IsType<EdnMap>(ConfigEdn(objects, "catalog"));

        Assert.Equal(10L, Assert.IsType<EdnMap>(orders["db"])["pool-size"]);
        Assert.Equal(3000L, Assert.IsType<EdnMap>(orders["db"])["connection-timeout-ms"]);
        Assert.Equal([new EdnKeyword("idempotency-keys"), new EdnKeyword("async-invoices")], Assert.IsType<EdnVector>(orders["features"]).Items);
        Assert.Equal(new EdnKeyword("stripe"), Assert.IsType<EdnMap>(payments["provider"])["name"]);
        Assert.Equal(true, Assert.IsType<EdnMap>(catalog["search"])["enabled"]);
    }

    [Fact]
    public void A_stack_override_merges_into_the_catalog_config()
    {
        using var files = new StackFiles();
        files.Replace("Pulumi.dev.yaml", "    api-gateway:\n",
            "    api-gateway:\n      config:\n        edn:\n          server:\n            max-threads: 16\n        env:\n          LOG_LEVEL: debug\n");
        var objects = Workload.Objects(files, "dev");

        var server = Assert.IsType<EdnMap>(Assert.IsType<EdnMap>(ConfigEdn(objects, "api-gateway"))["server"]);
        Assert.Equal(16L, server["max-threads"]);
        Assert.Equal(8080L, server["port"]);
        var env = objects.Named("ConfigMap", "api-gateway-env")["data"]!;
        Assert.Equal("debug", (string?)env["LOG_LEVEL"]);
        Assert.Equal("json", (string?)env["LOG_FORMAT"]);
    }

    [Fact]
    public void Plain_environment_comes_from_a_ConfigMap_only_for_services_that_have_some()
    {
        var objects = Workload.Objects("dev");

        var gateway = objects.Named("Deployment", "api-gateway").Container();
        Assert.Equal("api-gateway-env", (string?)gateway.Items("envFrom").Single()["configMapRef"]!["name"]);
        Assert.Equal("json", (string?)objects.Named("ConfigMap", "api-gateway-env")["data"]!["LOG_FORMAT"]);
        Assert.Empty(objects.Named("Deployment", "orders").Container().Items("envFrom"));
        Assert.DoesNotContain(objects.OfKind("ConfigMap"), c => (string?)c["metadata"]!["name"] == "orders-env");
    }

    [Theory]
    [MemberData(nameof(Workload.AllStacks), MemberType = typeof(Workload))]
    public void Secret_values_come_from_Secrets_filled_from_Pulumi_secrets_and_never_from_ConfigMaps(string stack)
    {
        var plan = Stacks.Plan(stack);
        var objects = Stacks.Objects(plan);
        var configMaps = objects.OfKind("ConfigMap").ToList();

        foreach (var service in plan.Settings.Services.Where(s => !s.Secrets.IsEmpty))
        {
            var secret = plan.Items.OfType<SecretItem>().Single(s => s.Name == WorkloadPlanner.SecretName(service));
            Assert.Equal(service.Namespace, secret.Namespace);
            Assert.Equal(service.Secrets.Select(s => (s.Name, (SecretSource)new ConfigSecret(s.ConfigKey))), secret.Entries.Select(e => (e.Key, e.Source)));

            var container = objects.Named("Deployment", service.Name).Container();
            foreach (var variable in service.Secrets)
            {
                var reference = container.Items("env").Single(e => (string?)e["name"] == variable.Name)["valueFrom"]!["secretKeyRef"]!;
                Assert.Equal((secret.Name, variable.Name), ((string?)reference["name"], (string?)reference["key"]));
                Assert.DoesNotContain(configMaps, c => c["data"]!.AsObject().Any(d => d.Key == variable.Name
                    || ((string?)d.Value)!.Contains(variable.ConfigKey, StringComparison.Ordinal)));
            }
        }

        Assert.Contains(plan.Settings.Services, s => !s.Secrets.IsEmpty);
    }

    [Theory]
    [MemberData(nameof(Workload.AllStacks), MemberType = typeof(Workload))]
    public void Config_is_mounted_as_a_directory_so_ConfigMap_changes_reach_running_pods(string stack)
    {
        foreach (var deployment in Workload.Objects(stack).OfKind("Deployment"))
        {
            var service = deployment.PodLabel(Labels.App)!;
            var volume = deployment.PodSpec().Items("volumes").Single(v => (string?)v["configMap"]?["name"] == $"{service}-config");
            var mount = deployment.Container().Items("volumeMounts").Single(m => (string?)m["name"] == (string?)volume["name"]);

            Assert.Null(mount["subPath"]);
            Assert.Null(mount["subPathExpr"]);
            Assert.True((bool)mount["readOnly"]!);
            Assert.Equal($"{mount["mountPath"]}/{WorkloadPlanner.ConfigFileName}", deployment.Container().Env(PlatformEnvironment.ConfigPath));
        }
    }

    [Fact]
    public void In_restart_mode_a_config_change_rolls_the_pods_through_the_checksum_and_nothing_else()
    {
        var (before, after) = Changed("Pulumi.yaml", "pool-size: 10", "pool-size: 20", "orders");

        Assert.Equal(ConfigReload.Restart, Stacks.Settings("dev").Service("orders").Config.Reload);
        Assert.NotEqual(before.PodAnnotation(WorkloadPlanner.ConfigChecksumAnnotation), after.PodAnnotation(WorkloadPlanner.ConfigChecksumAnnotation));
        Assert.Equal(Without(before, WorkloadPlanner.ConfigChecksumAnnotation), Without(after, WorkloadPlanner.ConfigChecksumAnnotation));
    }

    [Fact]
    public void In_live_mode_a_config_change_leaves_the_pod_template_alone()
    {
        var (before, after) = Changed("Pulumi.yaml", "ttl-seconds: 300", "ttl-seconds: 600", "catalog");

        Assert.Equal(ConfigReload.Live, Stacks.Settings("dev").Service("catalog").Config.Reload);
        Assert.Null(before.PodAnnotation(WorkloadPlanner.ConfigChecksumAnnotation));
        Assert.Equal(before.ToJsonString(), after.ToJsonString());
    }

    [Fact]
    public void An_environment_change_rolls_the_pods_in_live_mode_too()
    {
        var (before, after) = Changed("Pulumi.yaml", "LOG_FORMAT: json", "LOG_FORMAT: text", "api-gateway");

        Assert.NotEqual(before.PodAnnotation(WorkloadPlanner.EnvChecksumAnnotation), after.PodAnnotation(WorkloadPlanner.EnvChecksumAnnotation));
        Assert.Null(after.PodAnnotation(WorkloadPlanner.ConfigChecksumAnnotation));
    }

    /// <summary>A service's Deployment in dev before and after one edit, checking the edit did change its ConfigMaps.</summary>
    private static (JsonObject Before, JsonObject After) Changed(string file, string oldText, string newText, string service)
    {
        using var files = new StackFiles();
        var before = Workload.Objects(files, "dev");
        files.Replace(file, oldText, newText);
        var after = Workload.Objects(files, "dev");

        string ConfigMaps(IReadOnlyList<JsonObject> objects) => string.Join("\n", objects.OfKind("ConfigMap")
            .Where(c => (string?)c["metadata"]!["labels"]![Labels.App] == service).Select(c => c.ToJsonString()));
        Assert.NotEqual(ConfigMaps(before), ConfigMaps(after));
        return (before.Named("Deployment", service), after.Named("Deployment", service));
    }

    private static string Without(JsonObject deployment, string annotation)
    {
        var copy = deployment.DeepClone().AsObject();
        copy["spec"]!["template"]!["metadata"]!["annotations"]!.AsObject().Remove(annotation);
        return copy.ToJsonString();
    }

    /// <summary>The EDN holds the YAML's structure and values; types are checked where the catalog's intent is known.</summary>
    private static void AssertSameContent(YamlNode expected, object? actual, string path)
    {
        switch (expected)
        {
            case YamlMappingNode mapping:
                var map = Assert.IsType<EdnMap>(actual);
                Assert.Equal(mapping.Children.Count, map.Entries.Count);
                foreach (var (key, value) in mapping.Children)
                {
                    var name = ((YamlScalarNode)key).Value!;
                    var entry = map.Entries.Single(e => Equals(e.Key, new EdnKeyword(name)) || Equals(e.Key, name));
                    AssertSameContent(value, entry.Value, $"{path}.{name}");
                }

                break;
            case YamlSequenceNode sequence:
                var vector = Assert.IsType<EdnVector>(actual);
                Assert.Equal(sequence.Children.Count, vector.Items.Count);
                for (var i = 0; i < sequence.Children.Count; i++)
                {
                    AssertSameContent(sequence.Children[i], vector.Items[i], $"{path}[{i}]");
                }

                break;
            case YamlScalarNode scalar when actual is double number:
                Assert.Equal(double.Parse(scalar.Value!, CultureInfo.InvariantCulture), number);
                break;
            case YamlScalarNode scalar:
                Assert.True(scalar.Value == actual switch
                {
                    null => scalar.Value is "" or "~" or "null" ? scalar.Value : "nil",
                    bool b => b ? "true" : "false",
                    long n => n.ToString(CultureInfo.InvariantCulture),
                    EdnKeyword k => k.ToString(),
                    string s => s,
                    _ => $"unexpected {actual.GetType().Name}",
                }, $"{path}: '{scalar.Value}' became {actual ?? "nil"}");
                break;
        }
    }
}
