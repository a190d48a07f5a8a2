using System.Collections.Immutable;
using System.Globalization;
using Infra.Mesh.Workloads;

namespace Infra.Mesh.Verification;

public enum CheckKind
{
    /// <summary>The callee answers: a status below 500 that the proxies forwarded rather than produced (<see cref="IProxyProbe.ForwardedEvidence"/>).</summary>
    Allowed,

    /// <summary>The callee's proxy refuses the request the way the mesh documents it (<see cref="IProxyProbe.DeniedEvidence"/>).</summary>
    Denied,

    /// <summary>A plain-text request from outside the mesh is refused (<see cref="IProxyProbe.RefusedEvidence"/>).</summary>
    Refused,

    /// <summary><see cref="VerificationCheck.Requests"/> requests; the canary answers between <see cref="VerificationCheck.Min"/> and <see cref="VerificationCheck.Max"/> of them.</summary>
    Split,

    /// <summary><see cref="VerificationCheck.Requests"/> requests carrying the canary header; the canary answers every one.</summary>
    Header,
}

/// <summary>One check of a verification Job: what is sent where, and what must come back.</summary>
/// <param name="Edge">What the check proves, as its log line names it (<c>orders -> payments</c>).</param>
/// <param name="Url">The request's URL; always a <c>GET</c> of the verification path (or, for <see cref="CheckKind.Refused"/>, of a port).</param>
/// <param name="Proxied">Whether a mesh proxy is on the path (caller or callee injected), so that its evidence is required.</param>
public sealed record VerificationCheck(CheckKind Kind, string Edge, string Url, bool Proxied = true)
{
    /// <summary>Requests sent: 1, or a canary check's count.</summary>
    public int Requests { get; init; } = 1;

    /// <summary>Fewest canary answers accepted (<see cref="CheckKind.Split"/>; <see cref="CheckKind.Header"/>: all).</summary>
    public int Min { get; init; }

    /// <summary>Most canary answers accepted.</summary>
    public int Max { get; init; }

    /// <summary>The header (<c>name: value</c>) a <see cref="CheckKind.Header"/> check sends.</summary>
    public string? Header { get; init; }

    /// <summary>The check as a line of <see cref="VerificationScript.ChecksFile"/>: kind, edge, url, then the kind's arguments, separated by <see cref="Separator"/>.</summary>
    /// <summary>
    /// The column separator: printable, so the rendered ConfigMap stays a readable YAML literal block (a tab would be
    /// double-quoted), and never part of a column: verification paths exclude it, edges are names, and the header,
    /// the last column, may hold it because <c>read</c> gives the last variable the rest of the line.
    /// </summary>
    public const char Separator = '|';

    public string ToLine()
    {
        ImmutableArray<string> columns = [Kind.ToString().ToLowerInvariant(), Edge, Url];
        var via = Proxied ? "proxied" : "direct";
        columns = Kind switch
        {
            CheckKind.Allowed => columns.Add(via),
            CheckKind.Split => columns.AddRange(via, Number(Requests), Number(Min), Number(Max)),
            CheckKind.Header => columns.AddRange(via, Number(Requests), Header ?? ""),
            _ => columns,
        };
        return string.Join(Separator, columns) + "\n";
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// Checks that run from one identity, in the caller's namespace: a caller's service account with the caller's own
/// injection, or <c>mesh-verifier</c> (meshed, for denials; unmeshed, for plain text).
/// </summary>
/// <param name="Stem">The Job's name without its plan fingerprint: <c>verify-calls-&lt;caller&gt;</c>, <c>verify-denied</c>, <c>verify-mtls</c>.</param>
/// <param name="Meshed">Whether the Job's pod gets a proxy (and waits for it).</param>
/// <param name="Pod">Mesh labels and annotations of the Job's pod template.</param>
public sealed record VerificationJob(string Namespace, string Stem, string ServiceAccount, bool Meshed, MeshMetadata Pod, ImmutableArray<VerificationCheck> Checks);
