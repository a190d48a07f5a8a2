using System.Globalization;
using System.Text.Json.Nodes;
using Infra.Mesh.Planning;

namespace Infra.Mesh.Rendering;

/// <summary>A file of an offline render, path relative to the output directory, and its UTF-8 bytes.</summary>
public sealed record RenderedFile(string Path, Utf8Text Content);

/// <summary>
/// Renders a plan to reviewable files: per stage a numbered folder with the stage's manifests and one values
/// file per Helm release, plus <c>plan.md</c>. Secrets appear only as placeholders. Same plan, same bytes.
/// </summary>
public static class PlanRenderer
{
    public const string PlanDocument = "plan.md";
    public const string ManifestsFile = "manifests.yaml";

    public static IReadOnlyList<RenderedFile> Render(MeshPlan plan)
    {
        ManifestItem.SerializeAll(plan.Stages.SelectMany(s => s.Items).OfType<ManifestItem>());
        // plan.md reads the plan only: written alongside the stages' YAML (at 10,000 services it is 20 MB of its own).
        var markdown = Task.Run(() => Utf8Text.Of(PlanMarkdown.Write(plan)));
        var files = new List<RenderedFile>();
        foreach (var stage in plan.Stages.Where(s => !s.Items.IsEmpty))
        {
            var folder = StageFolder(stage);
            foreach (var release in stage.Items.OfType<HelmReleaseItem>())
            {
                files.Add(new RenderedFile($"{folder}/{ValuesFile(release)}", Utf8Text.Of(ValuesDocument(release))));
            }

            var objects = Documents(stage).ToList();
            if (objects.Count > 0)
            {
                files.Add(new RenderedFile($"{folder}/{ManifestsFile}", YamlText.WriteAll(objects)));
            }
        }

        files.Insert(0, new RenderedFile(PlanDocument, markdown.GetAwaiter().GetResult()));
        return files;
    }

    public static string StageFolder(PlanStage stage) =>
        $"{((int)stage.Kind + 1).ToString("00", CultureInfo.InvariantCulture)}-{stage.Name}";

    public static string ValuesFile(HelmReleaseItem release) => $"{release.ReleaseName}.values.yaml";

    /// <summary>The objects of a stage in their canonical JSON form, secrets as placeholders.</summary>
    public static IEnumerable<JsonObject> Objects(PlanStage stage) => Documents(stage).Select(d => JsonNode.Parse(d.Span)!.AsObject());

    /// <summary>
    /// The objects of a stage as UTF-8 JSON texts, the form the YAML writer streams: a stage of thousands of objects is
    /// serialized once each (<see cref="ManifestItem.Utf8"/>) and never held as a tree.
    /// </summary>
    public static IEnumerable<ReadOnlyMemory<byte>> Documents(PlanStage stage)
    {
        foreach (var item in stage.Items)
        {
            switch (item)
            {
                case ManifestItem m:
                    yield return m.Utf8;
                    break;
                case SecretItem s:
                    yield return ObjectJson.Utf8(ObjectJson.Of(s, source => source.Placeholder));
                    break;
            }
        }
    }

    private static string ValuesDocument(HelmReleaseItem release)
    {
        var header = $"# Helm release {release.ReleaseName}: chart {release.Chart} {release.Version} from {release.Repository}, namespace {release.Namespace}\n";
        return header + YamlText.Write(ObjectJson.Values(release, source => JsonValue.Create(source.Placeholder)));
    }
}
