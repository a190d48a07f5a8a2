using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Infra.Mesh.Settings;
using Infra.Testing;
using Infra.Testing.Support;
using Moq;
using Pulumi;
using Pulumi.Testing;
using YamlDotNet.RepresentationModel;

namespace Infra.Tests;

/// <summary>Runs the Pulumi program in-process under mocks with a fixture stack's config, recording every registration.</summary>
public sealed class PulumiHarness
{
    /// <summary>The plaintext the harness gives each secret config key: it must never show up outside a secret.</summary>
    public static string FakeSecret(string key) => $"fake-secret-for-{key}";

    public const string FakeCertificate = "-----BEGIN CERTIFICATE-----\nMOCK\n-----END CERTIFICATE-----\n";
    public const string FakePrivateKey = "-----BEGIN PRIVATE KEY-----\nMOCK\n-----END PRIVATE KEY-----\n";
    public const string FakeRandom = "mock-random-value";

    private static readonly TimeSpan CreationTime = TimeSpan.FromMilliseconds(20);

    private PulumiHarness(string stack) => Stack = stack;

    public string Stack { get; }

    /// <summary>Registrations in the order the program made them (dependencies are awaited before registering).</summary>
    public ConcurrentQueue<MockResourceArgs> Registrations { get; } = new();

    /// <summary>Each registration's start and end, in time order: the engine's view of what waited for what.</summary>
    private ConcurrentQueue<(string Name, bool Done)> Timeline { get; } = new();

    public ImmutableArray<Resource> Resources { get; private set; }

    public IEnumerable<MockResourceArgs> OfType(string type) => Registrations.Where(r => r.Type == type);

    /// <summary>
    /// Whether <paramref name="later"/> was registered only once <paramref name="earlier"/> had been created. Each
    /// creation takes a while here, so a resource that did not wait would start before the other one finished.
    /// </summary>
    public bool Waited(string later, string earlier)
    {
        var timeline = Timeline.ToList();
        var done = timeline.IndexOf((earlier, true));
        var start = timeline.IndexOf((later, false));
        return done >= 0 && start > done;
    }

    /// <summary>Runs a stack of the fixture project, or of a scratch copy of its Pulumi files.</summary>
    /// <param name="secretsSet">Whether the secrets the services read are set (as after `pulumi config set --secret`).</param>
    /// <param name="preview">Run as `pulumi preview` does (a dry run), which checks that the cluster answers.</param>
    public static async Task<PulumiHarness> RunAsync(string stack, string? projectDirectory = null, bool secretsSet = true, bool preview = false)
    {
        var harness = new PulumiHarness(stack);
        var mocks = new Mock<IMocks>();
        mocks.Setup(m => m.NewResourceAsync(It.IsAny<MockResourceArgs>()))
            .Returns(async (MockResourceArgs args) =>
            {
                harness.Registrations.Enqueue(args);
                harness.Timeline.Enqueue((args.Name!, false));
                // Creating takes time, as in a cluster: whatever does not wait for this resource starts meanwhile.
                await Task.Delay(CreationTime);
                harness.Timeline.Enqueue((args.Name!, true));
                return ($"{args.Name}-id", (object)Outputs(args));
            });
        mocks.Setup(m => m.CallAsync(It.IsAny<MockCallArgs>()))
            .ReturnsAsync((MockCallArgs args) => (object)args.Args);

        using (StackConfig.Apply(stack, projectDirectory ?? Stacks.ProjectDirectory, secretsSet))
        {
            harness.Resources = await Deployment.TestAsync<MeshStack>(mocks.Object, new TestOptions
            {
                ProjectName = "infra",
                StackName = stack,
                IsPreview = preview,
            });
        }

        return harness;
    }

    /// <summary>What the providers would return: inputs echoed, plus the generated values tests read.</summary>
    private static ImmutableDictionary<string, object> Outputs(MockResourceArgs args)
    {
        var outputs = args.Inputs.ToBuilder();
        switch (args.Type)
        {
            case "tls:index/privateKey:PrivateKey":
                outputs["privateKeyPem"] = FakePrivateKey;
                break;
            case "tls:index/selfSignedCert:SelfSignedCert":
            case "tls:index/locallySignedCert:LocallySignedCert":
                outputs["certPem"] = FakeCertificate;
                break;
            case "tls:index/certRequest:CertRequest":
                outputs["certRequestPem"] = "mock-csr";
                break;
            case "random:index/randomPassword:RandomPassword":
                outputs["result"] = FakeRandom;
                break;
        }

        return outputs.ToImmutable();
    }
}

/// <summary>
/// Sets PULUMI_CONFIG as the Pulumi CLI would for a stack: project defaults from Pulumi.yaml overlaid with
/// Pulumi.&lt;stack&gt;.yaml, objects as JSON, secrets decrypted (here: fake plaintext) and listed as secret keys.
/// </summary>
public sealed class StackConfig : IDisposable
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    private StackConfig()
    {
    }

    /// <param name="secretsSet">Also set every secret the services read that the files do not (committed files set none).</param>
    public static IDisposable Apply(string stack, string projectDirectory, bool secretsSet = true)
    {
        Gate.Wait();
        var source = ProjectConfigFiles.Load(projectDirectory, stack);
        var config = new JsonObject();
        var secretKeys = new JsonArray();
        var keys = source.Keys!.ToList();
        if (secretsSet)
        {
            keys.AddRange(ReferencedSecrets(source).Where(k => !keys.Contains(k)));
        }

        foreach (var key in keys)
        {
            var entry = source.Find(key);
            var fullKey = $"{ProjectConfigFiles.Namespace}:{key}";
            if (entry is null or { IsSecret: true })
            {
                config[fullKey] = PulumiHarness.FakeSecret(key);
                secretKeys.Add(fullKey);
            }
            else
            {
                config[fullKey] = entry.Value is YamlScalarNode scalar ? scalar.Value : YamlJson.Convert(entry.Value)!.ToJsonString();
            }
        }

        Environment.SetEnvironmentVariable("PULUMI_CONFIG", config.ToJsonString());
        Environment.SetEnvironmentVariable("PULUMI_CONFIG_SECRET_KEYS", secretKeys.ToJsonString());
        return new StackConfig();
    }

    /// <summary>The secret keys a valid stack's services read; none for a stack the test broke (its errors are the point).</summary>
    private static ImmutableArray<string> ReferencedSecrets(ProjectConfigFiles source)
    {
        try
        {
            return StackSettingsLoader.Load(source).SecretConfigKeys;
        }
        catch (SettingsException)
        {
            return [];
        }
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("PULUMI_CONFIG", null);
        Environment.SetEnvironmentVariable("PULUMI_CONFIG_SECRET_KEYS", null);
        Gate.Release();
    }
}
