using System.Collections.Immutable;

namespace Infra.Mesh.Settings;

/// <summary>One edge of the call graph: this service calls <paramref name="Service"/>.</summary>
public sealed record CallSettings(string Service, ImmutableArray<string> Methods, ImmutableArray<string> Paths)
{
    /// <summary>
    /// <c>unauthenticated: true</c>: the caller runs without a proxy (<c>inject: false</c>) and this one edge is opened
    /// to clients without a mesh identity (plain text), narrowed to <see cref="Methods"/> and <see cref="Paths"/>. A
    /// deliberate relaxation: rule INFRA105 warns about it (an error in prod), and only a caller with
    /// <c>inject: false</c> may set it (a meshed caller has an identity to be authorized by).
    /// </summary>
    public bool Unauthenticated { get; init; }

    /// <summary>The methods a call may be restricted to; no methods means all of them.</summary>
    public static ImmutableArray<string> HttpMethods { get; } = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

    internal static ImmutableArray<CallSettings> ReadAll(ConfigNode node, string? caller, HashSet<string> declared, bool callerInjected)
    {
        var calls = new List<CallSettings>();
        foreach (var item in node.Items())
        {
            // A call is either a service name or {service, methods, paths}.
            var shortForm = item.IsScalar;
            if (!shortForm)
            {
                item.IsMapping("service", "methods", "paths", "unauthenticated");
            }

            var target = shortForm ? item : item["service"];

            var service = target.RequiredText();
            if (service is null)
            {
                continue;
            }

            if (!declared.Contains(service))
            {
                target.Error($"calls '{service}', which the catalog does not declare; declared: {string.Join(", ", declared.Order(StringComparer.Ordinal))}");
                continue;
            }

            if (calls.Any(c => c.Service == service))
            {
                target.Error($"the call to '{service}' is declared more than once");
                continue;
            }

            var methods = shortForm ? [] : item["methods"].TextList();
            foreach (var method in methods.Where(m => !CallSettings.HttpMethods.Contains(m)))
            {
                item["methods"].Error($"'{method}' is not allowed; allowed: {string.Join(", ", CallSettings.HttpMethods)}");
            }

            var paths = shortForm ? [] : item["paths"].TextList();
            foreach (var path in paths.Where(p => !Names.HttpPath().IsMatch(p)))
            {
                item["paths"].Error($"'{path}' is not an HTTP path; expected /path or /prefix/*");
            }

            var unauthenticated = !shortForm && item["unauthenticated"].Bool(false);
            if (unauthenticated && callerInjected)
            {
                item["unauthenticated"].Error(
                    $"'{caller}' is meshed (inject is not false), so its calls carry a mesh identity and are authorized by it; "
                    + "unauthenticated: true only opens a call from a caller with inject: false; remove it");
            }

            calls.Add(new CallSettings(service, [.. methods], [.. paths]) { Unauthenticated = unauthenticated });
        }

        return [.. calls];
    }
}
