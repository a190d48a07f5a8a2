using Infra.Mesh.Planning;

namespace Infra.Mesh.Security;

/// <summary>Mutual TLS and least-privilege authorization derived from the declared call graph.</summary>
public interface ISecurityPlanner : IPlanner;
