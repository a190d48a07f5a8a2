namespace Infra.Testing;

/// <summary>Builds the dotted paths (<c>spec.http[0].route</c>) used in every error message.</summary>
internal static class JsonPath
{
    public static string Property(string parent, string name) => parent.Length == 0 ? name : $"{parent}.{name}";

    public static string Item(string parent, int index) => $"{parent}[{index}]";

    public static string Show(string path) => path.Length == 0 ? "(root)" : path;
}
