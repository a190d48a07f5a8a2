using System.Collections.Immutable;

namespace Infra.Mesh.Settings;

/// <summary>One edge of the call graph: this service calls <paramref name="Service"/>.</summary>
public sealed record CallSettings(string Service, ImmutableArray<string> Methods, ImmutableArray<string> Paths)
{
    /// <summary>The methods a call may be restricted to; no methods means all of them.</summary>
    public static ImmutableArray<string> HttpMethods { get; } = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

    internal static ImmutableArray<CallSettings> ReadAll(ConfigNode node, string? caller, HashSet<string> declared)
    {
        var calls = new List<CallSettings>();
        foreach (var item in node.Items())
        {
            // A call is either a service name or {service, methods, paths}.
            var shortForm = item.IsScalar;
            if (!shortForm)
            {
                item.IsMapping("service", "methods", "paths");
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

            calls.Add(new CallSettings(service, [.. methods], [.. paths]));
        }

        return [.. calls];
    }
}
