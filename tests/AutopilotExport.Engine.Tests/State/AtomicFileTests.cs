using System.Text;
using AutopilotExport.Engine.State;
using Xunit;

namespace AutopilotExport.Engine.Tests.State;

public sealed class AtomicFileTests : IDisposable
{
    private readonly StateTestFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Writes_and_replaces_without_leaving_temporary_files()
    {
        var path = Path.Combine(_folder.Root, "data.json");
        AtomicFile.WriteAllText(path, "first", ownerOnly: false);
        Assert.Equal("first", File.ReadAllText(path));
        AtomicFile.WriteAllText(path, "second, longer content", ownerOnly: true);
        Assert.Equal("second, longer content", File.ReadAllText(path));
        AtomicFile.WriteAllBytes(path, Encoding.UTF8.GetBytes("3"), ownerOnly: true);
        Assert.Equal("3", File.ReadAllText(path));

        Assert.Equal(new[] { "data.json" }, Directory.GetFiles(_folder.Root).Select(Path.GetFileName).ToArray());
    }

    [Fact]
    public void Owner_only_files_are_0600()
    {
        if (!StateTestFolder.IsUnix) return;
        var path = Path.Combine(_folder.Root, "secret.bin");
        AtomicFile.WriteAllBytes(path, new byte[] { 1, 2, 3 }, ownerOnly: true);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, StateTestFolder.ModeOf(path));
        // Replacing keeps the new file's owner-only mode.
        AtomicFile.WriteAllBytes(path, new byte[] { 4 }, ownerOnly: true);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, StateTestFolder.ModeOf(path));
    }

    [Fact]
    public void Many_concurrent_writers_leave_one_whole_file()
    {
        var path = Path.Combine(_folder.Root, "race.txt");
        var contents = Enumerable.Range(0, 16).Select(i => new string((char)('a' + i), 10_000)).ToArray();
        Parallel.ForEach(contents, c => AtomicFile.WriteAllText(path, c, ownerOnly: true));
        Assert.Contains(File.ReadAllText(path), contents);
        Assert.Single(Directory.GetFiles(_folder.Root));
    }
}
