using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Infra.Mesh.Delivery;
using Infra.Mesh.Delivery.Flagger;
using Infra.Mesh.Planning;

namespace Infra.Mesh.Rendering;

/// <summary><c>plan.md</c>: what each stage creates, the services, and the call graph inside the mesh.</summary>
public static class PlanMarkdown
{
    public static string Write(MeshPlan plan)
    {
        var s = plan.Settings;
        var md = new StringBuilder();
        Line(md, $"# Stack `{s.Stack}`: {s.Mesh.ToString().ToLowerInvariant()} mesh, {s.Environment} environment");
        Line(md);
        Line(md, $"Generated from `Pulumi.yaml` and `{s.StackFile}`. Secrets are shown as placeholders; `pulumi up` fills them.");
        Line(md);
        Line(md, "## Stages");
        Line(md);
        Line(md, "Applied in this order; each stage waits until the one before it is ready.");
        Line(md);
        Line(md, "| # | Stage | What it does | Helm releases | Objects |");
        Line(md, "|---|---|---|---|---|");
        foreach (var stage in plan.Stages.Where(st => !st.Items.IsEmpty))
        {
            Line(md, $"| {(int)stage.Kind + 1} | {stage.Name} | {stage.Description} | {stage.Items.OfType<HelmReleaseItem>().Count()} | {stage.Items.Count(i => i is not HelmReleaseItem)} |");
        }

        foreach (var stage in plan.Stages.Where(st => !st.Items.IsEmpty))
        {
            Line(md);
            Line(md, $"### {PlanRenderer.StageFolder(stage)}");
            Line(md);
            foreach (var release in stage.Items.OfType<HelmReleaseItem>())
            {
                var flags = (release.Protect ? ", protected" : "") + (release.RetainOnDelete ? ", retained on destroy" : "");
                Line(md, $"- Helm release `{release.ReleaseName}`: chart `{release.Chart}` {release.Version} in `{release.Namespace}`{flags}");
            }

            foreach (var group in stage.Items.Where(i => i is not HelmReleaseItem).GroupBy(Kind).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                // One line per kind, of every name (hundreds of thousands at 10,000 services): appended, never joined.
                md.Append($"- {group.Key}: ");
                var separator = "";
                foreach (var item in group)
                {
                    md.Append(separator);
                    AppendName(md, item);
                    separator = ", ";
                }

                Line(md);
            }
        }

        if (!plan.Secrets.IsEmpty)
        {
            Line(md);
            Line(md, "## Generated secrets");
            Line(md);
            Line(md, "| Slot | Kind | Details |");
            Line(md, "|---|---|---|");
            foreach (var slot in plan.Secrets)
            {
                Line(md, slot switch
                {
                    RandomSecretSlot r => $"| `{r.Id}` | random | {r.Length} characters |",
                    CertificateAuthoritySlot ca => $"| `{ca.Id}` | CA certificate (ECDSA P-256) | `{ca.CommonName}`, valid {Days(ca.ValidityHours)}{(ca.Protect ? ", protected" : "")} |",
                    IntermediateCertificateSlot ic => $"| `{ic.Id}` | certificate signed by `{ic.IssuerSlotId}` (ECDSA P-256) | `{ic.CommonName}`, valid {Days(ic.ValidityHours)}, renewed {Days(ic.EarlyRenewalHours)} before expiry |",
                    _ => $"| `{slot.Id}` | {slot.GetType().Name} | |",
                });
            }
        }

        Line(md);
        Line(md, "## Services");
        Line(md);
        Line(md, "| Service | Namespace | Image | Replicas | Ports | Canary | Calls | Public |");
        Line(md, "|---|---|---|---|---|---|---|---|");
        foreach (var svc in s.Services)
        {
            var ports = string.Join(", ", svc.Ports.Select(p => $"{p.Name} {p.Port}/{p.AppProtocol}"));
            var canary = svc.Canary is { } c ? $"`{c.Tag}` {c.Weight}%" : "-";
            var calls = svc.Calls.IsEmpty ? "-" : string.Join(", ", svc.Calls.Select(call => call.Service));
            Line(md, $"| {svc.Name} | {svc.Namespace} | `{svc.Image}` | {svc.Replicas} | {ports} | {canary} | {calls} | {svc.Public?.Host ?? "-"} |");
        }

        ProgressiveDelivery(md, plan);

        Line(md);
        Line(md, "## Call graph inside the mesh");
        Line(md);
        Line(md, "Only these calls are authorized; everything else is denied.");
        Line(md);
        Line(md, "```mermaid");
        Line(md, "graph LR");
        foreach (var services in s.Services.GroupBy(x => x.Namespace, StringComparer.Ordinal))
        {
            // GroupBy keeps catalog order, of the namespaces (first service) and of the services in each.
            Line(md, $"  subgraph {Id("ns", services.Key)} [namespace {services.Key}]");
            foreach (var svc in services)
            {
                Line(md, $"    {Node(svc.Name)}[{svc.Name}]");
            }

            Line(md, "  end");
        }

        foreach (var svc in s.Services.Where(x => x.Public is not null))
        {
            Line(md, $"  ingress((ingress)) -->|{svc.Public!.Host}| {Node(svc.Name)}");
        }

        foreach (var svc in s.Services)
        {
            foreach (var call in svc.Calls)
            {
                var label = call.Methods.IsEmpty ? "" : $"|{string.Join(" ", call.Methods)}|";
                Line(md, $"  {Node(svc.Name)} -->{label} {Node(call.Service)}");
            }
        }

        Line(md, "```");
        return md.ToString();
    }

    /// <summary>Each Canary's analysis: how traffic moves, what is checked every interval, when it rolls back, the webhooks.</summary>
    private static void ProgressiveDelivery(StringBuilder md, MeshPlan plan)
    {
        var canaries = plan.Items.OfType<ManifestItem>().Select(m => m.Object).OfType<Canary>().ToList();
        if (canaries.Count == 0)
        {
            return;
        }

        var flagger = plan.Releases.Single(r => r.ReleaseName == DeliveryPlanner.FlaggerRelease);
        Line(md);
        Line(md, "## Progressive delivery");
        Line(md);
        Line(md, $"Flagger {flagger.Version} (`meshProvider: {flagger.Values["meshProvider"]}`, metrics from `{flagger.Values["metricsServer"]}`) " +
            "rolls out these services when their pod template or tracked configuration changes; it owns their Services, routes and `-primary` Deployments.");
        Line(md);
        Line(md, "| Service | Traffic | Checks every interval | Rollback | Webhooks |");
        Line(md, "|---|---|---|---|---|");
        foreach (var canary in canaries)
        {
            var analysis = canary.Spec.Analysis;
            var traffic = analysis.Match is { } match
                ? $"A/B: requests with {string.Join(" or ", match.SelectMany(m => m.Headers.Select(h => $"`{h.Key}: {h.Value.Exact}`")))} for {Number(analysis.Iterations ?? 0)} intervals of {analysis.Interval}"
                : $"+{Number(analysis.StepWeight ?? 0)}% every {analysis.Interval} up to {Number(analysis.MaxWeight ?? 0)}%, then promotion";
            var checks = string.Join(", ", analysis.Metrics.Select(m => m.ThresholdRange switch
            {
                { Min: { } min } => $"{m.Name} ≥ {Number(min)}%",
                { Max: { } max } => $"{m.Name} (P99) ≤ {Number(max)} ms",
                _ => m.Name,
            }));
            var hooks = analysis.Webhooks is null
                ? "-"
                : string.Join("; ", analysis.Webhooks.Select(w => $"{w.Type} `{w.Name}`: `{w.Metadata["cmd"]}`"));
            Line(md, $"| {canary.Metadata.NamespaceProperty}/{canary.Metadata.Name} | {traffic} | {checks} | after {Number(analysis.Threshold)} failed checks | {hooks} |");
        }
    }

    private static string Number(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Kind(PlanItem item) => item switch
    {
        ManifestItem m => m.Kind,
        SecretItem => "Secret",
        ManifestFileItem => "Manifest file (applied as published, not rendered here)",
        _ => item.GetType().Name,
    };

    private static StringBuilder AppendName(StringBuilder md, PlanItem item) => item switch
    {
        ManifestItem { Namespace: { } ns } m => md.Append($"`{ns}/{m.Name}`"),
        ManifestItem m => md.Append($"`{m.Name}`"),
        SecretItem sec => md.Append($"`{sec.Namespace}/{sec.Name}`"),
        ManifestFileItem file => md.Append($"`{file.Name}` from {file.Url}"),
        _ => md.Append($"`{item.Id}`"),
    };

    /// <summary>A Mermaid node id for a service.</summary>
    private static string Node(string service) => Id("svc", service);

    /// <summary>Prefixed so a service named <c>end</c>, <c>graph</c> or <c>ingress</c> cannot clash with Mermaid syntax or the ingress node.</summary>
    private static string Id(string prefix, string name) => $"{prefix}_{name.Replace('-', '_')}";

    private static string Days(int hours) =>
        hours % 24 == 0 ? $"{(hours / 24).ToString(CultureInfo.InvariantCulture)} days" : $"{hours.ToString(CultureInfo.InvariantCulture)} hours";

    private static void Line(StringBuilder md, string text = "") => md.Append(text).Append('\n');

    /// <summary>A line formatted straight into <paramref name="md"/> (no string per line; plan.md of 10,000 services has 60,000 lines).</summary>
    private static void Line(StringBuilder md, [InterpolatedStringHandlerArgument(nameof(md))] ref StringBuilder.AppendInterpolatedStringHandler text) => md.Append('\n');
}
