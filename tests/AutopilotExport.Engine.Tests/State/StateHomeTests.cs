using AutopilotExport.Engine.State;
using Xunit;

namespace AutopilotExport.Engine.Tests.State;

[Collection(StateEnvironmentCollection.Name)]
public sealed class StateHomeTests : IDisposable
{
    private readonly StateTestFolder _folder = new();
    private readonly string? _savedHome = Environment.GetEnvironmentVariable(StateHome.EnvironmentVariable);
    private readonly string? _savedXdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(StateHome.EnvironmentVariable, _savedHome);
        Environment.SetEnvironmentVariable("XDG_DATA_HOME", _savedXdg);
        _folder.Dispose();
    }

    [Fact]
    public void Explicit_home_variable_wins()
    {
        var path = Path.Combine(_folder.Root, "explicit");
        Environment.SetEnvironmentVariable(StateHome.EnvironmentVariable, path);
        Assert.Equal(Path.GetFullPath(path), StateHome.Resolve().Path);
    }

    [Fact]
    public void Without_the_variable_uses_the_per_user_data_folder()
    {
        Environment.SetEnvironmentVariable(StateHome.EnvironmentVariable, null);
        if (OperatingSystem.IsWindows())
        {
            var expected = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "AutopilotExport");
            Assert.Equal(expected, StateHome.ResolvePath());
            return;
        }
        var xdg = Path.Combine(_folder.Root, "xdg");
        Environment.SetEnvironmentVariable("XDG_DATA_HOME", xdg);
        Assert.Equal(Path.Combine(xdg, "AutopilotExport"), StateHome.ResolvePath());

        Environment.SetEnvironmentVariable("XDG_DATA_HOME", null);
        var home = Environment.GetEnvironmentVariable("HOME")!;
        Assert.Equal(Path.Combine(home, ".local", "share", "AutopilotExport"), StateHome.ResolvePath());

        // A relative XDG_DATA_HOME is invalid by the spec and ignored.
        Environment.SetEnvironmentVariable("XDG_DATA_HOME", "relative/dir");
        Assert.Equal(Path.Combine(home, ".local", "share", "AutopilotExport"), StateHome.ResolvePath());
    }

    [Fact]
    public void Created_folder_is_owner_only_on_unix()
    {
        _folder.Home.EnsureExists();
        Assert.True(Directory.Exists(_folder.Home.Path));
        if (!StateTestFolder.IsUnix) return;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, StateTestFolder.ModeOf(_folder.Home.Path));
        var secrets = _folder.Home.EnsureFolder(_folder.Home.SecretsFolder);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, StateTestFolder.ModeOf(secrets));
    }

    [Fact]
    public void Chmod_sets_exact_modes()
    {
        if (!StateTestFolder.IsUnix) return;
        var file = Path.Combine(_folder.Root, "f");
        File.WriteAllText(file, "x");
        UnixPermissions.Set(file, UnixPermissions.OwnerOnlyFile);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, StateTestFolder.ModeOf(file));
        Assert.Throws<IOException>(() => UnixPermissions.Set(Path.Combine(_folder.Root, "missing"), UnixPermissions.OwnerOnlyFile));
    }
}
