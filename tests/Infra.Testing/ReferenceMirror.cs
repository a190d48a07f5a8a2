using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Infra.Testing;

/// <summary>
/// An HTTP server on the loopback interface that serves a reference directory under the manifest's URL paths, in
/// upstream form (each file's normalization undone), as the publishing host would: tests use it as
/// <see cref="ReferenceSources.Mirror"/> to exercise the download path without a network.
/// </summary>
public sealed class ReferenceMirror : IAsyncDisposable
{
    private readonly WebApplication app;

    private ReferenceMirror(WebApplication app, Uri baseUrl)
    {
        this.app = app;
        BaseUrl = baseUrl;
    }

    /// <summary>Where the mirror listens, <c>http://127.0.0.1:PORT/</c> (a free port).</summary>
    public Uri BaseUrl { get; }

    /// <summary>The URL paths requested so far, in order of arrival.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Serves <paramref name="directory"/> (a reference directory) for <paramref name="manifest"/>; unknown paths get 404.</summary>
    public static async Task<ReferenceMirror> StartAsync(string directory, ReferenceManifest manifest)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        ReferenceMirror? mirror = null;
        app.Run(async context =>
        {
            var urlPath = context.Request.Path.Value ?? "";
            mirror!.Requests.Enqueue(urlPath);
            if (manifest.FindByUrlPath(urlPath) is not { } file || !File.Exists(Path.Combine(directory, file.Path)))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            var upstream = manifest.Denormalize(file, await File.ReadAllBytesAsync(Path.Combine(directory, file.Path)).ConfigureAwait(false));
            await context.Response.Body.WriteAsync(upstream).ConfigureAwait(false);
        });
        await app.StartAsync().ConfigureAwait(false);
        mirror = new ReferenceMirror(app, new Uri(app.Urls.Single().TrimEnd('/') + "/"));
        return mirror;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
    }
}
