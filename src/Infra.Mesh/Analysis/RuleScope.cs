using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Infra.Mesh.Settings;

namespace Infra.Mesh.Analysis;

/// <summary>
/// What the semantic rules may check while the settings have errors, so a stack's settings errors and rule findings
/// are reported in one run. A bad value is read as its default (<see cref="StackSettingsLoader.Read"/>), so a rule
/// that read it could report what the user never wrote, or miss what they did. So:
/// <list type="bullet">
/// <item>a service with any settings error (in its catalog entry or its override) is left out, and so are the calls
/// naming it: the rules check the other services and the calls between them;</item>
/// <item>a rule that reads a top-level key with an error (<see cref="ISettingsRule.Reads"/>) does not run, nor one that
/// needs every service (<see cref="ISettingsRule.ReadsWholeCatalog"/>) while any is left out;</item>
/// <item>an error in <c>infra:environment</c> or <c>infra:mesh</c>, which every rule depends on, stops them all.</item>
/// </list>
/// Every check that did not run is named, with its codes and the reason (<see cref="Skips"/>, <see cref="LeftOut"/>).
/// </summary>
public sealed partial class RuleScope
{
    private static readonly string[] Global = ["environment", "mesh"];

    private readonly HashSet<string> _failedKeys;
    private readonly ImmutableArray<string> _leftOut;
    private readonly bool _catalogFailed;

    private RuleScope(StackSettings settings, HashSet<string> failedKeys, ImmutableArray<string> leftOut, bool catalogFailed)
    {
        Settings = settings;
        _failedKeys = failedKeys;
        _leftOut = leftOut;
        _catalogFailed = catalogFailed;
    }

    /// <summary>The settings the rules see: every service, or with errors only the services (and calls) without any.</summary>
    public StackSettings Settings { get; }

    /// <summary>The scope of settings read with <paramref name="errors"/> (none: everything is checked); linear in services, calls and errors.</summary>
    public static RuleScope Of(StackSettings settings, IReadOnlyList<SettingsError> errors)
    {
        if (errors.Count == 0)
        {
            return new RuleScope(settings, [], [], catalogFailed: false);
        }

        var failedKeys = new HashSet<string>(StringComparer.Ordinal);
        var failedServices = new HashSet<string>(StringComparer.Ordinal);
        var catalogFailed = false;
        foreach (var error in errors)
        {
            var match = KeyPath().Match(error.Key);
            if (!match.Success)
            {
                continue; // not a config key (a file, the stack): no settings were read from it
            }

            var key = match.Groups["key"].Value;
            failedKeys.Add(key);
            if (key is "services" or "serviceOverrides")
            {
                // infra:services[name]... or infra:serviceOverrides.name...; an entry without a valid name is labelled
                // by its index or its bad name, which no service read has (it is read as ""), so it is left out anyway.
                var rest = match.Groups["rest"].Value;
                var service = Label().Match(rest);
                if (rest.Length == 0)
                {
                    catalogFailed = true; // the catalog or the overrides as a whole
                }
                else if (service.Success)
                {
                    failedServices.Add(service.Groups["name"].Value);
                }
            }
        }

        // An entry without a valid name is read as "" (and its error names its index): never a service to check.
        // A name declared twice is an error on the second entry; both entries are left out.
        var duplicates = settings.Services.GroupBy(s => s.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key);
        failedServices.UnionWith(duplicates);
        var kept = catalogFailed ? [] : settings.Services.Where(s => s.Name.Length > 0 && !failedServices.Contains(s.Name)).ToList();
        var keptNames = kept.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var leftOut = settings.Services.Select(s => s.Name).Where(n => n.Length > 0 && !keptNames.Contains(n)).Distinct(StringComparer.Ordinal).ToImmutableArray();
        var services = kept.Select(s => s.Calls.All(c => keptNames.Contains(c.Service)) ? s : s with { Calls = [.. s.Calls.Where(c => keptNames.Contains(c.Service))] });
        return new RuleScope(settings with { Services = [.. services] }, failedKeys, leftOut, catalogFailed);
    }

    /// <summary>Why <paramref name="rule"/> cannot run in this scope (<c>it reads infra:ingress</c>), or null when it can.</summary>
    public string? Skips(ISettingsRule rule)
    {
        if (Global.FirstOrDefault(_failedKeys.Contains) is { } global)
        {
            return $"every rule depends on infra:{global}";
        }

        if (rule.Reads.FirstOrDefault(_failedKeys.Contains) is { } key)
        {
            return $"it reads infra:{key}";
        }

        return rule.ReadsWholeCatalog && (_catalogFailed || !_leftOut.IsEmpty) ? "it reads every service" : null;
    }

    /// <summary>What the rules that ran did not see: the services left out (and calls to them), or the whole catalog.</summary>
    public IEnumerable<string> LeftOut()
    {
        if (Global.Any(_failedKeys.Contains))
        {
            yield break; // no rule ran; Skips says so for each
        }

        if (_catalogFailed)
        {
            yield return "services: not checked by the semantic rules, infra:services or infra:serviceOverrides has errors";
        }
        else if (!_leftOut.IsEmpty)
        {
            yield return $"services {string.Join(", ", _leftOut)} (and calls to them): not checked by the semantic rules, their settings have errors";
        }
    }

    /// <summary>A config key path: <c>infra:</c>, the top-level key, the rest (<c>[orders].replicas</c>, <c>.orders.canary</c>).</summary>
    [GeneratedRegex(@"^infra:(?<key>[A-Za-z0-9_-]+)(?<rest>.*)$", RegexOptions.Singleline)]
    private static partial Regex KeyPath();

    /// <summary>The service a catalog or override path starts with: <c>[orders]</c> or <c>.orders</c>.</summary>
    [GeneratedRegex(@"^(?:\[(?<name>[^\]]+)\]|\.(?<name>[^.\[]+))")]
    private static partial Regex Label();
}
