using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Infra.Mesh.Settings;

/// <summary>
/// Applies YAML merge keys (<c>&lt;&lt;: *anchor</c>, <c>&lt;&lt;: [*a, *b]</c>) the way Pulumi's YAML reader
/// (go-yaml v3, yaml.org/type/merge) does: the merged mappings' keys are added unless the mapping sets them itself,
/// and with a list of mappings an earlier one wins. YamlDotNet's own MergingParser refuses a key that overrides a
/// merged one ("Duplicate key"), so the merge is applied on the loaded document instead. Anchors, aliases and block
/// scalars need nothing: the representation model already resolves them.
/// </summary>
public static class YamlMergeKeys
{
    /// <summary>Resolves every merge key below <paramref name="root"/> in place; returns the problems (a merged value that is not a mapping).</summary>
    public static IReadOnlyList<(string Message, int Line)> Apply(YamlNode root)
    {
        var problems = new List<(string, int)>();
        Resolve(root, new HashSet<YamlNode>(ReferenceEqualityComparer.Instance), problems);
        return problems;
    }

    private static void Resolve(YamlNode node, HashSet<YamlNode> done, List<(string, int)> problems)
    {
        if (!done.Add(node))
        {
            return;
        }

        switch (node)
        {
            case YamlSequenceNode sequence:
                foreach (var child in sequence.Children)
                {
                    Resolve(child, done, problems);
                }

                break;
            case YamlMappingNode mapping:
                foreach (var child in mapping.Children.Values.ToList())
                {
                    Resolve(child, done, problems);
                }

                Merge(mapping, problems);
                break;
        }
    }

    private static void Merge(YamlMappingNode mapping, List<(string, int)> problems)
    {
        var key = mapping.Children.Keys.OfType<YamlScalarNode>().FirstOrDefault(k => k.Value == "<<" && k.Style is ScalarStyle.Plain or ScalarStyle.Any);
        if (key is null)
        {
            return;
        }

        var value = mapping.Children[key];
        mapping.Children.Remove(key);
        IEnumerable<YamlNode> sources = value is YamlSequenceNode list ? list.Children : [value];
        foreach (var source in sources)
        {
            if (source is not YamlMappingNode merged)
            {
                problems.Add(("a merge key (<<) takes a mapping or a list of mappings (usually aliases such as *defaults)", (int)source.Start.Line));
                continue;
            }

            foreach (var (mergedKey, mergedValue) in merged.Children.Where(c => !mapping.Children.ContainsKey(c.Key)))
            {
                mapping.Children.Add(mergedKey, mergedValue);
            }
        }

    }
}
