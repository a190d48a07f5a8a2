using System.Text.Json.Nodes;
using Infra.Mesh.Analysis;

namespace Infra.Cli;

/// <summary>
/// Findings as a SARIF 2.1.0 log (OASIS, docs.oasis-open.org/sarif/sarif/v2.1.0): one run of the tool <c>infra</c>
/// whose driver lists every rule, and one result per finding located at the stack file's line, so code scanning can
/// annotate a pull request. The config key path is the result's logical location.
/// </summary>
public static class Sarif
{
    public const string Version = "2.1.0";
    public const string SchemaUri = "https://json.schemastore.org/sarif-2.1.0.json";

    public static JsonObject Log(IReadOnlyList<Finding> findings)
    {
        var rules = RuleCatalog.All;
        var index = rules.Select((r, i) => (r.Code, i)).ToDictionary(e => e.Code, e => e.i, StringComparer.Ordinal);
        return new JsonObject
        {
            ["$schema"] = SchemaUri,
            ["version"] = Version,
            ["runs"] = new JsonArray(new JsonObject
            {
                ["tool"] = new JsonObject
                {
                    ["driver"] = new JsonObject
                    {
                        ["name"] = "infra",
                        ["informationUri"] = "https://github.com/acme/infra#semantic-rules",
                        ["rules"] = new JsonArray([.. rules.Select(r => (JsonNode)new JsonObject
                        {
                            ["id"] = r.Code,
                            ["name"] = r.Kind,
                            ["shortDescription"] = new JsonObject { ["text"] = r.Title },
                            ["defaultConfiguration"] = new JsonObject { ["level"] = Level(r.Severity) },
                        })]),
                    },
                },
                ["results"] = new JsonArray([.. findings.Select(f => (JsonNode)Result(f, index[f.Rule.Code]))]),
            }),
        };
    }

    private static JsonObject Result(Finding finding, int ruleIndex)
    {
        var physical = new JsonObject { ["artifactLocation"] = new JsonObject { ["uri"] = finding.File } };
        if (finding.Line is { } line and > 0)
        {
            physical["region"] = new JsonObject { ["startLine"] = line };
        }

        return new JsonObject
        {
            ["ruleId"] = finding.Rule.Code,
            ["ruleIndex"] = ruleIndex,
            ["level"] = Level(finding.Severity),
            ["message"] = new JsonObject { ["text"] = $"{finding.Key}: {finding.Message}" },
            ["locations"] = new JsonArray(new JsonObject
            {
                ["physicalLocation"] = physical,
                ["logicalLocations"] = new JsonArray(new JsonObject { ["fullyQualifiedName"] = finding.Key, ["kind"] = "member" }),
            }),
        };
    }

    private static string Level(Severity severity) => severity switch
    {
        Severity.Error => "error",
        Severity.Warning => "warning",
        _ => "note",
    };
}
