using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Infra.Mesh.Settings;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Infra.Cli;

/// <summary>
/// What <c>diff</c> compares a stack with besides another stack: an earlier render on disk (for example the base
/// branch's, rendered by its own code in CI), or the stack's files at a git ref (rendered by the current code).
/// </summary>
public static partial class DiffSources
{
    /// <summary>
    /// The entries of an earlier render (<c>render --out DIR</c>): every object of each <c>NN-stage/manifests.yaml</c>
    /// and every Helm release from its values file's header and body. A name that is a fingerprinted name of
    /// <paramref name="counterpart"/> with another fingerprint is marked as fingerprinted, so the two pair up.
    /// </summary>
    /// <exception cref="InvalidDataException">The directory is not a render (no <c>plan.md</c>, or a file that does not parse).</exception>
    public static IReadOnlyList<RenderedEntry> ReadRender(string directory, IEnumerable<RenderedEntry> counterpart)
    {
        if (!File.Exists(Path.Combine(directory, "plan.md")))
        {
            throw new InvalidDataException($"{directory} is not a render of `infra render` (it has no plan.md).");
        }

        var stems = counterpart.Where(e => e.Fingerprint is not null)
            .Select(e => (e.Kind, e.Namespace, Stem: e.Name[..^(e.Fingerprint!.Length + 1)])).ToHashSet();
        var entries = new List<RenderedEntry>();
        foreach (var stageDirectory in Directory.GetDirectories(directory).Order(StringComparer.Ordinal))
        {
            var stage = Path.GetFileName(stageDirectory);
            foreach (var file in Directory.GetFiles(stageDirectory, "*.yaml").Order(StringComparer.Ordinal))
            {
                var documents = Parse(file);
                if (Path.GetFileName(file) == "manifests.yaml")
                {
                    entries.AddRange(documents.OfType<JsonObject>().Select(o => Object(o, stage, stems)));
                }
                else if (ReleaseHeader().Match(File.ReadLines(file).FirstOrDefault() ?? "") is { Success: true } header)
                {
                    entries.Add(new RenderedEntry("helm.sh/v3", RenderedEntry.HelmReleaseKind, header.Groups["namespace"].Value, header.Groups["release"].Value, stage, new JsonObject
                    {
                        ["chart"] = header.Groups["chart"].Value,
                        ["repository"] = header.Groups["repository"].Value,
                        ["version"] = header.Groups["version"].Value,
                        ["values"] = documents.FirstOrDefault()?.DeepClone() ?? new JsonObject(),
                    }));
                }
            }
        }

        return entries;
    }

    /// <summary>
    /// The stack's <c>Pulumi.yaml</c> and <c>Pulumi.&lt;stack&gt;.yaml</c> as committed at <paramref name="gitRef"/>, copied into
    /// <paramref name="scratch"/> so the current code can load them. Settings changes show; code changes need a render
    /// of the ref by its own code (<see cref="ReadRender"/>).
    /// </summary>
    /// <exception cref="SettingsException">git is missing, the ref is unknown, or the stack did not exist there.</exception>
    public static void CheckOut(string projectDirectory, string stack, string gitRef, string scratch)
    {
        var prefix = Git(projectDirectory, "rev-parse", "--show-prefix").Trim();
        foreach (var file in new[] { ProjectConfigFiles.ProjectFileName, ProjectConfigFiles.StackFileName(stack) })
        {
            File.WriteAllText(Path.Combine(scratch, file), Git(projectDirectory, "show", $"{gitRef}:{prefix}{file}"));
        }
    }

    private static string Git(string directory, params string[] args)
    {
        var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            using var git = Process.Start(start) ?? throw new InvalidOperationException("git did not start");
            var output = git.StandardOutput.ReadToEndAsync();
            var error = git.StandardError.ReadToEnd();
            git.WaitForExit();
            return git.ExitCode == 0
                ? output.Result
                : throw new SettingsException([new SettingsError("(git)", string.Join(' ', args), $"git {string.Join(' ', args)} failed: {error.Trim()}")]);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new SettingsException([new SettingsError("(git)", "git", $"git is needed to read another ref: {e.Message}")]);
        }
    }

    private static RenderedEntry Object(JsonObject obj, string stage, HashSet<(string Kind, string? Namespace, string Stem)> stems)
    {
        var (kind, ns, name) = ((string)obj["kind"]!, (string?)obj["metadata"]!["namespace"], (string)obj["metadata"]!["name"]!);
        var dash = name.LastIndexOf('-');
        var fingerprint = dash > 0 && stems.Contains((kind, ns, name[..dash])) ? name[(dash + 1)..] : null;
        return new RenderedEntry((string)obj["apiVersion"]!, kind, ns, name, stage, obj, fingerprint);
    }

    private static List<JsonNode?> Parse(string file)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(File.ReadAllText(file)));
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"{file}:{e.Start.Line}: {e.Message}", e);
        }

        return [.. stream.Documents.Select(d => ToJson(d.RootNode))];
    }

    /// <summary>YAML as the render writes it (from JSON): plain scalars are numbers, booleans and null; quoted ones strings.</summary>
    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, ToJson(c.Value)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(ToJson)]),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: null or "" or "null" or "~" } => null,
        YamlScalarNode { Style: ScalarStyle.Plain, Value: "true" or "false" } b => JsonValue.Create(b.Value == "true"),
        YamlScalarNode { Style: ScalarStyle.Plain } n when long.TryParse(n.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole) => JsonValue.Create(whole),
        YamlScalarNode { Style: ScalarStyle.Plain } n when double.TryParse(n.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) => JsonValue.Create(real),
        YamlScalarNode s => JsonValue.Create(s.Value ?? ""),
        _ => null,
    };

    [GeneratedRegex(@"^# Helm release (?<release>\S+): chart (?<chart>\S+) (?<version>\S+) from (?<repository>\S+), namespace (?<namespace>\S+)$")]
    private static partial Regex ReleaseHeader();
}
