namespace AutopilotExport.Module.Tests.Infrastructure;

public static class RepoPaths
{
    private static readonly Lazy<string> RootLazy = new(FindRoot);

    /// <summary>The repository root: the first folder above the test assembly holding AutopilotPS.sln.</summary>
    public static string Root => RootLazy.Value;

    public static string Manifest => Path.Combine(Root, "AutopilotExport.psd1");
    public static string PesterFolder => Path.Combine(Root, "tests", "Pester");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "AutopilotPS.sln"))) return dir.FullName;
        throw new InvalidOperationException($"AutopilotPS.sln not found above {AppContext.BaseDirectory}.");
    }
}
