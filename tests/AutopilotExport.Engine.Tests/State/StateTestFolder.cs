using System.Runtime.InteropServices;
using AutopilotExport.Engine.State;
using Xunit;

namespace AutopilotExport.Engine.Tests.State;

/// <summary>A fresh state folder per test (not yet created: the code under test creates it), deleted afterwards.</summary>
public sealed class StateTestFolder : IDisposable
{
    public StateTestFolder()
    {
        Root = Path.Combine(Path.GetTempPath(), "apx-state-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        // The master keys live outside the state folder: here in the test's own key folder, never the user's.
        Home = new StateHome(Path.Combine(Root, "home"), Path.Combine(Root, "keys"));
    }

    public string Root { get; }
    public StateHome Home { get; }

    public static bool IsUnix => !RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

    /// <summary>The Unix mode of a file or folder (0 on Windows, where the tests that use it return early).</summary>
    public static UnixFileMode ModeOf(string path) => OperatingSystem.IsWindows() ? 0 : File.GetUnixFileMode(path);

    /// <summary>Every file under the state folder, including hidden and temporary ones.</summary>
    public IEnumerable<string> AllFiles() =>
        Directory.Exists(Home.Path) ? Directory.EnumerateFiles(Home.Path, "*", SearchOption.AllDirectories) : Enumerable.Empty<string>();

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Tests that read or set process-wide environment variables run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StateEnvironmentCollection
{
    public const string Name = "State environment";
}

internal static class Bytes
{
    public static bool Contains(byte[] haystack, byte[] needle)
    {
        if (needle.Length == 0) return true;
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return true;
        }
        return false;
    }
}
