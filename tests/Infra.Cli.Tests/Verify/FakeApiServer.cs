using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Infra.Cli.Tests.Verify;

/// <summary>
/// A Kubernetes API server in the test process: Kestrel on 127.0.0.1 serving stored JSON at the paths the API uses,
/// so KubernetesClient's real HTTP and JSON path runs. GET of an object's path returns it (or a 404 Status); GET of
/// <c>/api/v1/namespaces/NS/pods?labelSelector=k=v,...</c> lists the matching pods; a pod's <c>/log</c> returns its stored log.
/// </summary>
public sealed class FakeApiServer : IAsyncDisposable
{
    private readonly Dictionary<string, JsonObject> _objects = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _logs = new(StringComparer.Ordinal);
    private readonly WebApplication _app;

    private FakeApiServer(WebApplication app) => _app = app;

    /// <summary>The server's base URL, for a kubeconfig's <c>clusters[].cluster.server</c>.</summary>
    public string Url => _app.Urls.Single();

    /// <summary>Requests served, as <c>METHOD path?query</c>, to show what the client asked.</summary>
    public List<string> Requests { get; } = [];

    public static async Task<FakeApiServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new FakeApiServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        return server;
    }

    public void Put(string path, JsonObject json) => _objects[path] = json;

    public bool Remove(string path) => _objects.Remove(path);

    public JsonObject Get(string path) => _objects[path];

    public IEnumerable<string> Paths => _objects.Keys;

    public void PutLog(string ns, string pod, string log) => _logs[$"/api/v1/namespaces/{ns}/pods/{pod}/log"] = log;

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        lock (Requests)
        {
            Requests.Add($"{context.Request.Method} {path}{context.Request.QueryString}");
        }

        if (_logs.TryGetValue(path, out var log))
        {
            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync(log);
            return;
        }

        if (path.EndsWith("/pods", StringComparison.Ordinal) && path.StartsWith("/api/v1/namespaces/", StringComparison.Ordinal))
        {
            var selector = ((string?)context.Request.Query["labelSelector"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
                .Select(s => s.Split('=', 2)).ToList();
            var items = _objects.Where(o => o.Key.StartsWith(path + "/", StringComparison.Ordinal) && o.Key.Count(c => c == '/') == path.Count(c => c == '/') + 1)
                .Select(o => o.Value)
                .Where(pod => selector.All(s => (string?)pod["metadata"]?["labels"]?[s[0]] == s[1]))
                .Select(pod => pod.DeepClone())
                .ToArray();
            await Json(context, HttpStatusCode.OK, new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "PodList",
                ["metadata"] = new JsonObject { ["resourceVersion"] = "1" },
                ["items"] = new JsonArray(items),
            });
            return;
        }

        if (_objects.TryGetValue(path, out var found))
        {
            await Json(context, HttpStatusCode.OK, found);
            return;
        }

        var name = path.Split('/')[^1];
        await Json(context, HttpStatusCode.NotFound, new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = $"\"{name}\" not found",
            ["reason"] = "NotFound",
            ["code"] = 404,
        });
    }

    private static async Task Json(HttpContext context, HttpStatusCode status, JsonNode body)
    {
        context.Response.StatusCode = (int)status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
