using System.Text.Json.Nodes;
using Infra.Mesh.Analysis;

namespace Infra.Cli;

/// <summary>A finding as JSON: <c>{code, severity, kind, title, file, line, key, message}</c>.</summary>
public static class FindingJson
{
    public static JsonObject Of(Finding finding) => new()
    {
        ["code"] = finding.Rule.Code,
        ["severity"] = finding.Severity.ToString().ToLowerInvariant(),
        ["kind"] = finding.Rule.Kind,
        ["title"] = finding.Rule.Title,
        ["file"] = finding.File,
        ["line"] = finding.Line,
        ["key"] = finding.Key,
        ["message"] = finding.Message,
    };
}
