using System.Collections.Immutable;
using Infra.Mesh.Settings;

namespace Infra.Mesh.Analysis;

/// <summary>
/// What a rule sees: the validated settings, the config nodes behind them (for file, line and key path), indexes
/// that keep every rule linear in the catalog's size, and the place findings go.
/// </summary>
public sealed class RuleContext
{
    private readonly IStackConfigSource _source;
    private readonly SettingsErrors _navigation = new();
    private readonly Dictionary<string, ConfigNode> _serviceNodes = new(StringComparer.Ordinal);
    private readonly ImmutableHashSet<string> _promoted;
    private readonly List<Finding> _findings = [];

    public RuleContext(StackSettings settings, IStackConfigSource source, ImmutableHashSet<string> promoted)
    {
        Settings = settings;
        _source = source;
        _promoted = promoted;
        ServicesByName = settings.Services.ToImmutableDictionary(s => s.Name, StringComparer.Ordinal);
        var overrides = Key("serviceOverrides");
        foreach (var entry in Key("services").Items())
        {
            if (entry["name"].IsScalar && entry["name"].Text() is { } name && !_serviceNodes.ContainsKey(name))
            {
                _serviceNodes[name] = overrides[name].Exists ? entry.Under(overrides[name]) : entry;
            }
        }
    }

    public StackSettings Settings { get; }

    public ImmutableDictionary<string, ServiceSettings> ServicesByName { get; }

    public IReadOnlyList<Finding> Findings => _findings;

    /// <summary>A top-level <c>infra:</c> key, for locating findings (reading it here reports nothing).</summary>
    public ConfigNode Key(string key) => ConfigNode.Root(_source.Find(key), $"infra:{key}", _source.StackFile, _navigation);

    /// <summary>A service's catalog entry with the stack's override laid over it: a key reads where it was written.</summary>
    public ConfigNode Service(ServiceSettings service) => _serviceNodes[service.Name];

    /// <summary>Every declared call whose caller has no proxy (<c>inject: false</c>), with its callee; linear in the calls.</summary>
    public IEnumerable<(ServiceSettings Caller, CallSettings Call, ServiceSettings Callee)> CallsWithoutProxy() =>
        Settings.Services.Where(s => !s.Injected).SelectMany(caller => caller.Calls.Select(call => (caller, call, ServicesByName[call.Service])));

    /// <summary>The call entry of <paramref name="caller"/> to <paramref name="callee"/> (short or long form).</summary>
    public ConfigNode Call(ServiceSettings caller, string callee) =>
        Service(caller)["calls"].Items().First(i => (i.IsScalar ? i.Text() : i["service"].Text()) == callee);

    /// <summary>A declared port's entry: <c>infra:services[catalog].ports[grpc]</c>.</summary>
    public ConfigNode Port(ServiceSettings service, ServicePort port) =>
        Service(service)["ports"].Items().First(i => i["name"].Text() == port.Name);

    /// <summary>Reports a finding at <paramref name="at"/>, with the severity this stack gives the rule.</summary>
    public void Report(Rule rule, ConfigNode at, string message) =>
        _findings.Add(new Finding(rule, SeverityOf(rule), at.File, at.Path, at.Line, message));

    /// <summary>Reports a finding at an explicit place (a whole config entry, or an object the plan generates).</summary>
    public void Report(Rule rule, string file, string key, int? line, string message) =>
        _findings.Add(new Finding(rule, SeverityOf(rule), file, key, line, message));

    private Severity SeverityOf(Rule rule) =>
        rule.Severity == Severity.Warning && (_promoted.Contains(rule.Code) || (rule.ErrorInProd && Settings.IsProduction))
            ? Severity.Error
            : rule.Severity;
}
