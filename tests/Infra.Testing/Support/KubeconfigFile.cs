namespace Infra.Testing.Support;

/// <summary>Writes kubeconfig files for tests: named contexts, each its own cluster and a token user, and a current context.</summary>
public static class KubeconfigFile
{
    /// <summary>
    /// Writes <paramref name="path"/> with one context per entry of <paramref name="contexts"/> (name, API server URL;
    /// the cluster and user are named like the context) and <paramref name="current"/> as its current context.
    /// </summary>
    /// <returns><paramref name="path"/>.</returns>
    public static string Write(string path, string current, params (string Context, string Server)[] contexts)
    {
        var clusters = string.Concat(contexts.Select(c => $"""
              - name: {c.Context}
                cluster:
                  server: "{c.Server}"
                  insecure-skip-tls-verify: true

            """));
        var users = string.Concat(contexts.Select(c => $"""
              - name: {c.Context}
                user:
                  token: not-a-real-token

            """));
        var named = string.Concat(contexts.Select(c => $"""
              - name: {c.Context}
                context:
                  cluster: {c.Context}
                  user: {c.Context}

            """));
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            {clusters}users:
            {users}contexts:
            {named}current-context: {current}

            """);
        return path;
    }
}
