using Infra.Mesh.Settings;

namespace Infra.Mesh.Analysis.Rules;

/// <summary>
/// INFRA185 (Istio): an Istio ServiceEntry port of protocol TLS is routed by the SNI of the client's first bytes, a
/// TLS ClientHello. Protocols that start in plain text and upgrade in-band (STARTTLS: SMTP submission, IMAP, POP3,
/// LDAP; PostgreSQL's SSLRequest; MySQL's server greeting) never send one first, so the connection is dropped.
/// They must be declared <c>protocol: tcp</c>.
/// </summary>
public sealed class ExternalProtocolRule : ISettingsRule
{
    public IReadOnlyList<Rule> Reports { get; } = [RuleCatalog.StartTls];

    public static IReadOnlyDictionary<int, string> PlainTextFirst { get; } = new Dictionary<int, string>
    {
        [21] = "FTP", [25] = "SMTP", [110] = "POP3", [143] = "IMAP", [389] = "LDAP", [587] = "SMTP submission",
        [3306] = "MySQL", [5432] = "PostgreSQL",
    };

    public void Check(RuleContext context)
    {
        if (context.Settings.Mesh != MeshKind.Istio)
        {
            return;
        }

        foreach (var service in context.Settings.Services)
        {
            var items = context.Service(service)["externalHosts"].Items();
            for (var i = 0; i < service.ExternalHosts.Length && i < items.Count; i++)
            {
                var host = service.ExternalHosts[i];
                if (host.Protocol == ExternalProtocol.Tls && PlainTextFirst.TryGetValue(host.Port, out var protocol))
                {
                    var item = items.FirstOrDefault(n => (n.IsScalar ? n.Text() : n["host"].Text()) == host.Host) ?? items[i];
                    context.Report(RuleCatalog.StartTls, item,
                        $"'{host.Host}' port {host.Port} is declared tls, but {protocol} starts in plain text and upgrades in-band, which an Istio tls ServiceEntry "
                        + $"(routed by the TLS ClientHello's SNI) drops; declare {{host: {host.Host}, port: {host.Port}, protocol: tcp}}");
                }
            }
        }
    }
}
