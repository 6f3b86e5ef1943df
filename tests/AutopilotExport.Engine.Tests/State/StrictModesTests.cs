using System.Security.Cryptography;
using System.Text;
using AutopilotExport.Engine.State;

namespace AutopilotExport.Engine.Tests.State;

/// <summary>
/// StrictModes (Unix): state that another user owns or that group/others may write is refused with
/// UnsafeStatePermissions and a fix; odd things at a state path are StateFileUnreadable, never "empty".
/// The tests run as any user: "another user" is a numeric uid given with chown, which needs root; those cases
/// return early otherwise.
/// </summary>
[Collection(StateEnvironmentCollection.Name)]
public sealed class StrictModesTests : IDisposable
{
    private const string Key = "sk-TEST-9f8e7d6c5b4a";
    private const int OtherUid = 12345;
    private readonly StateTestFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private ConnectionStore SavedStore()
    {
        var store = new ConnectionStore(_folder.Home);
        store.Save(new ConnectionRecord { Name = "Prod", BaseUri = "https://api2.autopilothq.com/v1", KeySource = KeySource.Stored, RequestsPerSecond = 5 }, Key, overwrite: false);
        new ExportStore(_folder.Home).Save(new ExportRecord { Name = "Vip", Connection = "Prod", Segments = { "VIP" } }, overwrite: false);
        return store;
    }

    private static bool IsRoot => StateTestFolder.IsUnix && UnixPermissions.EffectiveUserId() == 0;

    private static void Chmod(string path, string octal) => File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32(octal, 8));

    private static void Chown(string path, int uid)
    {
        using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("chown", $"-h {uid} \"{path}\"") { UseShellExecute = false })!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }

    private static StateException Refused(Action action, string errorId, string path)
    {
        var ex = Assert.Throws<StateException>(action);
        Assert.Equal(errorId, ex.ErrorId);
        Assert.Contains(path, ex.Message);
        Assert.Equal(path, ex.Path);
        Assert.DoesNotContain(Key, ex.ToString());
        return ex;
    }

    [Fact]
    public void Stat_reads_owner_type_and_mode_as_the_system_does()
    {
        if (!StateTestFolder.IsUnix) return;
        var file = Path.Combine(_folder.Root, "f");
        File.WriteAllText(file, "x");
        Chmod(file, "640");
        var s = UnixPermissions.Stat(file, followLink: false)!.Value;
        Assert.True(s.IsRegularFile);
        Assert.Equal(0x1A0, s.Permissions);
        Assert.Equal("0640", s.OctalPermissions);
        Assert.Equal(UnixPermissions.EffectiveUserId(), s.OwnerId);
        var dir = UnixPermissions.Stat(_folder.Root, followLink: true)!.Value;
        Assert.True(dir.IsDirectory);
        var link = Path.Combine(_folder.Root, "link");
        File.CreateSymbolicLink(link, file);
        Assert.True(UnixPermissions.Stat(link, followLink: false)!.Value.IsSymbolicLink);
        Assert.True(UnixPermissions.Stat(link, followLink: true)!.Value.IsRegularFile);
        Assert.Null(UnixPermissions.Stat(Path.Combine(_folder.Root, "nothing"), followLink: false));
        if (IsRoot)
        {
            Chown(file, OtherUid);
            Assert.Equal((uint)OtherUid, UnixPermissions.Stat(file, followLink: true)!.Value.OwnerId);
        }
    }

    [Theory]
    [InlineData("777")]
    [InlineData("770")]
    [InlineData("720")]
    [InlineData("702")]
    [InlineData("1777")]
    public void A_state_folder_others_can_write_is_refused_for_reading_and_writing(string mode)
    {
        if (!StateTestFolder.IsUnix) return;
        var store = SavedStore();
        Chmod(_folder.Home.Path, mode);
        var ex = Refused(() => new ConnectionStore(_folder.Home).GetAll(), StateErrorIds.UnsafeStatePermissions, _folder.Home.Path);
        Assert.Contains($"chmod 700 '{_folder.Home.Path}'", ex.Message);
        Refused(() => new ExportStore(_folder.Home).Find("Vip"), StateErrorIds.UnsafeStatePermissions, _folder.Home.Path);
        Refused(() => store.Save(new ConnectionRecord { Name = "Other", BaseUri = "https://x.example", KeySource = KeySource.Environment }, null, false),
            StateErrorIds.UnsafeStatePermissions, _folder.Home.Path);
        // Fixed as the message says: usable again.
        Chmod(_folder.Home.Path, "700");
        Assert.Equal(Key, store.ResolveApiKey(store.Find("Prod")!));
    }

    [Fact]
    public void A_state_folder_that_is_readable_but_not_writable_by_others_is_used()
    {
        if (!StateTestFolder.IsUnix) return;
        var store = SavedStore();
        Chmod(_folder.Home.Path, "755");
        Assert.Equal(Key, store.ResolveApiKey(store.Find("Prod")!));
    }

    [Theory]
    [InlineData("connections.json", "666")]
    [InlineData("connections.json", "620")]
    [InlineData("connections.json", "602")]
    [InlineData("exports.json", "666")]
    [InlineData("exports.json", "660")]
    public void A_state_file_others_can_write_is_refused(string file, string mode)
    {
        if (!StateTestFolder.IsUnix) return;
        SavedStore();
        var path = Path.Combine(_folder.Home.Path, file);
        Chmod(path, mode);
        var ex = Refused(() => { new ConnectionStore(_folder.Home).GetAll(); new ExportStore(_folder.Home).GetAll(); }, StateErrorIds.UnsafeStatePermissions, path);
        Assert.Contains($"chmod 600 '{path}'", ex.Message);
    }

    [Theory]
    [InlineData("640")]
    [InlineData("604")]
    [InlineData("644")]
    public void A_stored_key_readable_by_others_is_refused(string mode)
    {
        if (!StateTestFolder.IsUnix) return;
        var store = SavedStore();
        var secret = store.SecretPath("Prod");
        Chmod(secret, mode);
        Refused(() => store.ResolveApiKey(store.Find("Prod")!), StateErrorIds.UnsafeStatePermissions, secret);
    }

    [Theory]
    [InlineData("644")]
    [InlineData("660")]
    public void A_master_key_file_readable_by_others_is_refused(string mode)
    {
        if (!StateTestFolder.IsUnix) return;
        var store = SavedStore();
        Chmod(_folder.Home.MasterKeyFile, mode);
        Refused(() => store.ResolveApiKey(store.Find("Prod")!), StateErrorIds.UnsafeStatePermissions, _folder.Home.MasterKeyFile);
    }

    [Fact]
    public void A_key_folder_others_can_write_is_refused()
    {
        if (!StateTestFolder.IsUnix) return;
        var store = SavedStore();
        Chmod(_folder.Home.KeyFolder, "777");
        Refused(() => store.ResolveApiKey(store.Find("Prod")!), StateErrorIds.UnsafeStatePermissions, _folder.Home.KeyFolder);
    }

    [Fact]
    public void A_secrets_folder_others_can_write_is_refused()
    {
        if (!StateTestFolder.IsUnix) return;
        var store = SavedStore();
        Chmod(_folder.Home.SecretsFolder, "733");
        Refused(() => store.ResolveApiKey(store.Find("Prod")!), StateErrorIds.UnsafeStatePermissions, _folder.Home.SecretsFolder);
    }

    [Theory]
    [InlineData("state folder")]
    [InlineData("connections.json")]
    [InlineData("exports.json")]
    [InlineData("secret")]
    [InlineData("master key")]
    [InlineData("key folder")]
    public void State_owned_by_another_user_is_refused(string what)
    {
        if (!IsRoot) return;
        var store = SavedStore();
        var path = what switch
        {
            "state folder" => _folder.Home.Path,
            "secret" => store.SecretPath("Prod"),
            "master key" => _folder.Home.MasterKeyFile,
            "key folder" => _folder.Home.KeyFolder,
            _ => Path.Combine(_folder.Home.Path, what),
        };
        Chown(path, OtherUid);
        var ex = Refused(() =>
        {
            var s = new ConnectionStore(_folder.Home);
            new ExportStore(_folder.Home).GetAll();
            s.ResolveApiKey(s.Find("Prod")!);
        }, StateErrorIds.UnsafeStatePermissions, path);
        Assert.Contains($"owned by user id {OtherUid}", ex.Message);
        Assert.Contains($"chown 0 '{path}'", ex.Message);
    }

    [Fact]
    public void A_state_file_linked_to_a_file_of_another_user_is_refused()
    {
        if (!IsRoot) return;
        SavedStore();
        var planted = Path.Combine(_folder.Root, "planted.json");
        File.WriteAllText(planted, "{\"version\":1,\"connections\":[{\"name\":\"Prod\",\"baseUri\":\"https://attacker.example/v1\",\"keySource\":\"Stored\"}]}");
        Chmod(planted, "600");
        Chown(planted, OtherUid);
        File.Delete(_folder.Home.ConnectionsFile);
        File.CreateSymbolicLink(_folder.Home.ConnectionsFile, planted);
        Refused(() => new ConnectionStore(_folder.Home).Find("Prod"), StateErrorIds.UnsafeStatePermissions, _folder.Home.ConnectionsFile);
    }

    // ------------------------------------------------------------ damaged state: an error about the file, never "empty"

    public static IEnumerable<object[]> OddThings() => new[] { "folder", "dangling link", "link to a folder", "fifo" }.Select(x => new object[] { x });

    private void PutOddThing(string path, string what)
    {
        if (File.Exists(path)) File.Delete(path);
        switch (what)
        {
            case "folder": Directory.CreateDirectory(path); break;
            case "dangling link": File.CreateSymbolicLink(path, Path.Combine(_folder.Root, "gone")); break;
            case "link to a folder": File.CreateSymbolicLink(path, _folder.Root); break;
            case "fifo":
                using (var p = System.Diagnostics.Process.Start("mkfifo", $"\"{path}\"")!) p.WaitForExit();
                break;
        }
    }

    [Theory]
    [MemberData(nameof(OddThings))]
    public void Connections_file_replaced_by_something_odd_is_unreadable_not_empty(string what)
    {
        if (!StateTestFolder.IsUnix && what != "folder") return;
        SavedStore();
        PutOddThing(_folder.Home.ConnectionsFile, what);
        Refused(() => new ConnectionStore(_folder.Home).Find("Prod"), StateErrorIds.StateFileUnreadable, _folder.Home.ConnectionsFile);
    }

    [Theory]
    [MemberData(nameof(OddThings))]
    public void Exports_file_replaced_by_something_odd_is_unreadable_not_empty(string what)
    {
        if (!StateTestFolder.IsUnix && what != "folder") return;
        SavedStore();
        PutOddThing(_folder.Home.ExportsFile, what);
        Refused(() => new ExportStore(_folder.Home).GetAll(), StateErrorIds.StateFileUnreadable, _folder.Home.ExportsFile);
    }

    [Theory]
    [MemberData(nameof(OddThings))]
    public void Stored_key_replaced_by_something_odd_is_a_state_error(string what)
    {
        if (!StateTestFolder.IsUnix && what != "folder") return;
        var store = SavedStore();
        var secret = store.SecretPath("Prod");
        PutOddThing(secret, what);
        var ex = Assert.Throws<StateException>(() => store.ResolveApiKey(store.Find("Prod")!));
        Assert.Contains(ex.ErrorId, new[] { StateErrorIds.StateFileUnreadable, StateErrorIds.SecretUnreadable });
        Assert.Contains(secret, ex.Message);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("empty")]
    [InlineData("wrong header")]
    [InlineData("folder")]
    [InlineData("dangling link")]
    [InlineData("link to /dev/null")]
    public void A_damaged_master_key_is_SecretUnreadable_or_unreadable_on_use_and_on_save(string damage)
    {
        if (!StateTestFolder.IsUnix) return;
        var store = SavedStore();
        var key = _folder.Home.MasterKeyFile;
        var content = File.ReadAllBytes(key);
        File.Delete(key);
        switch (damage)
        {
            case "truncated": File.WriteAllBytes(key, content.Take(20).ToArray()); break;
            case "empty": File.WriteAllBytes(key, Array.Empty<byte>()); break;
            case "wrong header": content[0] ^= 0xFF; File.WriteAllBytes(key, content); break;
            case "folder": Directory.CreateDirectory(key); break;
            case "dangling link": File.CreateSymbolicLink(key, Path.Combine(_folder.Root, "gone")); break;
            case "link to /dev/null": File.CreateSymbolicLink(key, "/dev/null"); break;
        }
        if (File.Exists(key) && !Directory.Exists(key) && new FileInfo(key).LinkTarget == null) Chmod(key, "600");
        var expected = damage is "folder" or "dangling link" or "link to /dev/null"
            ? StateErrorIds.StateFileUnreadable : StateErrorIds.SecretUnreadable;
        var use = Assert.Throws<StateException>(() => store.ResolveApiKey(store.Find("Prod")!));
        Assert.Equal(expected, use.ErrorId);
        Assert.Contains(key, use.Message);
        var save = Assert.Throws<StateException>(() => store.Save(new ConnectionRecord { Name = "Second", BaseUri = "https://x.example/v1", KeySource = KeySource.Stored }, "sk-another-1234", false));
        Assert.Equal(expected, save.ErrorId);
        Assert.Contains(key, save.Message);
        Assert.DoesNotContain("sk-another-1234", save.ToString());
    }

    // ------------------------------------------------------------ where the master key lives

    [Fact]
    public void The_master_key_is_outside_the_state_folder_so_a_copied_folder_cannot_decrypt()
    {
        if (!StateTestFolder.IsUnix) return;
        var store = SavedStore();
        Assert.False(_folder.Home.MasterKeyFile.StartsWith(_folder.Home.Path + Path.DirectorySeparatorChar, StringComparison.Ordinal));
        Assert.True(File.Exists(_folder.Home.MasterKeyFile));
        Assert.DoesNotContain(_folder.AllFiles(), f => File.ReadAllBytes(f).Length == 40 && f.EndsWith(".key", StringComparison.Ordinal));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, StateTestFolder.ModeOf(_folder.Home.KeyFolder));

        // The folder copied elsewhere (an attacker's machine, a backup restored by someone else): no key there.
        var copy = new StateHome(Path.Combine(_folder.Root, "copy"), Path.Combine(_folder.Root, "their-keys"));
        CopyFolder(_folder.Home.Path, copy.Path);
        var stolen = new ConnectionStore(copy);
        var ex = Assert.Throws<StateException>(() => stolen.ResolveApiKey(stolen.Find("Prod")!));
        Assert.Equal(StateErrorIds.SecretUnreadable, ex.ErrorId);
        // Even with a key folder of their own (a new master key gets created): still not the right key.
        stolen.Save(new ConnectionRecord { Name = "Theirs", BaseUri = "https://x.example/v1", KeySource = KeySource.Stored }, "sk-theirs-1234", false);
        Assert.Equal(StateErrorIds.SecretUnreadable, Assert.Throws<StateException>(() => stolen.ResolveApiKey(stolen.Find("Prod")!)).ErrorId);
    }

    [Fact]
    public void A_master_key_left_in_the_state_folder_by_an_earlier_version_is_moved_out_and_still_decrypts()
    {
        if (!StateTestFolder.IsUnix) return;
        var store = SavedStore();
        // What an earlier version left: the key file inside the state folder, none outside.
        File.Move(_folder.Home.MasterKeyFile, _folder.Home.LegacyMasterKeyFile);
        var keyBytes = File.ReadAllBytes(_folder.Home.LegacyMasterKeyFile);
        Assert.Equal(Key, new ConnectionStore(_folder.Home).ResolveApiKey(store.Find("Prod")!));
        Assert.False(File.Exists(_folder.Home.LegacyMasterKeyFile));
        Assert.Equal(keyBytes, File.ReadAllBytes(_folder.Home.MasterKeyFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, StateTestFolder.ModeOf(_folder.Home.MasterKeyFile));
    }

    [Fact]
    public void Each_state_folder_has_its_own_master_key_in_the_shared_key_folder()
    {
        var keys = Path.Combine(_folder.Root, "keys");
        var a = new StateHome(Path.Combine(_folder.Root, "a"), keys);
        var b = new StateHome(Path.Combine(_folder.Root, "b"), keys);
        Assert.NotEqual(a.MasterKeyFile, b.MasterKeyFile);
        Assert.Equal(keys, Path.GetDirectoryName(a.MasterKeyFile));
        Assert.Equal(a.MasterKeyFile, new StateHome(Path.Combine(_folder.Root, "a", ".", "x", ".."), keys).MasterKeyFile);
    }

    [Fact]
    public void The_key_folder_comes_from_the_environment_variable_when_set()
    {
        var saved = Environment.GetEnvironmentVariable(StateHome.KeyHomeVariable);
        try
        {
            Environment.SetEnvironmentVariable(StateHome.KeyHomeVariable, Path.Combine(_folder.Root, "env-keys"));
            Assert.Equal(Path.Combine(_folder.Root, "env-keys"), new StateHome(Path.Combine(_folder.Root, "s")).KeyFolder);
            Environment.SetEnvironmentVariable(StateHome.KeyHomeVariable, null);
            if (StateTestFolder.IsUnix)
                Assert.EndsWith(Path.Combine("AutopilotExport", "keys"), new StateHome(Path.Combine(_folder.Root, "s")).KeyFolder);
        }
        finally
        {
            Environment.SetEnvironmentVariable(StateHome.KeyHomeVariable, saved);
        }
    }

    // ------------------------------------------------------------ interrupted writes

    [Fact]
    public void Temporary_files_left_by_interrupted_writes_are_removed_at_the_next_change()
    {
        var store = SavedStore();
        var leftovers = new[]
        {
            Path.Combine(_folder.Home.Path, ".connections.json.0123456789ab.tmp"),
            Path.Combine(_folder.Home.Path, ".exports.json.abcdef012345.tmp"),
            Path.Combine(_folder.Home.SecretsFolder, ".prod-1a2b3c4d.bin.fedcba987654.tmp"),
        };
        foreach (var f in leftovers) File.WriteAllText(f, "half written");
        var kept = new[] { Path.Combine(_folder.Home.Path, "notes.tmp"), Path.Combine(_folder.Home.Path, ".hidden.tmp") };
        foreach (var f in kept) File.WriteAllText(f, "mine");
        store.Update("Prod", c => c.InstanceId = "i-2");
        foreach (var f in leftovers) Assert.False(File.Exists(f), f);
        foreach (var f in kept) Assert.True(File.Exists(f), f);
    }

    [Fact]
    public void Stale_temporary_key_files_in_the_key_folder_are_removed_and_fresh_ones_kept()
    {
        if (!StateTestFolder.IsUnix) return;
        var store = SavedStore();
        var stale = _folder.Home.MasterKeyFile + ".0123456789ab.tmp";
        var fresh = _folder.Home.MasterKeyFile + ".ba9876543210.tmp";
        File.WriteAllText(stale, "half");
        File.WriteAllText(fresh, "in progress");
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-1));
        Assert.Equal(Key, store.ResolveApiKey(store.Find("Prod")!));
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh));
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (var d in Directory.GetDirectories(from)) CopyFolder(d, Path.Combine(to, Path.GetFileName(d)));
    }
}
