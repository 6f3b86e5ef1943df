using AutopilotExport.Engine.State;

namespace AutopilotExport.Engine.Tests.State;

/// <summary>Row-report files: owner-only from the start, never through a link, never over another user's file.</summary>
public sealed class PrivateFileTests : IDisposable
{
    private readonly StateTestFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string PathOf(string name) => Path.Combine(_folder.Root, name);

    private static void Write(FileStream s, string text)
    {
        var b = System.Text.Encoding.UTF8.GetBytes(text);
        s.Write(b, 0, b.Length);
    }

    [Fact]
    public void A_new_file_is_owner_only()
    {
        using (var s = PrivateFile.CreateOwnerOnly(PathOf("r.jsonl"), 4096)) Write(s, "x");
        Assert.Equal("x", File.ReadAllText(PathOf("r.jsonl")));
        if (StateTestFolder.IsUnix) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, StateTestFolder.ModeOf(PathOf("r.jsonl")));
    }

    [Fact]
    public void An_existing_file_of_the_user_is_replaced_by_an_owner_only_one()
    {
        File.WriteAllText(PathOf("r.jsonl"), "old content that is longer");
        if (StateTestFolder.IsUnix) File.SetUnixFileMode(PathOf("r.jsonl"), (UnixFileMode)Convert.ToInt32("666", 8));
        using (var s = PrivateFile.CreateOwnerOnly(PathOf("r.jsonl"), 4096)) Write(s, "new");
        Assert.Equal("new", File.ReadAllText(PathOf("r.jsonl")));
        if (StateTestFolder.IsUnix) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, StateTestFolder.ModeOf(PathOf("r.jsonl")));
    }

    [Theory]
    [InlineData("to a file")]
    [InlineData("to nothing")]
    [InlineData("to a folder")]
    public void A_link_at_the_path_is_refused_and_its_target_untouched(string kind)
    {
        if (!StateTestFolder.IsUnix) return;
        var target = kind switch { "to a folder" => _folder.Root, _ => PathOf("victim") };
        if (kind == "to a file") File.WriteAllText(target, "precious");
        File.CreateSymbolicLink(PathOf("r.jsonl"), target);
        var ex = Assert.Throws<IOException>(() => PrivateFile.CreateOwnerOnly(PathOf("r.jsonl"), 4096));
        Assert.Contains("symbolic link", ex.Message);
        if (kind == "to a file") Assert.Equal("precious", File.ReadAllText(target));
        if (kind == "to nothing") Assert.False(File.Exists(target));
    }

    [Fact]
    public void A_folder_at_the_path_is_refused()
    {
        Directory.CreateDirectory(PathOf("r.jsonl"));
        Assert.Throws<IOException>(() => PrivateFile.CreateOwnerOnly(PathOf("r.jsonl"), 4096));
    }

    [Fact]
    public void A_file_of_another_user_is_not_replaced()
    {
        if (!StateTestFolder.IsUnix || UnixPermissions.EffectiveUserId() != 0) return;
        File.WriteAllText(PathOf("r.jsonl"), "theirs");
        using (var p = System.Diagnostics.Process.Start("chown", $"12345 \"{PathOf("r.jsonl")}\"")!) p.WaitForExit();
        var ex = Assert.Throws<IOException>(() => PrivateFile.CreateOwnerOnly(PathOf("r.jsonl"), 4096));
        Assert.Contains("user id 12345", ex.Message);
        Assert.Equal("theirs", File.ReadAllText(PathOf("r.jsonl")));
    }

    [Fact]
    public void The_owner_only_umask_is_restored_afterwards()
    {
        if (!StateTestFolder.IsUnix) return;
        UnixPermissions.WithOwnerOnlyUmask(() => { File.WriteAllText(PathOf("inside"), "x"); return 0; });
        File.WriteAllText(PathOf("after"), "x");
        Assert.Equal(UnixFileMode.None, StateTestFolder.ModeOf(PathOf("inside")) & (UnixFileMode)Convert.ToInt32("077", 8));
        // Whatever this process's umask is, a file created afterwards gets the same mode as before the call.
        File.WriteAllText(PathOf("before-check"), "x");
        Assert.Equal(StateTestFolder.ModeOf(PathOf("before-check")), StateTestFolder.ModeOf(PathOf("after")));
    }
}
