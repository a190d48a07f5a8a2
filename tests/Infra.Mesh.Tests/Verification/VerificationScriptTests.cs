using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Infra.Mesh.Istio;
using Infra.Mesh.Linkerd;
using Infra.Mesh.Verification;

namespace Infra.Mesh.Tests.Verification;

/// <summary>
/// Runs the generated script with <c>sh</c> and <c>curl</c> against a local HTTP server that answers the way each
/// mesh's proxies and an application answer, so the evidence rules are exercised end to end, not just spelled.
/// </summary>
public sealed class VerificationScriptTests : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly string _base;
    private readonly string _tmp = Directory.CreateTempSubdirectory("infra-verify-").FullName;
    private int _splitCount;

    public VerificationScriptTests()
    {
        var port = FreePort();
        _base = $"http://127.0.0.1:{port}";
        _listener.Prefixes.Add(_base + "/");
        _listener.Start();
        _ = Task.Run(Serve);
    }

    public void Dispose()
    {
        _listener.Close();
        Directory.Delete(_tmp, recursive: true);
    }

    /// <summary>Each path answers like one situation in the cluster.</summary>
    private void Answer(HttpListenerContext context)
    {
        var response = context.Response;
        void Reply(int status, string body = "", params (string Name, string Value)[] headers)
        {
            response.StatusCode = status;
            foreach (var (name, value) in headers)
            {
                response.Headers[name] = value;
            }

            var bytes = System.Text.Encoding.UTF8.GetBytes(body);
            response.OutputStream.Write(bytes);
            response.Close();
        }

        var upstream = ("x-envoy-upstream-service-time", "3");
        switch (context.Request.Url!.AbsolutePath)
        {
            case "/istio/app-200": Reply(200, "ok", upstream, ("x-service-version", "stable")); break;
            case "/istio/app-404": Reply(404, "not found", upstream); break;
            case "/istio/local-503": Reply(503, "no healthy upstream"); break;          // caller's Envoy: UH
            case "/istio/local-404": Reply(404, ""); break;                             // caller's Envoy: NR, no route
            case "/istio/app-502": Reply(502, "bad gateway", upstream); break;          // callee's app failed
            case "/istio/rbac": Reply(403, "RBAC: access denied", upstream); break;     // callee's sidecar
            case "/istio/app-403": Reply(403, "forbidden by the app", upstream); break;
            case "/linkerd/app-200": Reply(200, "ok"); break;
            case "/linkerd/local-503": Reply(503, "", ("l5d-proxy-error", "service in fail-fast")); break;
            case "/linkerd/local-404": Reply(404, "", ("l5d-proxy-error", "no route")); break;
            case "/linkerd/denied": Reply(403, "", ("l5d-proxy-error", "unauthorized request on route")); break;
            case "/linkerd/app-403": Reply(403, "forbidden by the app"); break;
            case "/split-10":
                // Every tenth request reaches the canary: 10 %.
                var n = Interlocked.Increment(ref _splitCount);
                Reply(200, "ok", upstream, ("x-service-version", n % 10 == 0 ? "canary" : "stable"));
                break;
            case "/split-none": Reply(200, "ok", upstream, ("x-service-version", "stable")); break;
            case "/header":
                Reply(200, "ok", upstream, ("x-service-version", context.Request.Headers["x-canary"] == "always" ? "canary" : "stable"));
                break;
            default: Reply(500, "unexpected path"); break;
        }
    }

    private async Task Serve()
    {
        while (_listener.IsListening)
        {
            try
            {
                Answer(await _listener.GetContextAsync());
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
        }
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    private (int Exit, string[] Lines) Run(IProxyProbe proxy, params VerificationCheck[] checks)
    {
        var script = Path.Combine(_tmp, VerificationScript.ScriptFile);
        var file = Path.Combine(_tmp, VerificationScript.ChecksFile);
        File.WriteAllText(script, VerificationScript.For(proxy));
        File.WriteAllText(file, string.Concat(checks.Select(c => c.ToLine())));
        var start = new ProcessStartInfo("sh", [script, file, "unmeshed"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["TMPDIR"] = _tmp;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        // Generous: every request starts a few processes, and CI machines are shared.
        Assert.True(process.WaitForExit(600_000), "the script did not finish");
        return (process.ExitCode, output.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private VerificationCheck Allowed(string path, string edge = "a -> b") => new(CheckKind.Allowed, edge, _base + path);

    private VerificationCheck Denied(string path) => new(CheckKind.Denied, "mesh-verifier -> b", _base + path);

    [Theory]
    [InlineData("/istio/app-200", true)]
    [InlineData("/istio/app-404", true)]    // any answer of the callee below 500 proves the edge; no business handler ran
    [InlineData("/istio/local-503", false)] // the caller's own proxy had no healthy upstream
    [InlineData("/istio/local-404", false)] // the caller's own proxy had no route: below 500, but no upstream answered
    [InlineData("/istio/app-502", false)]
    [InlineData("/istio/rbac", false)]
    public void On_istio_a_call_counts_as_allowed_only_when_the_callee_answered(string path, bool ok)
    {
        var (exit, lines) = Run(new IstioProxyProbe(), Allowed(path));

        Assert.Equal(ok ? 0 : 1, exit);
        Assert.StartsWith(ok ? "ok   a -> b" : "FAIL a -> b: expected an answer of the callee", lines[0]);
    }

    [Theory]
    [InlineData("/linkerd/app-200", true)]
    [InlineData("/linkerd/local-503", false)]
    [InlineData("/linkerd/local-404", false)]
    [InlineData("/linkerd/denied", false)]
    public void On_linkerd_a_call_counts_as_allowed_only_when_no_proxy_produced_the_answer(string path, bool ok)
    {
        var (exit, lines) = Run(new LinkerdProxyProbe(), Allowed(path));

        Assert.Equal(ok ? 0 : 1, exit);
        Assert.StartsWith(ok ? "ok" : "FAIL", lines[0]);
    }

    [Theory]
    [InlineData("istio", "/istio/rbac", true)]
    [InlineData("istio", "/istio/app-403", false)] // a 403 of the application is not the mesh refusing
    [InlineData("istio", "/istio/app-200", false)]
    [InlineData("linkerd", "/linkerd/denied", true)]
    [InlineData("linkerd", "/linkerd/app-403", false)]
    public void Denied_means_the_callees_proxy_refused_the_documented_way(string mesh, string path, bool ok)
    {
        IProxyProbe proxy = mesh == "istio" ? new IstioProxyProbe() : new LinkerdProxyProbe();
        var (exit, lines) = Run(proxy, Denied(path));

        Assert.Equal(ok ? 0 : 1, exit);
        Assert.StartsWith(ok ? "ok" : "FAIL mesh-verifier -> b: expected a refusal", lines[0]);
    }

    [Fact]
    public void A_failure_names_the_edge_what_was_expected_and_what_came_back()
    {
        var (_, lines) = Run(new LinkerdProxyProbe(), Allowed("/linkerd/local-503", "orders -> payments"));

        Assert.StartsWith("FAIL orders -> payments: expected an answer of the callee (below 500, through its proxy), got HTTP 503, l5d-proxy-error: service in fail-fast, server: ", lines[0]);
        Assert.Equal("0 passed, 1 failed", lines[^1]);
    }

    [Fact]
    public void Plain_text_counts_as_refused_only_when_no_answer_comes()
    {
        var closed = $"http://127.0.0.1:{FreePort()}/";
        var (exit, lines) = Run(new IstioProxyProbe(),
            new VerificationCheck(CheckKind.Refused, "plain text -> b:http", closed, Proxied: false),
            new VerificationCheck(CheckKind.Refused, "plain text -> c:http", _base + "/istio/app-200", Proxied: false));

        Assert.Equal(1, exit);
        Assert.StartsWith("ok   plain text -> b:http", lines[0]);
        Assert.StartsWith("FAIL plain text -> c:http: expected the connection refused by the callee's proxy, got HTTP 200", lines[1]);
    }

    [Fact]
    public void A_canary_split_within_the_binomial_range_passes_and_a_canary_that_gets_nothing_fails()
    {
        var t = CanaryTolerance.Of(100, 10);
        VerificationCheck Split(string path) => new(CheckKind.Split, "a -> b canary 10%", _base + path) { Requests = 100, Min = t.Min, Max = t.Max };

        var (exit, lines) = Run(new IstioProxyProbe(), Split("/split-10"), Split("/split-none"));

        Assert.Equal(1, exit);
        Assert.Equal($"ok   a -> b canary 10%: 10 of 100 requests reached the canary (accepted {t.Min}..{t.Max})", lines[0]);
        Assert.Equal($"FAIL a -> b canary 10%: expected {t.Min}..{t.Max} of 100 requests at the canary, got 0", lines[1]);
    }

    [Fact]
    public void The_header_route_must_reach_the_canary_every_time()
    {
        VerificationCheck Header(string header) => new(CheckKind.Header, "a -> b canary header", _base + "/header") { Requests = 5, Header = header };

        var (exit, lines) = Run(new IstioProxyProbe(), Header("x-canary: always"), Header("x-canary: never"));

        Assert.Equal(1, exit);
        Assert.StartsWith("ok   a -> b canary header: all 5 requests with 'x-canary: always' reached the canary", lines[0]);
        Assert.StartsWith("FAIL a -> b canary header: expected every request with 'x-canary: never' at the canary, got request 1", lines[1]);
    }
}
