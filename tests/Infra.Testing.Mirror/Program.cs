using Infra.Testing;

// Serves a reference directory on the loopback interface under the manifest's URL paths, as ReferenceMirror does
// inside the tests, so that a whole test run (several test processes) can fill its cache through the download path:
// .ci/fresh-clone points INFRA_REFERENCE_URL at it. Prints the base URL, then serves until standard input closes.
if (args is not [var directory] || !Directory.Exists(directory))
{
    await Console.Error.WriteLineAsync("usage: Infra.Testing.Mirror <reference-directory>   (e.g. a copy of shared/reference)");
    return 2;
}

await using var mirror = await ReferenceMirror.StartAsync(directory, ReferenceManifest.Pinned);
Console.WriteLine(mirror.BaseUrl);
await Console.In.ReadToEndAsync();
Console.Error.WriteLine($"served {mirror.Requests.Count} requests");
return 0;
