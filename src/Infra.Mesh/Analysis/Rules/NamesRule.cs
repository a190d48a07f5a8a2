using System.Buffers;
using System.Collections.Immutable;
using Infra.Mesh.Istio.Ambient;
using Infra.Mesh.Planning;
using Infra.Mesh.Settings;
using Infra.Mesh.Traffic.GatewayApi;
using k8s;
using k8s.Models;

namespace Infra.Mesh.Analysis.Rules;

/// <summary>
/// INFRA110 and INFRA111: the names the plan generates from catalog names (objects, labels, ports, Jobs) must be
/// valid where Kubernetes uses them and unique per kind and namespace. Checked on the plan the settings produce,
/// before it is rendered or deployed, so every generated name is covered however a planner forms it; each finding
/// points at the catalog name the generated one came from.
/// </summary>
public sealed class NamesRule : IPlanRule
{
    /// <summary>
    /// Kinds whose names are DNS-1123 labels (at most 63): a Service's name is a DNS label of its cluster host, a
    /// Namespace's too, and a Job's name becomes its pods' <c>batch.kubernetes.io/job-name</c> label value. Other
    /// objects take DNS-1123 subdomains (at most 253).
    /// </summary>
    private static readonly HashSet<string> LabelNamedKinds = new(StringComparer.Ordinal) { "Service", "Namespace", "Job" };

    public const int LabelLimit = 63;
    public const int SubdomainLimit = 253;
    public const int ContainerPortNameLimit = 15;

    public void Check(RuleContext context, MeshPlan plan)
    {
        // Each object is checked on its own, on every core (a plan of 10,000 services has 385,000); reported in plan order.
        var objects = plan.Items.OfType<ManifestItem>().Select(i => i.Object).ToList();
        var problems = new List<string>?[objects.Count];
        InOrder.For(objects.Count, i => problems[i] = Problems(objects[i]));
        for (var i = 0; i < objects.Count; i++)
        {
            foreach (var problem in problems[i] ?? [])
            {
                Report(context, objects[i], problem);
            }
        }

        CheckControllerObjects(context, plan);
    }

    /// <summary>
    /// INFRA111 for the objects controllers create from planned ones (<see cref="ControllerObjects"/>): a planned object
    /// of the same kind, namespace and name is fought over by Pulumi and the controller, and when it is a catalog
    /// service's ServiceAccount its pods take the controller's identity (a waypoint's, which every policy behind it
    /// trusts). On ambient the name of a namespace's waypoint is reserved in every application namespace, not only in
    /// those that have one now: a waypoint appears there as soon as one of its services needs L7 (a canary, a
    /// method-restricted caller, a timeout), which would turn an unrelated change into the collision.
    /// </summary>
    private static void CheckControllerObjects(RuleContext context, MeshPlan plan)
    {
        var derived = ControllerObjects.Of(plan);
        if (context.Settings is { Mesh: MeshKind.Istio, Istio.Ambient: true })
        {
            var waypoints = plan.Items.OfType<ManifestItem>().Select(i => i.Object).OfType<KubernetesGateway>()
                .Select(g => g.Metadata.NamespaceProperty).ToHashSet(StringComparer.Ordinal);
            derived = derived.Concat(context.Settings.Services.Select(s => s.Namespace).Distinct(StringComparer.Ordinal)
                .Where(ns => !waypoints.Contains(ns))
                .SelectMany(ns => ControllerObjects.OfGateway(ns, Waypoints.Name, Waypoints.GatewayClass))
                .Select(o => o with { Source = o.Source + ", planned as soon as a service of the namespace needs L7" }));
        }

        var seen = new Dictionary<string, ControllerObject>(StringComparer.Ordinal);
        var collisions = new List<(ServiceSettings Culprit, string Id, ControllerObject By)>();
        foreach (var made in derived)
        {
            var culprit = plan.Find(made.Id) is ManifestItem { Object: var obj } ? Owner(context, obj)
                : !seen.TryAdd(made.Id, made) ? OwnerOfName(context, made.Id)
                : null;
            if (culprit is not null)
            {
                collisions.Add((culprit, made.Id, made));
            }
        }

        foreach (var group in collisions.GroupBy(c => c.Culprit))
        {
            var objects = string.Join(", ", group.Select(c => Described(c.Id)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
            var by = string.Join("; ", group.Select(c => $"{c.By.Controller}, from {c.By.Source}").Distinct(StringComparer.Ordinal));
            var identity = group.Any(c => c.Id.StartsWith(V1ServiceAccount.KubeKind + "/", StringComparison.Ordinal))
                ? ", and its pods would run under the controller's ServiceAccount, an identity the mesh's policies trust"
                : "";
            context.Report(RuleCatalog.NameCollision, context.Service(group.Key)["name"],
                $"'{group.Key.Name}' collides with objects a controller in the cluster creates: {objects} ({by}); "
                + $"Pulumi and the controller would both claim them (or the create fails with AlreadyExists){identity}; rename the service");
        }
    }

    /// <summary><c>Kind/namespace/name</c> as <c>Kind namespace/name</c>.</summary>
    private static string Described(string id) => id[..id.IndexOf('/', StringComparison.Ordinal)] + " " + id[(id.IndexOf('/', StringComparison.Ordinal) + 1)..];

    /// <summary>The catalog service an object id (<c>Kind/namespace/name</c>) is named after: the same name, else the longest contained.</summary>
    private static ServiceSettings? OwnerOfName(RuleContext context, string id)
    {
        var name = id[(id.LastIndexOf('/') + 1)..];
        return context.ServicesByName.GetValueOrDefault(name)
            ?? context.Settings.Services.Where(s => name.Contains(s.Name, StringComparison.Ordinal)).MaxBy(s => s.Name.Length);
    }

    /// <summary>Reports a conflict found while planning: two objects the settings gave one kind, namespace and name.</summary>
    public static void Conflicts(RuleContext context, IEnumerable<PlanItemConflict> conflicts)
    {
        foreach (var conflict in conflicts)
        {
            var owners = new[] { conflict.First, conflict.Second }.Select(i => Owner(context, i)).OfType<ServiceSettings>().Distinct().ToList();
            var id = conflict.Second.Id;
            var name = conflict.Second is ManifestItem manifest ? manifest.Name : id;
            // The catalog name that equals the generated one is the one to change; else the first owner's.
            if (conflict.Second is ManifestItem { Kind: "Namespace" } && context.Settings.Services.FirstOrDefault(s => s.Namespace == name) is { } tenant)
            {
                context.Report(RuleCatalog.NameCollision, context.Service(tenant)["namespace"],
                    $"'{name}' is a namespace the plan creates for the mesh itself; use a namespace of the application's own");
                continue;
            }

            var culprit = owners.FirstOrDefault(o => o.Name == name) ?? owners.FirstOrDefault();
            var origin = owners.Count > 1 ? $"both '{owners[0].Name}' and '{owners[1].Name}' make the plan generate {id}" : $"the plan generates {id} twice";
            if (culprit is not null)
            {
                context.Report(RuleCatalog.NameCollision, context.Service(culprit)["name"],
                    $"'{culprit.Name}' collides with a name the plan generates: {origin}; rename the service (generated names: <service>-canary, <service>-stable, <service>-<port>, "
                    + "<service>-config, <service>-env, <service>-secrets, mesh-verifier, ...)");
            }
            else
            {
                context.Report(RuleCatalog.NameCollision, context.Settings.StackFile, "infra:services", null,
                    $"the plan generates {id} twice; rename the service or namespace it is named after");
            }
        }
    }

    /// <summary>What is wrong with the names of one object (null when nothing is); reads the object only.</summary>
    private static List<string>? Problems(IKubernetesObject<V1ObjectMeta> obj)
    {
        List<string>? problems = null;
        var meta = obj.Metadata;
        var limit = LabelNamedKinds.Contains(obj.Kind) ? LabelLimit : SubdomainLimit;
        if (meta.Name.Length > limit)
        {
            (problems ??= []).Add($"{obj.Kind} name '{meta.Name}' has {meta.Name.Length} characters; Kubernetes allows at most {limit}");
        }

        CheckLabels(meta.Labels, ref problems);
        var template = obj switch
        {
            V1Deployment d => d.Spec.Template,
            V1Job j => j.Spec.Template,
            _ => null,
        };
        if (template is not null)
        {
            CheckLabels(template.Metadata?.Labels, ref problems);
            foreach (var port in template.Spec.Containers.SelectMany(c => c.Ports ?? []).Where(p => p.Name is { Length: > ContainerPortNameLimit }))
            {
                (problems ??= []).Add($"container port name '{port.Name}' has {port.Name.Length} characters; Kubernetes allows at most {ContainerPortNameLimit}");
            }

            foreach (var container in template.Spec.Containers.Where(c => c.Name.Length > LabelLimit))
            {
                (problems ??= []).Add($"container name '{container.Name}' has {container.Name.Length} characters; Kubernetes allows at most {LabelLimit}");
            }
        }

        return problems;
    }

    private static void CheckLabels(IDictionary<string, string>? labels, ref List<string>? problems)
    {
        foreach (var (key, value) in labels ?? ImmutableDictionary<string, string>.Empty)
        {
            if (value.Length > LabelLimit || !IsLabelValue(value))
            {
                (problems ??= []).Add($"label {key}='{value}' is not a label value (at most {LabelLimit} alphanumerics, '-', '_', '.', alphanumeric at both ends)");
            }
        }
    }

    private static void Report(RuleContext context, IKubernetesObject<V1ObjectMeta> obj, string problem)
    {
        var owner = Owner(context, obj);
        var where = $"{obj.Kind} {(obj.Metadata.NamespaceProperty is { } ns ? ns + "/" : "")}{obj.Metadata.Name}";
        if (owner is null)
        {
            context.Report(RuleCatalog.NameTooLong, context.Settings.StackFile, "infra:services", null, $"{where}: {problem}; shorten the names it is built from");
            return;
        }

        context.Report(RuleCatalog.NameTooLong, context.Service(owner)["name"],
            $"'{owner.Name}' ({owner.Name.Length} characters) is too long for a name generated from it: {where}: {problem}; shorten the service name");
    }

    private static ServiceSettings? Owner(RuleContext context, PlanItem item) =>
        item is ManifestItem manifest ? Owner(context, manifest.Object) : null;

    /// <summary>
    /// The catalog service an object was generated for: its <c>app</c> label, else the longest service name the
    /// object's name is built from (verification Jobs carry their own app label).
    /// </summary>
    private static ServiceSettings? Owner(RuleContext context, IKubernetesObject<V1ObjectMeta> obj)
    {
        if (obj.Metadata.Labels?.TryGetValue(Labels.App, out var app) == true && context.ServicesByName.TryGetValue(app, out var labelled))
        {
            return labelled;
        }

        return context.Settings.Services
            .Where(s => obj.Metadata.Name.Contains(s.Name, StringComparison.Ordinal) || (obj.Kind == "Namespace" && s.Namespace == obj.Metadata.Name))
            .MaxBy(s => s.Name.Length);
    }

    /// <summary>
    /// A label value's syntax, the length checked apart: empty, or alphanumerics, '-', '_' and '.' with an alphanumeric at
    /// both ends (Kubernetes apimachinery validation.IsValidLabelValue, <c>(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?</c>).
    /// Go's <c>$</c> ends the text, so a value with a final line break is not one. Checked without a regex: the checks run
    /// on every core, where one regex would hand out a runner per concurrent call.
    /// </summary>
    public static bool IsLabelValue(string value) =>
        value.Length == 0
        || (char.IsAsciiLetterOrDigit(value[0]) && char.IsAsciiLetterOrDigit(value[^1]) && !value.AsSpan().ContainsAnyExcept(LabelValueCharacters));

    private static readonly SearchValues<char> LabelValueCharacters =
        SearchValues.Create("-_.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
}
