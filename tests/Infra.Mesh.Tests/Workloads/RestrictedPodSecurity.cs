using System.Text.Json.Nodes;

namespace Infra.Mesh.Tests.Workloads;

/// <summary>
/// The Pod Security Standards <c>restricted</c> profile (which includes <c>baseline</c>), as Pod Security Admission checks a
/// pod spec: https://kubernetes.io/docs/concepts/security/pod-security-standards/ (policy version latest).
/// </summary>
public static class RestrictedPodSecurity
{
    private static readonly string[] AllowedVolumeSources =
        ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];

    private static readonly string[] HostNamespaces = ["hostNetwork", "hostPID", "hostIPC"];

    private static readonly string[] ContainerLists = ["initContainers", "containers", "ephemeralContainers"];

    private static readonly string[] AllowedSeLinuxTypes = ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"];

    private static readonly string[] SafeSysctls =
    [
        "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
    ];

    /// <summary>Every rule the pod spec breaks, empty when admission would accept it.</summary>
    public static IReadOnlyList<string> Violations(JsonObject podSpec)
    {
        var errors = new List<string>();
        var pod = podSpec["securityContext"];
        foreach (var field in HostNamespaces.Where(f => podSpec[f] is { } v && (bool)v))
        {
            errors.Add($"{field} is true");
        }

        foreach (var volume in podSpec["volumes"]?.AsArray().Select(v => v!.AsObject()) ?? [])
        {
            var source = volume.Select(p => p.Key).Single(k => k != "name");
            if (!AllowedVolumeSources.Contains(source))
            {
                errors.Add($"volume {volume["name"]} uses {source}");
            }
        }

        foreach (var sysctl in pod?["sysctls"]?.AsArray().Select(s => (string)s!["name"]!) ?? [])
        {
            if (!SafeSysctls.Contains(sysctl))
            {
                errors.Add($"sysctl {sysctl} is not safe");
            }
        }

        CheckShared(pod, "pod", errors);
        var containers = ContainerLists.SelectMany(list => podSpec[list]?.AsArray().Select(c => c!.AsObject()) ?? []);
        foreach (var container in containers)
        {
            var name = $"container {container["name"]}";
            var context = container["securityContext"];
            CheckShared(context, name, errors);
            if (context?["privileged"] is { } privileged && (bool)privileged)
            {
                errors.Add($"{name} is privileged");
            }

            if (context?["allowPrivilegeEscalation"] is not { } escalation || (bool)escalation)
            {
                errors.Add($"{name} must set allowPrivilegeEscalation=false");
            }

            if (context?["procMount"] is { } procMount && (string?)procMount != "Default")
            {
                errors.Add($"{name} has procMount {procMount}");
            }

            var capabilities = context?["capabilities"];
            if (!(capabilities?["drop"]?.AsArray().Any(c => (string?)c == "ALL") ?? false))
            {
                errors.Add($"{name} must drop ALL capabilities");
            }

            foreach (var added in capabilities?["add"]?.AsArray().Select(c => (string?)c).Where(c => c != "NET_BIND_SERVICE") ?? [])
            {
                errors.Add($"{name} adds capability {added}");
            }

            if (container["ports"]?.AsArray().Any(p => p?["hostPort"] is { } port && (int)port != 0) ?? false)
            {
                errors.Add($"{name} uses a hostPort");
            }

            // Either the pod or every container must say so; no container may say otherwise.
            if (!IsTrue(context?["runAsNonRoot"]) && (!IsTrue(pod?["runAsNonRoot"]) || context?["runAsNonRoot"] is not null))
            {
                errors.Add($"{name} must run as non-root (runAsNonRoot=true on the pod or the container)");
            }

            var seccomp = (string?)context?["seccompProfile"]?["type"] ?? (string?)pod?["seccompProfile"]?["type"];
            if (seccomp is not ("RuntimeDefault" or "Localhost"))
            {
                errors.Add($"{name} needs seccompProfile RuntimeDefault or Localhost, has {seccomp ?? "none"}");
            }
        }

        return errors;
    }

    /// <summary>Rules that apply to the pod's and to each container's security context alike.</summary>
    private static void CheckShared(JsonNode? context, string owner, List<string> errors)
    {
        if (context?["runAsUser"] is { } user && (long)user == 0)
        {
            errors.Add($"{owner} runs as user 0");
        }

        if (context?["seccompProfile"]?["type"] is { } type && (string?)type == "Unconfined")
        {
            errors.Add($"{owner} has seccompProfile Unconfined");
        }

        if (context?["appArmorProfile"]?["type"] is { } appArmor && (string?)appArmor == "Unconfined")
        {
            errors.Add($"{owner} has appArmorProfile Unconfined");
        }

        if (context?["windowsOptions"]?["hostProcess"] is { } hostProcess && (bool)hostProcess)
        {
            errors.Add($"{owner} is a Windows HostProcess");
        }

        if (context?["seLinuxOptions"] is { } seLinux
            && (seLinux["user"] is not null || seLinux["role"] is not null || !AllowedSeLinuxTypes.Contains((string?)seLinux["type"] ?? "")))
        {
            errors.Add($"{owner} sets a disallowed seLinuxOptions");
        }
    }

    private static bool IsTrue(JsonNode? node) => node is not null && (bool)node;
}
