using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Infra.Mesh.Settings;

/// <summary>Collects every settings problem so a stack's errors are reported together.</summary>
public sealed class SettingsErrors
{
    private readonly List<SettingsError> _errors = [];
    private readonly HashSet<SettingsError> _reported = [];

    /// <summary>Adds a problem once: several readers of one bad value (say, a mapping where a list belongs) report it once.</summary>
    public void Add(SettingsError error)
    {
        // A set, not a scan of the list: a catalog of thousands of services can have thousands of problems.
        if (_reported.Add(error))
        {
            _errors.Add(error);
        }
    }

    /// <summary>The problems collected so far, in the order found.</summary>
    public IReadOnlyList<SettingsError> All => _errors;

    public void ThrowIfAny()
    {
        if (_errors.Count > 0)
        {
            throw new SettingsException(_errors.ToList());
        }
    }
}

/// <summary>
/// A settings value as seen through one or more layers (a stack override above the project's catalog entry).
/// Reading a key takes the top-most layer that sets it; mappings merge layer by layer, sequences and scalars replace.
/// Every read reports problems with the file, key path, line and value of the layer that supplied the value; a missing
/// key is reported where it belongs: below the bottom-most layer (the catalog entry), at the line of its parent.
/// </summary>
public sealed partial class ConfigNode
{
    private readonly Layer[] _layers;
    private readonly SettingsErrors _errors;
    private readonly Location _missing;

    private ConfigNode(Layer[] layers, SettingsErrors errors, Location missing)
    {
        _layers = layers;
        _errors = errors;
        _missing = missing;
    }

    public static ConfigNode Root(ConfigEntry? entry, string path, string fileWhenMissing, SettingsErrors errors) =>
        entry is null
            ? new ConfigNode([], errors, new Location(KeyPath.Root(path), fileWhenMissing, null))
            : new ConfigNode([new Layer(entry.Value, KeyPath.Root(path), entry.File)], errors, new Location(KeyPath.Root(path), entry.File, null));

    private readonly record struct Layer(YamlNode Node, KeyPath Path, string File);

    /// <summary>Where an error about this node points when no layer sets it.</summary>
    private readonly record struct Location(KeyPath Path, string File, int? Line);

    /// <summary>
    /// A key path (<c>infra:services[orders].ports[web].port</c>), joined into text only when read (an error, a caller):
    /// reading a catalog of 10,000 services walks millions of keys and reports a handful.
    /// </summary>
    private sealed class KeyPath
    {
        private readonly KeyPath? _parent;
        private readonly string _segment;
        private readonly bool _item;
        private string? _text;

        private KeyPath(KeyPath? parent, string segment, bool item)
        {
            _parent = parent;
            _segment = segment;
            _item = item;
        }

        public static KeyPath Root(string path) => new(null, path, item: false) { _text = path };

        /// <summary><c>path.key</c>.</summary>
        public KeyPath Key(string key) => new(this, key, item: false);

        /// <summary><c>path[label]</c>.</summary>
        public KeyPath Item(string label) => new(this, label, item: true);

        public override string ToString() => _text ??= _item ? $"{_parent}[{_segment}]" : $"{_parent}.{_segment}";
    }

    public bool Exists => _layers.Length > 0 && !IsNull(_layers[0].Node);

    public string Path => (_layers.Length > 0 ? _layers[0].Path : _missing.Path).ToString();

    public string File => _layers.Length > 0 ? _layers[0].File : _missing.File;

    /// <summary>The line of the value (or, when missing, of its parent), 1-based; null when no file line is known.</summary>
    public int? Line => Top is { } node ? (int)node.Start.Line : _missing.Line;

    public bool IsScalar => Exists && Top is YamlScalarNode;

    private YamlNode? Top => _layers.Length > 0 ? _layers[0].Node : null;

    /// <summary>A view with <paramref name="over"/> laid on top: its keys win.</summary>
    public ConfigNode Under(ConfigNode over) =>
        new([.. over._layers.Where(l => !IsNull(l.Node)), .. _layers], _errors, _missing);

    public ConfigNode this[string key]
    {
        get
        {
            var layers = new List<Layer>();
            foreach (var layer in _layers)
            {
                if (layer.Node is YamlMappingNode mapping && mapping.Children.TryGetValue(new YamlScalarNode(key), out var child))
                {
                    layers.Add(new Layer(child, layer.Path.Key(key), layer.File));
                    if (child is not YamlMappingNode)
                    {
                        break; // scalars and sequences replace whatever lies below
                    }
                }
            }

            // A missing key belongs in the bottom-most layer (the catalog entry, not a stack's override of it).
            var parent = _layers.Length > 0
                ? new Location(_layers[^1].Path, _layers[^1].File, (int)_layers[^1].Node.Start.Line)
                : _missing;
            return new ConfigNode([.. layers], _errors, parent with { Path = parent.Path.Key(key) });
        }
    }

    public void Error(string message) => _errors.Add(new SettingsError(File, Path, message, Line));

    /// <summary>Reports a problem found elsewhere (a probe, <see cref="Alone"/>) with this node's other problems.</summary>
    public void Report(SettingsError error) => _errors.Add(error);

    /// <summary>The same value, with its problems going to <paramref name="errors"/> instead (to probe it without reporting).</summary>
    public ConfigNode Alone(SettingsErrors errors) => new(_layers, errors, _missing);

    /// <summary>
    /// Whether this node, laid over <paramref name="under"/> (<see cref="Under"/>), hides a value <paramref name="under"/>
    /// sets on the way to <paramref name="relativePath"/> (<c>.replicas</c>, <c>.ports[grpc].port</c>): some key on the
    /// way is set here to a scalar or a list, which replace whatever lies below, and is set below too. A key only
    /// <paramref name="under"/> lacks hides nothing (an override may supply what the catalog leaves out).
    /// </summary>
    public bool Hides(ConfigNode under, string relativePath)
    {
        var (over, below) = (this, under);
        foreach (var segment in relativePath.TrimStart('.').Split('.'))
        {
            var key = segment.Split('[')[0];
            (over, below) = (over[key], below[key]);
            if (!over.Exists)
            {
                return false;
            }

            if (!over.IsMappingValue)
            {
                return below.Exists;
            }

            if (key.Length != segment.Length)
            {
                return false; // a list item below a mapping: the types differ, which the read reports anyway
            }
        }

        return false;
    }

    /// <summary>Rejects keys this mapping does not know, in every layer (catches typos in catalog and overrides).</summary>
    public bool IsMapping(params string[] allowedKeys)
    {
        if (!Exists)
        {
            return false;
        }

        var ok = true;
        foreach (var layer in _layers)
        {
            if (layer.Node is not YamlMappingNode mapping)
            {
                _errors.Add(new SettingsError(layer.File, layer.Path.ToString(), $"expected a mapping, got {Describe(layer.Node)}", (int)layer.Node.Start.Line));
                ok = false;
                continue;
            }

            if (allowedKeys.Length == 0)
            {
                continue;
            }

            foreach (var keyNode in mapping.Children.Keys)
            {
                var key = KeyText(keyNode);
                if (!allowedKeys.Contains(key))
                {
                    _errors.Add(new SettingsError(layer.File, $"{layer.Path}.{key}",
                        $"unknown key '{key}'; allowed: {string.Join(", ", allowedKeys)}", (int)keyNode.Start.Line));
                }
            }
        }

        return ok;
    }

    /// <summary>The keys of a mapping, merged over all layers, in first-seen order.</summary>
    public IReadOnlyList<string> Keys()
    {
        if (!IsMapping())
        {
            return [];
        }

        return _layers.Reverse().SelectMany(l => ((YamlMappingNode)l.Node).Children.Keys)
            .Select(KeyText).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The items of a sequence (the top-most layer's; sequences replace).</summary>
    public IReadOnlyList<ConfigNode> Items()
    {
        if (!Exists)
        {
            return [];
        }

        var top = _layers[0];
        if (top.Node is not YamlSequenceNode sequence)
        {
            Error($"expected a list, got {Describe(top.Node)}");
            return [];
        }

        return sequence.Children
            .Select((item, i) =>
            {
                var path = top.Path.Item(ItemLabel(item, i));
                return new ConfigNode([new Layer(item, path, top.File)], _errors, new Location(path, top.File, (int)item.Start.Line));
            })
            .ToList();
    }

    /// <summary>The items of a list that must be present and not empty; <paramref name="hint"/> says what belongs there.</summary>
    public IReadOnlyList<ConfigNode> RequiredItems(string hint)
    {
        if (!Exists)
        {
            Error($"is required but missing: {hint}");
            return [];
        }

        var items = Items();
        if (items.Count == 0 && Top is YamlSequenceNode)
        {
            Error($"must not be empty: {hint}");
        }

        return items;
    }

    public string? Text() => Scalar("a string");

    /// <summary>The text of a scalar; a mapping or list is reported as the wrong type, naming what <paramref name="expected"/>.</summary>
    private string? Scalar(string expected)
    {
        if (!Exists)
        {
            return null;
        }

        if (Top is YamlScalarNode scalar)
        {
            return scalar.Value;
        }

        Error($"expected {expected}, got {Describe(Top!)}");
        return null;
    }

    public string? RequiredText()
    {
        if (!Exists)
        {
            Error("is required but missing");
            return null;
        }

        var value = Text();
        if (value is "")
        {
            Error("must not be empty");
            return null;
        }

        return value;
    }

    // Readers come in pairs. With a default: a missing value is the default, and a bad value is reported and the
    // default stands in for it, so checks that depend on it can still run (the load fails on any report anyway).
    // Without one: missing or bad is null, for values that are required or whose absence means something.

    /// <summary>One of <paramref name="allowed"/>; missing: <paramref name="defaultValue"/> (a bad value is reported).</summary>
    public string OneOf(string defaultValue, params string[] allowed) => OneOf(allowed) ?? defaultValue;

    /// <summary>One of <paramref name="allowed"/>; missing or bad (reported): null.</summary>
    public string? OneOf(IReadOnlyCollection<string> allowed)
    {
        var value = Scalar($"one of {string.Join(", ", allowed)}");
        if (value is not null && !allowed.Contains(value))
        {
            Error($"'{value}' is not allowed; allowed: {string.Join(", ", allowed)}");
            return null;
        }

        return value;
    }

    /// <summary>An integer in <paramref name="min"/>..<paramref name="max"/>; missing: <paramref name="defaultValue"/> (a bad value is reported).</summary>
    public int WholeNumber(int defaultValue, int min, int max) => WholeNumber(min, max) ?? defaultValue;

    /// <summary>An integer in <paramref name="min"/>..<paramref name="max"/>; missing or bad (reported): null.</summary>
    public int? WholeNumber(int min, int max)
    {
        var allowed = $"a whole number in {min}..{max}";
        var text = Scalar(allowed);
        if (text is null)
        {
            return null;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            Error($"'{text}' is not a whole number; allowed: {min}..{max}");
            return null;
        }

        if (value < min || value > max)
        {
            Error($"{value} is out of range; allowed: {min}..{max}");
            return null;
        }

        return value;
    }

    /// <summary>A finite number in <paramref name="min"/>..<paramref name="max"/>; missing: <paramref name="defaultValue"/> (a bad value is reported).</summary>
    public double Number(double defaultValue, double min, double max)
    {
        var range = $"{min.ToString(CultureInfo.InvariantCulture)}..{max.ToString(CultureInfo.InvariantCulture)}";
        var text = Scalar($"a number in {range}");
        if (text is null)
        {
            return defaultValue;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            Error($"'{text}' is not a number; allowed: {range}");
            return defaultValue;
        }

        if (value < min || value > max)
        {
            Error($"{text} is out of range; allowed: {range}");
            return defaultValue;
        }

        return value;
    }

    /// <summary><c>true</c> or <c>false</c>; missing: <paramref name="defaultValue"/> (a bad value is reported).</summary>
    public bool Bool(bool defaultValue)
    {
        var text = Scalar("true or false");
        switch (text)
        {
            case null:
                return defaultValue;
            case "true":
                return true;
            case "false":
                return false;
            default:
                Error($"'{text}' is not a boolean; allowed: true, false");
                return defaultValue;
        }
    }

    /// <summary>A string matching <paramref name="pattern"/>, which <paramref name="allowed"/> describes to the user; missing: <paramref name="defaultValue"/> (a bad value is reported).</summary>
    public string Matching(Regex pattern, string allowed, string defaultValue) => Matching(pattern, allowed) ?? defaultValue;

    /// <summary>A string matching <paramref name="pattern"/>, which <paramref name="allowed"/> describes to the user; missing or bad (reported): null.</summary>
    public string? Matching(Regex pattern, string allowed)
    {
        var value = Scalar(allowed);
        if (value is not null && !pattern.IsMatch(value))
        {
            Error($"'{value}' is not allowed; expected {allowed}");
            return null;
        }

        return value;
    }

    /// <summary>Reports a required value as missing (<paramref name="hint"/> says what belongs there) and gives <c>default</c>.</summary>
    public T? Missing<T>(string hint = "")
    {
        Error("is required but missing" + hint);
        return default;
    }

    public IReadOnlyList<string> TextList()
    {
        var result = new List<string>();
        foreach (var item in Items())
        {
            if (item.Text() is { } value)
            {
                result.Add(value);
            }
        }

        return result;
    }

    /// <summary>A mapping of string to string (environment variables and the like).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> TextMap()
    {
        return Keys().Select(k => (Key: k, Value: this[k].Text()))
            .Where(e => e.Value is not null)
            .Select(e => KeyValuePair.Create(e.Key, e.Value!))
            .ToList();
    }

    /// <summary>
    /// The raw YAML of the value with layers merged, for free-form data (EDN config). A null (<c>~</c>, <c>null</c>, empty)
    /// laid over a value removes it, as everywhere in overrides; a null with nothing under it is data, kept as the YAML
    /// null it is (<c>key:</c> in the catalog is <c>nil</c> in EDN, and <c>(contains? m :key)</c> sees it).
    /// </summary>
    public YamlNode? Merged()
    {
        if (!Exists)
        {
            return null;
        }

        if (Top is not YamlMappingNode)
        {
            return Top;
        }

        var merged = new YamlMappingNode();
        foreach (var key in Keys())
        {
            var child = this[key];
            if (child.Merged() is { } value)
            {
                merged.Add(key, value);
            }
            else if (child.Top is { } nothing && !HasValueBelow(key))
            {
                merged.Add(key, nothing);
            }
        }

        return merged;
    }

    /// <summary>Whether a layer under the top-most one that sets <paramref name="key"/> gives it a non-null value.</summary>
    private bool HasValueBelow(string key)
    {
        var setting = _layers.Where(l => l.Node is YamlMappingNode m && m.Children.ContainsKey(new YamlScalarNode(key)))
            .Select(l => ((YamlMappingNode)l.Node).Children[new YamlScalarNode(key)]);
        return setting.Skip(1).Any(node => !IsNull(node));
    }

    /// <summary>The scalar itself (with its style and tag), or null when the value is missing or not a scalar.</summary>
    public YamlScalarNode? ScalarNode => Exists ? Top as YamlScalarNode : null;

    public bool IsSequence => Exists && Top is YamlSequenceNode;

    public bool IsMappingValue => Exists && Top is YamlMappingNode;

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Value: null or "~" or "null", Style: YamlDotNet.Core.ScalarStyle.Plain or YamlDotNet.Core.ScalarStyle.Any }
        || node is YamlScalarNode { Value: "", Style: YamlDotNet.Core.ScalarStyle.Plain };

    private static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode s => $"'{s.Value}'",
        _ => node.NodeType.ToString(),
    };

    private static string KeyText(YamlNode key) => key is YamlScalarNode { Value: { } text } ? text : key.ToString();

    private static string ItemLabel(YamlNode item, int index) =>
        item is YamlMappingNode m && m.Children.TryGetValue(new YamlScalarNode("name"), out var name) && name is YamlScalarNode { Value: { Length: > 0 } n }
            ? n
            : index.ToString(CultureInfo.InvariantCulture);
}
