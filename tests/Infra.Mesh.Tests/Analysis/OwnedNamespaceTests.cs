using Infra.Mesh.Analysis.Rules;
using Infra.Mesh.Settings;
using Infra.Testing.Support;

namespace Infra.Mesh.Tests.Analysis;

/// <summary>
/// INFRA130: namespaces that exist before the stack (Kubernetes' own) or belong to a prerequisite (cert-manager, when it
/// rotates Linkerd's issuer) are refused for applications, since the plan would create a Namespace for them and police it.
/// </summary>
public sealed class OwnedNamespaceTests : IDisposable
{
    private static readonly string[] KubernetesNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"];

    private readonly StackFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Theory]
    [InlineData("default", "dev")]
    [InlineData("default", "prod-linkerd")]
    [InlineData("kube-node-lease", "dev-ambient")]
    [InlineData("cert-manager", "prod-linkerd")]
    public void An_application_namespace_that_is_not_the_applications_is_an_error_at_the_namespace(string ns, string stack)
    {
        _files.Replace("Pulumi.yaml", "namespace: payments", $"namespace: {ns}");

        var errors = Assert.Throws<SettingsException>(() => _files.Analyze(stack)).Errors;

        var error = Assert.Single(errors, e => e.Message.StartsWith("INFRA130:", StringComparison.Ordinal));
        Assert.Equal("infra:services[payments].namespace", error.Key);
        Assert.Contains($"'{ns}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(ns == "cert-manager" ? "cert-manager's" : "Kubernetes creates it", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cert_manager_is_an_application_namespace_where_the_stack_does_not_depend_on_it()
    {
        _files.Replace("Pulumi.yaml", "namespace: payments", "namespace: cert-manager");

        // dev-linkerd's issuer is made by Pulumi, and Istio stacks do not use cert-manager.
        Assert.Equal(IssuerManagement.Pulumi, _files.Analyze("dev-linkerd").Settings.Linkerd.Identity.Issuer);
        Assert.Contains(_files.Analyze("dev").Settings.Services, s => s.Namespace == "cert-manager");
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("dev-linkerd")]
    [InlineData("prod-linkerd")]
    public void Every_stack_refuses_the_namespaces_kubernetes_creates(string stack)
    {
        var owned = NamespaceRule.Owned(Stacks.Settings(stack));

        Assert.All(KubernetesNamespaces, ns => Assert.Contains(ns, owned.Keys));
    }
}
